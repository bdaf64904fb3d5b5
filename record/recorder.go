//go:build linux && amd64

package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/redact"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/suggest"
	rcontainer "github.com/retrace-dev/retrace/record/container"
	"github.com/retrace-dev/retrace/record/hostsnap"
	"golang.org/x/sys/unix"
)

// Record records until ctx is done, the duration or size limit is
// reached, or the command exits, then closes the capture cleanly.
func Record(ctx context.Context, opts Options) (*Result, error) {
	if opts.ReorderWindow == 0 {
		opts.ReorderWindow = 200 * time.Millisecond
	}
	if err := opts.checkScope(); err != nil {
		return nil, err
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	out, err := newOutput(opts)
	if err != nil {
		return nil, err
	}
	if err := out.reserve(time.Now()); err != nil {
		return nil, err
	}
	defer out.abandon()
	boot, err := hostsnap.BootTime()
	if err != nil {
		return nil, err
	}
	probe, err := LoadProbe(ProbeOptions{
		BootEpochNs: boot,
		Snaplen:     opts.Snaplen,
		NoEnv:       opts.NoEnv,
		AllSyscalls: opts.AllSyscalls,
		FilterComm:  opts.FilterComm,
		SelfPid:     os.Getpid(),
		OnlyCommand: opts.OnlyCommand,
		RingBytes:   opts.RingBytes,
		Hooks:       opts.SyscallHooks,
	})
	if err != nil {
		return nil, err
	}
	defer probe.Close()
	for _, n := range probe.Notes() {
		fmt.Fprintf(logw, "retrace record: %s\n", n)
	}
	if opts.BPFStats {
		c, err := EnableRunStats()
		if err != nil {
			return nil, err
		}
		defer c.Close()
	}
	rd, err := probe.NewReader()
	if err != nil {
		return nil, err
	}
	records := make(chan [][]byte, 64)
	readerDone := make(chan error, 1)
	stopReader := make(chan struct{})
	go readRing(rd, records, stopReader, readerDone, opts.readerStall)
	defer rd.Close()

	// The programs are attached: scan /proc now, so that nothing starting
	// during the scan is missed (events seen meanwhile win in replay). The
	// recorder itself is in the snapshot (its syscalls are not recorded):
	// it is the parent of the command, whose cwd and lineage readers take
	// from it; with SnapshotCommand it is the only process there.
	var snapTs unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &snapTs)
	snapOpts := hostsnap.Options{BootTime: boot, NoEnv: opts.NoEnv, InheritablePID: os.Getpid()}
	if opts.snapshotScope() == SnapshotCommand {
		snapOpts.OnlyPID = os.Getpid()
	}
	var red *redact.Redactor
	if len(opts.RedactEnv) > 0 && !opts.NoEnv {
		if red, err = redact.New(redact.Options{Env: opts.RedactEnv}); err != nil {
			return nil, fmt.Errorf("redact env: %w", err)
		}
	}
	s := &session{opts: opts, log: logw, boot: boot, tids: map[int64]string{}, redact: red,
		ctrs: map[string]*containerState{}, pending: map[string]*containerState{},
		out: out, probe: probe, snapOpts: snapOpts}
	hdr, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	start := time.Now()
	meta := capture.Metadata{
		RecorderVersion: opts.Version,
		KernelRelease:   unix.ByteSliceToString(uts.Release[:]),
		Hostname:        hdr.Machine.Hostname,
		CommandLine:     opts.CommandLine,
		StartTime:       start,
		BootTime:        time.Unix(0, int64(boot)),
	}
	manifest := func() {
		if red != nil {
			m := red.Manifest()
			m.Tool, m.Time = "retrace "+opts.Version, start.UTC()
			meta.Redaction = &m
		}
	}
	manifest()
	s.meta = meta
	s.wopts = capture.WriterOptions{SignKey: opts.SignKey, Checkpoints: opts.Checkpoints}
	w, err := out.begin(meta, s.wopts, start)
	if err != nil {
		return nil, err
	}
	s.w = w
	win := newReorderWindow(uint64(opts.ReorderWindow), 1<<20)
	runtimes := rcontainer.Runtimes{ContainerdState: opts.ContainerdState, CRIORunRoot: opts.CRIORunRoot}
	s.win = win
	s.resolver = newContainerResolver(start.Add(-time.Second), runtimes)
	defer s.resolver.close()
	s.filterContainer(ctx, runtimes)
	if err := w.WriteHeader(hdr); err != nil {
		w.Close()
		return nil, err
	}
	// The snapshot's containers' events go at the start of the recording.
	for _, p := range hdr.Processes {
		if m, ok := container.MatchCgroups([]byte(strings.Join(p.Cgroups, "\x00"))); ok {
			s.tids[int64(p.TID)] = m.FullID
			s.seeContainer(m, boot+uint64(snapTs.Nano()))
		}
	}

	var cmdDone chan error
	var cmd *exec.Cmd
	if len(opts.Command) > 0 {
		cmd = exec.Command(opts.Command[0], opts.Command[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.CommandStdin, opts.CommandStdout, opts.CommandStderr
		if err := cmd.Start(); err != nil {
			w.Close()
			return nil, fmt.Errorf("%w %s: %v", ErrCommand, opts.Command[0], err)
		}
		if opts.OnlyCommand {
			s.cmdRoot, s.descendantOf = uint32(cmd.Process.Pid), probe.DescendantOf
			s.tree = map[int64]bool{}
		}
		cmdDone = make(chan error, 1)
		go func() { cmdDone <- cmd.Wait() }()
	}
	var deadline <-chan time.Time
	if opts.Duration > 0 {
		t := time.NewTimer(opts.Duration)
		defer t.Stop()
		deadline = t.C
	}
	res := &Result{CommandExit: -1}
	flushTick := time.NewTicker(time.Second)
	defer flushTick.Stop()
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-deadline:
			break loop
		case err := <-cmdDone:
			res.CommandExit = exitStatus(cmd, err)
			// Let the ring buffer deliver the command's last events.
			time.Sleep(50 * time.Millisecond)
			break loop
		case batch, ok := <-records:
			if !ok {
				break loop
			}
			if err := s.handleBatch(batch, win); err != nil {
				runErr = err
				break loop
			}
		case l := <-s.resolver.results:
			s.finishContainer(l)
		case <-flushTick.C:
			if err := s.w.Flush(); err != nil {
				runErr = err
				break loop
			}
			if err := out.check(); err != nil {
				runErr = err
				break loop
			}
			s.status(start)
		case <-opts.WriteOut:
			if err := s.writeOut(); err != nil {
				runErr = err
				break loop
			}
		case r := <-s.snapDone:
			hdr, err := s.takeSnapshot(r)
			if err == nil {
				err = s.rotateTo(hdr)
			}
			if err != nil {
				runErr = err
				break loop
			}
		}
		s.holdContainers()
		if err := win.release(s.now(), false, s.write); err != nil {
			runErr = err
			break
		}
		if opts.MaxSize > 0 {
			st := s.w.Stats()
			if s.bytes+st.FileBytes+int64(st.Unflushed)/4 >= opts.MaxSize {
				fmt.Fprintf(logw, "retrace record: size limit reached\n")
				break
			}
		}
		if out.due(time.Now()) {
			s.startSnapshot()
		}
	}
	if s.snapDone != nil {
		<-s.snapDone // a snapshot under way is not needed any more
	}
	// Detach first, so that the counters stay fixed and every event in the
	// ring is drained; then stop the reader.
	derr := probe.Detach()
	close(stopReader)
	for batch := range records {
		if runErr == nil {
			runErr = s.handleBatch(batch, win)
		}
	}
	s.finishContainers()
	if err := <-readerDone; err != nil && runErr == nil {
		runErr = err
	}
	if cmd != nil && cmd.ProcessState == nil {
		_ = cmd.Process.Kill()
		<-cmdDone
	}
	ks, kerr := probe.Stats()
	if runErr == nil && kerr == nil {
		s.markTrailingDrops(ks)
	}
	if runErr == nil {
		runErr = win.release(s.now(), true, s.write)
	}
	unrec, uerr := probe.UnrecordedCounts()
	st := s.w.Stats()
	saved := s.events + st.Flushed // events in frames already in the files
	s.events += st.Events
	s.bytes += st.FileBytes
	cerr := out.close(s.fileMeta(ks, unrec, time.Now()), time.Now(), false)
	if ferr := out.finish(); cerr == nil {
		cerr = ferr
	}
	res.Files = out.files()
	res.MaxRotation = s.maxRotation
	if runErr != nil && cerr != nil && errors.Is(cerr, runErr) {
		cerr = nil // the writer's sticky error: say it once
	}
	if runErr != nil && outOfSpace(runErr) {
		runErr = fmt.Errorf("%w; the capture keeps the %d events of the frames written before it (%d bytes; retrace replay reads it as truncated)",
			runErr, saved, s.bytes)
	}
	res.Events = s.events
	res.Bytes = s.bytes
	res.Drops = ks.Drops
	res.Submitted = ks.Events
	res.Delivered = s.delivered
	res.MaxReaderLag = time.Duration(s.maxLag)
	res.EmptyReads = ks.EmptyReads
	res.LateEvents = win.late
	res.Containers = len(s.ctrs)
	res.Hooks = probe.Hooks()
	if opts.BPFStats {
		res.Programs, _ = probe.RunStats()
	}
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		res.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		res.MaxRSS = ru.Maxrss * 1024
	}
	return res, errors.Join(runErr, derr, kerr, uerr, cerr)
}

// outOfSpace reports whether err is a write that found no room: a full
// file system, a quota or a file size limit.
func outOfSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) || errors.Is(err, unix.EFBIG)
}

func exitStatus(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState == nil {
		return -1
	}
	return cmd.ProcessState.ExitCode()
}

// readRing copies ring-buffer records into out, in batches (one channel
// send per batch, records copied into a shared arena), until stop is closed
// and the ring is empty. The reader waits at most 20 ms for data: this poll
// is the wakeup for the BPF side's BPF_RB_NO_WAKEUP submissions. stall
// delays the first read (tests force drops with it).
func readRing(rd *ringbuf.Reader, out chan<- [][]byte, stop <-chan struct{}, done chan<- error, stall time.Duration) {
	defer close(out)
	if stall > 0 {
		select {
		case <-time.After(stall):
		case <-stop:
		}
	}
	const batchRecords, arenaBytes = 512, 64 << 10
	var rec ringbuf.Record
	var batch [][]byte
	arena := make([]byte, 0, arenaBytes)
	flush := func() {
		if len(batch) > 0 {
			out <- batch
			batch = nil
			arena = make([]byte, 0, arenaBytes)
		}
	}
	stopping := false
	for {
		select {
		case <-stop:
			stopping = true
		default:
		}
		rd.SetDeadline(time.Now().Add(20 * time.Millisecond))
		err := rd.ReadInto(&rec)
		switch {
		case err == nil:
			if len(arena)+len(rec.RawSample) > cap(arena) {
				flush()
			}
			start := len(arena)
			arena = append(arena, rec.RawSample...)
			batch = append(batch, arena[start:len(arena):len(arena)])
			if len(batch) >= batchRecords {
				flush()
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
			flush()
			if stopping {
				done <- nil
				return
			}
		default:
			flush()
			done <- fmt.Errorf("read ring buffer: %w", err)
			return
		}
	}
}

// session is the state of one recording's writer side.
type session struct {
	opts Options
	// out is the output file or set, w the writer of its current file;
	// meta and wopts are the metadata and options each file starts with.
	out   *output
	meta  capture.Metadata
	wopts capture.WriterOptions
	// probe reads the counters each file's closing metadata gives since
	// the file began (from base and baseUnrec).
	probe     *Probe
	base      KernelStats
	baseUnrec map[string]uint64
	// snapOpts take each file's snapshot.
	snapOpts hostsnap.Options
	// events and bytes total the closed files.
	events uint64
	bytes  int64
	// maxRotation is the longest a rotation held the writer up.
	maxRotation time.Duration
	// snapDone delivers the next file's snapshot, taken in the background
	// (nil when none is under way).
	snapDone chan snapshotResult
	// lastStatus is when the last status was given, with its event count.
	lastStatus struct {
		at     time.Time
		events uint64
	}
	// redact rewrites the env of execve events (--redact-env), nil when off.
	redact *redact.Redactor
	w      *capture.Writer
	log    io.Writer
	boot   uint64
	tids   map[int64]string // thread -> full container id, from cgroups
	// ctrs are the containers seen, by full id; pending those whose lookup
	// is under way.
	ctrs, pending map[string]*containerState
	resolver      *containerResolver
	// only is the container the recording is restricted to ("" for all).
	only string
	// cmdRoot, with OnlyCommand, is the command's process id; tree caches,
	// by thread id, whether a live thread descends from it, as
	// descendantOf (the BPF side's record of the recorder's descendants)
	// says.
	cmdRoot      uint32
	tree         map[int64]bool
	descendantOf func(tid uint32) (root uint32, ok bool)
	win          *reorderWindow
	ev           scap.Event
	// delivered counts the events taken out of the ring buffer.
	delivered uint64
	// maxLag is the largest reader lag seen (ns, see Result.MaxReaderLag).
	maxLag uint64
}

// now returns the current time on the event clock.
func (s *session) now() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return s.boot + uint64(ts.Nano())
}

func (s *session) handleBatch(batch [][]byte, win *reorderWindow) error {
	if len(batch) > 0 && len(batch[0]) >= 8+scap.HeaderLenV2 {
		if ts, now := scap.RawTs(batch[0][8:]), s.now(); now > ts {
			s.maxLag = max(s.maxLag, now-ts)
		}
	}
	for _, rec := range batch {
		if err := s.handle(rec, win); err != nil {
			return err
		}
	}
	return nil
}

// handle splits a ring-buffer record (u32 cpu, u32 reserved, events) into
// the reorder window, noting containers of new processes.
func (s *session) handle(rec []byte, win *reorderWindow) error {
	if len(rec) < 8 {
		return fmt.Errorf("ring buffer record of %d bytes: too short", len(rec))
	}
	cpu := uint16(binary.LittleEndian.Uint32(rec))
	for off := 8; off+scap.HeaderLenV2 <= len(rec); {
		n := int(scap.RawLen(rec[off:]))
		if n < scap.HeaderLenV2 || off+n > len(rec) {
			return fmt.Errorf("ring buffer record: event at %d has length %d beyond the record's %d bytes", off, n, len(rec))
		}
		ev := rec[off : off+n]
		s.delivered++
		s.track(ev)
		if s.keep(ev) {
			win.push(cpu, scap.RawTs(ev), ev)
		}
		if scap.RawType(ev) == scap.ProcexitV1E {
			delete(s.tids, scap.RawTid(ev))
			delete(s.tree, scap.RawTid(ev))
		}
		off += n
	}
	return nil
}

// track follows which container each thread runs in, from the cgroups of
// clone and execve exit events, and starts the lookup of each new
// container (see seeContainer).
func (s *session) track(raw []byte) {
	t := scap.RawType(raw)
	switch t {
	case scap.SyscallExecveV19X, scap.SyscallExecveatX, scap.SyscallCloneV20X, scap.SyscallClone3X, scap.SyscallForkV20X, scap.SyscallVforkV20X:
	default:
		return
	}
	if err := s.ev.Decode(raw, false); err != nil {
		return
	}
	cg, ok := s.ev.ParamByName("cgroups")
	if !ok {
		return
	}
	tid := s.ev.Tid()
	m, ok := container.MatchCgroups(cg)
	if !ok {
		delete(s.tids, tid)
		return
	}
	s.tids[tid] = m.FullID
	s.seeContainer(m, s.ev.Ts()-1)
}

// filterContainer resolves Options.FilterContainer (id prefix or name)
// against the containers running. When none matches, it warns,
// naming the containers running (and the closest names): the filter then
// keeps only a container that starts later with that id prefix.
func (s *session) filterContainer(ctx context.Context, rt rcontainer.Runtimes) {
	want := s.opts.FilterContainer
	if want == "" {
		return
	}
	s.only = want
	var present, names []string
	for _, m := range hostsnap.Containers("") {
		if strings.HasPrefix(m.FullID, want) {
			s.only = m.FullID
			return
		}
		label := m.ID
		if info, err := rt.Inspect(ctx, m); err == nil && info.Name != "" {
			if info.Name == want {
				s.only = m.FullID
				return
			}
			label = fmt.Sprintf("%s (%s)", info.Name, m.ID)
			names = append(names, info.Name)
		}
		present = append(present, label)
	}
	list := "none"
	if len(present) > 0 {
		slices.Sort(present)
		list = strings.Join(present, ", ")
	}
	fmt.Fprintf(s.log, "retrace record: warning: --filter-container %q: no running container has that name or id prefix%s; containers: %s. Only a container started later with that id prefix will be recorded.\n",
		want, suggest.DidYouMean(want, names), list)
}

// keep applies the container and command filters to an event, with the
// thread state as of that event (decided on arrival, before the reorder
// window, so that later events of the thread do not change the decision).
func (s *session) keep(ev []byte) bool {
	t := scap.RawType(ev)
	if t == scap.ContainerJsonV2E || t == scap.DropE || t == scap.DropX {
		return true
	}
	tid := scap.RawTid(ev)
	if s.only != "" && !strings.HasPrefix(s.tids[tid], s.only) {
		return false
	}
	if s.tree != nil && !s.inCommand(tid) {
		return false
	}
	return true
}

// inCommand reports whether a thread descends from the command (the BPF
// side writes only the recorder's descendants; this leaves out the
// runtime CLIs the recorder itself runs).
func (s *session) inCommand(tid int64) bool {
	in, ok := s.tree[tid]
	if !ok {
		root, found := s.descendantOf(uint32(tid))
		in = found && root == s.cmdRoot
		s.tree[tid] = in
	}
	return in
}

// markTrailingDrops writes a drop marker (PPME_DROP_E/X, ratio = events
// lost) for each CPU whose last drops no BPF-side marker announced: the
// kernel writes a marker with the next event a CPU submits, so drops at the
// end of a recording would otherwise only show in the metadata. With the
// markers, the ratios of a CPU's drop events add up to its drop counter.
func (s *session) markTrailingDrops(ks KernelStats) {
	for cpu := range ks.PerCPU {
		if cpu >= len(ks.MarkedPerCPU) || ks.PerCPU[cpu] <= ks.MarkedPerCPU[cpu] {
			continue
		}
		ts := s.now()
		for lost := ks.PerCPU[cpu] - ks.MarkedPerCPU[cpu]; lost > 0; {
			ratio := uint32(min(lost, 0xffffffff))
			lost -= uint64(ratio)
			var p [4]byte
			binary.LittleEndian.PutUint32(p[:], ratio)
			s.win.push(uint16(cpu), ts, scap.AppendEvent(nil, ts, -1, scap.DropE, p[:]))
			s.win.push(uint16(cpu), ts, scap.AppendEvent(nil, ts, -1, scap.DropX, p[:]))
		}
	}
}

// write hands one event to the capture writer.
func (s *session) write(cpu uint16, ev []byte) error {
	if s.redact != nil {
		out, err := s.redact.Raw(ev)
		if err != nil {
			return fmt.Errorf("redact event: %w", err)
		}
		ev = out
	}
	return s.w.WriteEvent(cpu, 0, ev)
}
