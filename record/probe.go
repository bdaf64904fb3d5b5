//go:build linux && amd64

package record

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

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
	// Hooks selects how syscalls are hooked (AllSyscalls implies HooksRaw).
	Hooks SyscallHooks
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
	plan       hookPlan
	// attached names the attached programs, for RunStats.
	attached []string
	// detaching is closed when the links closed by Detach are gone.
	detaching chan error
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
	plan, err := planHooks(opts.Hooks, opts.AllSyscalls)
	if err != nil {
		return nil, err
	}
	keepPrograms(spec, plan)
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
		Programs: ebpf.ProgramOptions{LogSizeStart: 1 << 20},
	})
	if err != nil {
		return nil, loadError(err)
	}
	p := &Probe{coll: coll, ringbuf: coll.Maps["events"], stats: coll.Maps["stats_map"], unrecorded: coll.Maps["unrecorded"], desc: coll.Maps["descendants"], plan: plan}
	if plan.hooks == HooksRaw {
		err = p.attachRaw()
	} else {
		err = p.attachTracepoints()
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// keepPrograms removes from spec the programs the plan does not attach, so
// that only they are verified and loaded: the encoders exist as tp_btf
// programs (tail-call targets of the raw dispatch) and as tracepoint
// programs (NAME_tp).
func keepPrograms(spec *ebpf.CollectionSpec, plan hookPlan) {
	want := map[string]bool{"sched_exit": true, "sched_fork": true}
	for _, sc := range recordedSyscalls {
		if plan.skip[sc.name] {
			continue
		}
		if plan.hooks == HooksTracepoints {
			want[sc.program+"_tp"] = true
			continue
		}
		want[sc.program] = true
		if sc.enterProgram != "" {
			want[sc.enterProgram] = true
		}
	}
	if plan.hooks == HooksRaw {
		want["sys_enter"], want["sys_exit"] = true, true
	} else {
		want["exec_path"] = true
	}
	for name := range spec.Programs {
		if !want[name] {
			delete(spec.Programs, name)
		}
	}
}

// attachRaw fills the tail-call tables and attaches the raw sys_enter and
// sys_exit dispatch programs.
func (p *Probe) attachRaw() error {
	if err := p.fillTailCalls(); err != nil {
		return err
	}
	for _, name := range []string{"sched_fork", "sys_exit", "sched_exit", "sys_enter"} {
		if err := p.attachTracing(name); err != nil {
			return err
		}
	}
	return nil
}

func (p *Probe) attachTracing(name string) error {
	l, err := link.AttachTracing(link.TracingOptions{Program: p.coll.Programs[name]})
	if err != nil {
		return fmt.Errorf("attach %s: %w", name, err)
	}
	p.links = append(p.links, l)
	p.attached = append(p.attached, name)
	return nil
}

// attachTracepoints attaches exec_path (the path of successful execs, for
// execve's events), sched_exit, and each recorded syscall's encoder to its
// syscalls/sys_exit_ tracepoint. Nothing is attached at syscall entry: the
// encoders write enter events at exit (execve_x_tp included).
func (p *Probe) attachTracepoints() error {
	attach := func(program, event string) error {
		prog, ok := p.coll.Programs[program]
		if !ok {
			return fmt.Errorf("attach %s: no BPF program %s", event, program)
		}
		l, err := link.Tracepoint("syscalls", event, prog, nil)
		if err != nil {
			return fmt.Errorf("attach %s to syscalls/%s: %w", program, event, err)
		}
		p.links = append(p.links, l)
		p.attached = append(p.attached, program)
		return nil
	}
	for _, name := range []string{"sched_fork", "exec_path", "sched_exit"} {
		if err := p.attachTracing(name); err != nil {
			return err
		}
	}
	for _, sc := range recordedSyscalls {
		if p.plan.skip[sc.name] {
			continue
		}
		if err := attach(sc.program+"_tp", "sys_exit_"+tracepointName(sc.name)); err != nil {
			return err
		}
	}
	return nil
}

// Hooks returns how the probe hooks syscalls (never HooksAuto).
func (p *Probe) Hooks() SyscallHooks { return p.plan.hooks }

// Notes returns what the choice of hooks left out or fell back from, one
// sentence each, for the recorder's log.
func (p *Probe) Notes() []string { return p.plan.notes }

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
	// ppm_sc codes of generic events; 0 (with the nativeID) for those
	// sysdig 0.29.3 does not know (docs/FORMAT.md, Event profile, rule 5).
	var ppm [maxSyscalls]uint16
	for nr := range ppm {
		if code, ok := scap.NativeSyscallID(uint16(nr)); ok && code < scap.Sysdig029NumSyscalls {
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
// the recorded set ran while the probe was attached. Only the raw hooks
// see those syscalls: with per-syscall tracepoints it returns nil.
func (p *Probe) UnrecordedCounts() (map[string]uint64, error) {
	if p.plan.hooks != HooksRaw {
		return nil, nil
	}
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
		name := scap.NativeSyscallName(uint16(nr))
		if name == "" {
			name = fmt.Sprintf("syscall_%d", nr)
		}
		out[name] += n
	}
	return out, nil
}

// RunStats returns the run counts and times of the attached programs.
func (p *Probe) RunStats() ([]ProgramStats, error) {
	var out []ProgramStats
	for _, name := range p.attached {
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

// Detach stops the programs: no event enters the ring buffer after it
// returns, and the counters of [Probe.Stats] stay fixed. The maps remain
// readable until Close. The programs return at once from then on; their
// links are closed in the background, since closing a tracepoint's perf
// event waits for an RCU grace period (about 50 ms each here, serialized
// by the kernel), and Close waits for them.
func (p *Probe) Detach() error {
	if p.detaching != nil {
		return nil
	}
	var stopErr error
	if v, ok := p.coll.Variables["stopped"]; ok {
		stopErr = v.Set(uint32(1))
	} else {
		stopErr = errors.New("detach: no BPF variable stopped")
	}
	links := p.links
	p.links = nil
	p.detaching = make(chan error, 1)
	go func() {
		errs := make([]error, len(links))
		var wg sync.WaitGroup
		for i, l := range links {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = l.Close()
			}()
		}
		wg.Wait()
		p.detaching <- errors.Join(errs...)
	}()
	if stopErr != nil {
		// Without the flag, only closing the links stops the programs.
		return errors.Join(stopErr, p.waitDetached())
	}
	return nil
}

// waitDetached waits for the links Detach closes.
func (p *Probe) waitDetached() error {
	if p.detaching == nil {
		return nil
	}
	err, ok := <-p.detaching
	if ok {
		close(p.detaching)
	}
	return err
}

// Close detaches the programs and frees the maps.
func (p *Probe) Close() error {
	var errs []error
	if p.coll != nil {
		errs = append(errs, p.Detach(), p.waitDetached())
	}
	if p.coll != nil {
		p.coll.Close()
		p.coll = nil
	}
	return errors.Join(errs...)
}
