//go:build linux && amd64

package record

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"github.com/retrace-dev/retrace/capture/scap"
)

// ProbeOptions configures the BPF programs.
type ProbeOptions struct {
	// BootEpochNs is the boot time in ns since the epoch; event timestamps
	// are BootEpochNs + bpf_ktime_get_boot_ns().
	BootEpochNs uint64
	// Snaplen is the number of data bytes kept from read/write buffers.
	Snaplen uint32
	// NoEnv leaves the env parameter of execve events empty.
	NoEnv bool
	// AllSyscalls writes a generic event for every syscall outside the
	// recorded set instead of only counting it.
	AllSyscalls bool
	// FilterComm records only threads whose comm equals this name.
	FilterComm string
	// SelfPid is the process whose syscalls are never recorded (the recorder).
	SelfPid int
	// OnlyCommand records only SelfPid's creation descendants: the tasks
	// its children create, their children and so on ([Probe.DescendantOf]
	// tells which child each descends from).
	OnlyCommand bool
	// RingBytes is the ring buffer size (a power of two, multiple of the
	// page size); 0 means 16 MiB.
	RingBytes int
	// WakeupBytes wakes the reader when this much data is pending; smaller
	// batches are picked up by the reader's periodic poll. 0 means 1/16
	// of the ring.
	WakeupBytes int
}

// Probe is the loaded and attached set of BPF programs plus their ring
// buffer. Its methods are safe for concurrent use, except Close.
type Probe struct {
	coll       *ebpf.Collection
	links      []link.Link
	ringbuf    *ebpf.Map
	stats      *ebpf.Map
	unrecorded *ebpf.Map
	desc       *ebpf.Map
}

// LoadProbe loads the BPF programs, fills the per-syscall configuration and
// attaches them. Events start flowing into the ring buffer immediately.
func LoadProbe(opts ProbeOptions) (*Probe, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, ErrNoBTF
	}
	if _, err := btf.LoadKernelSpec(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoBTF, err)
	}
	// Kernels >= 5.11 charge BPF memory to the cgroup; older ones need a
	// raised RLIMIT_MEMLOCK, which fails without CAP_SYS_RESOURCE. Try, and
	// carry on: the load itself reports a real shortage.
	_ = rlimit.RemoveMemlock()

	spec, err := loadRecorder()
	if err != nil {
		return nil, fmt.Errorf("load BPF spec: %w", err)
	}
	if err := configure(spec, opts); err != nil {
		return nil, err
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
		Programs: ebpf.ProgramOptions{LogSizeStart: 1 << 20},
	})
	if err != nil {
		return nil, loadError(err)
	}
	p := &Probe{coll: coll, ringbuf: coll.Maps["events"], stats: coll.Maps["stats_map"], unrecorded: coll.Maps["unrecorded"], desc: coll.Maps["descendants"]}
	if err := p.fillTailCalls(); err != nil {
		p.Close()
		return nil, err
	}
	for _, name := range []string{"sched_fork", "sys_exit", "sched_exit", "sys_enter"} {
		l, err := link.AttachTracing(link.TracingOptions{Program: coll.Programs[name]})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("attach %s: %w", name, err)
		}
		p.links = append(p.links, l)
	}
	return p, nil
}

func configure(spec *ebpf.CollectionSpec, opts ProbeOptions) error {
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		ncpu = runtime.NumCPU()
	}
	spec.Maps["scratch_map"].MaxEntries = uint32(ncpu)
	ring := opts.RingBytes
	if ring == 0 {
		ring = 16 << 20
	}
	spec.Maps["events"].MaxEntries = uint32(ring)
	wake := opts.WakeupBytes
	if wake == 0 {
		wake = ring / 16
	}

	var flags [maxSyscalls]uint8
	if opts.AllSyscalls {
		for i := range flags {
			flags[i] = scGeneric
		}
	}
	for _, sc := range recordedSyscalls {
		flags[sc.nr] = scRecord
		if sc.enterProgram != "" && profileEnter(sc.name) {
			flags[sc.nr] |= scEnter
		}
	}
	var ppm [maxSyscalls]uint16
	for nr, code := range ppmSyscallCodes {
		if nr < maxSyscalls {
			ppm[nr] = code
		}
	}
	var comm [16]byte
	if len(opts.FilterComm) > 15 {
		return fmt.Errorf("filter comm %q: longer than 15 bytes", opts.FilterComm)
	}
	copy(comm[:], opts.FilterComm)
	env := uint32(1)
	if opts.NoEnv {
		env = 0
	}
	set := []struct {
		name  string
		value any
	}{
		{"syscall_flags", flags},
		{"ppm_sc", ppm},
		{"self_tgid", uint32(opts.SelfPid)},
		{"boot_epoch_ns", opts.BootEpochNs},
		{"snaplen", opts.Snaplen},
		{"capture_env", env},
		{"wakeup_bytes", uint64(wake)},
		{"filter_comm_len", uint32(len(opts.FilterComm))},
		{"filter_comm", comm},
		{"only_command", boolU32(opts.OnlyCommand)},
	}
	for _, v := range set {
		vs, ok := spec.Variables[v.name]
		if !ok {
			return fmt.Errorf("configure BPF: no variable %s", v.name)
		}
		if err := vs.Set(v.value); err != nil {
			return fmt.Errorf("configure BPF variable %s: %w", v.name, err)
		}
	}
	return nil
}

func boolU32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// DescendantOf returns, with ProbeOptions.OnlyCommand, the process id of
// the recorder's child that created the task with this thread id (itself,
// for the child), directly or through its descendants; ok is false for a
// task that descends from no child of the recorder. The answer stays
// valid after the task exits, until its id is reused.
func (p *Probe) DescendantOf(tid uint32) (root uint32, ok bool) {
	if err := p.desc.Lookup(tid, &root); err != nil {
		return 0, false
	}
	return root, true
}

// profileEnter reports whether the event profile (docs/FORMAT.md) writes
// the enter event of syscall name.
func profileEnter(name string) bool {
	p, ok := scap.ProfileFor(name)
	return ok && p.Enter
}

// Values of syscall_flags in bpf/recorder.bpf.c.
const (
	scRecord  = 1
	scGeneric = 2
	scEnter   = 4
)

func loadError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		prog := "?"
		// cilium/ebpf prefixes the error with "program <name>:".
		if _, rest, ok := strings.Cut(err.Error(), "program "); ok {
			prog, _, _ = strings.Cut(rest, ":")
		}
		lines := ve.Log
		if len(lines) > 20 {
			lines = lines[len(lines)-20:]
		}
		return &VerifierError{Program: prog, LogTail: strings.Join(lines, "\n"), Err: err}
	}
	return fmt.Errorf("load BPF programs: %w", err)
}

func (p *Probe) fillTailCalls() error {
	put := func(table, program string, sc recordedSyscall) error {
		prog, ok := p.coll.Programs[program]
		if !ok {
			return fmt.Errorf("fill tail calls: no BPF program %s for %s", program, sc.name)
		}
		if err := p.coll.Maps[table].Put(sc.nr, uint32(prog.FD())); err != nil {
			return fmt.Errorf("fill tail call for %s: %w", sc.name, err)
		}
		return nil
	}
	for _, sc := range recordedSyscalls {
		if err := put("exit_progs", sc.program, sc); err != nil {
			return err
		}
		if sc.enterProgram != "" {
			if err := put("enter_progs", sc.enterProgram, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// NewReader returns a reader of the ring buffer's raw records.
func (p *Probe) NewReader() (*ringbuf.Reader, error) {
	r, err := ringbuf.NewReader(p.ringbuf)
	if err != nil {
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	return r, nil
}

// KernelStats are the BPF side's counters, summed over CPUs.
type KernelStats struct {
	Events     uint64   // events written to the ring buffer
	Drops      uint64   // events lost because the ring buffer was full
	EmptyReads uint64   // parameters left empty because a memory read failed
	Truncated  uint64   // events dropped for exceeding the maximum event size
	PerCPU     []uint64 // drops per CPU
	// MarkedPerCPU is, per CPU, the number of drops already announced in
	// the event stream by a drop marker the BPF side wrote.
	MarkedPerCPU []uint64
}

// Stats reads the BPF counters.
func (p *Probe) Stats() (KernelStats, error) {
	var per []recorderStats
	if err := p.stats.Lookup(uint32(0), &per); err != nil {
		return KernelStats{}, fmt.Errorf("read BPF stats: %w", err)
	}
	var ks KernelStats
	for _, s := range per {
		ks.Events += s.Events
		ks.Drops += s.Drops
		ks.EmptyReads += s.EmptyReads
		ks.Truncated += s.Truncated
		ks.PerCPU = append(ks.PerCPU, s.Drops)
		ks.MarkedPerCPU = append(ks.MarkedPerCPU, s.DropMarkers)
	}
	return ks, nil
}

// UnrecordedCounts returns, per syscall name, how often a syscall outside
// the recorded set ran while the probe was attached.
func (p *Probe) UnrecordedCounts() (map[string]uint64, error) {
	out := map[string]uint64{}
	var per []uint64
	for nr := uint32(0); nr < maxSyscalls; nr++ {
		if err := p.unrecorded.Lookup(nr, &per); err != nil {
			return nil, fmt.Errorf("read unrecorded syscall counts: %w", err)
		}
		var n uint64
		for _, v := range per {
			n += v
		}
		if n == 0 {
			continue
		}
		name, ok := syscallNames[nr]
		if !ok {
			name = fmt.Sprintf("syscall_%d", nr)
		}
		out[name] += n
	}
	return out, nil
}

// RunStats returns the run counts and times of the attached programs.
func (p *Probe) RunStats() ([]ProgramStats, error) {
	var out []ProgramStats
	for _, name := range []string{"sys_enter", "sys_exit", "sched_exit"} {
		st, err := p.coll.Programs[name].Stats()
		if err != nil {
			return nil, fmt.Errorf("read stats of %s: %w", name, err)
		}
		out = append(out, ProgramStats{Program: name, Runs: st.RunCount, Time: st.Runtime})
	}
	return out, nil
}

// EnableRunStats turns on the kernel's BPF run-time accounting until the
// returned closer is closed. It costs a little per program run.
func EnableRunStats() (io.Closer, error) {
	c, err := ebpf.EnableStats(0 /* BPF_STATS_RUN_TIME */)
	if err != nil {
		return nil, fmt.Errorf("enable BPF run-time stats: %w", err)
	}
	return c, nil
}

// Detach detaches the programs: no event enters the ring buffer after it
// returns, and the counters of [Probe.Stats] stay fixed. The maps remain
// readable until Close.
func (p *Probe) Detach() error {
	var errs []error
	for i := len(p.links) - 1; i >= 0; i-- {
		errs = append(errs, p.links[i].Close())
	}
	p.links = nil
	return errors.Join(errs...)
}

// Close detaches the programs and frees the maps.
func (p *Probe) Close() error {
	errs := []error{p.Detach()}
	if p.coll != nil {
		p.coll.Close()
		p.coll = nil
	}
	return errors.Join(errs...)
}
