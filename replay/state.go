package replay

import (
	"bytes"
	"net/netip"

	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
)

// Event is one event as the rule engine and the field extractors see it:
// the decoded scap event plus the state it resolved to (thread, fd). It
// implements engine.Event. An Event is reused for every event of a replay;
// nothing in it stays valid after the next call to [State.Apply].
type Event struct {
	// Ev is the decoded event.
	Ev *scap.Event
	// Num is the event number, from 1, counting every event read.
	Num uint64
	// Thread is the thread that produced the event, nil when unknown.
	Thread *Thread
	// FD is the file descriptor the event operates on, nil when none.
	FD *FD
	// FDNum is the number of the event's fd, -1 when none.
	FDNum int64
	// CPU is the CPU the event happened on (set by the reader's caller).
	CPU uint16
	// Frame is the zstd frame of the capture that holds the event, -1 when
	// the capture is not framed (set by the reader's caller).
	Frame int
	// Capture is the name of the capture file that holds the event, as
	// it was opened; "" when the event was not read from a file (set by
	// the reader's caller). With Frame it locates the event's bytes.
	Capture string
	// StateOnly is set for events flagged SCAP_DF_STATE_ONLY by the
	// producer: they update the state but rules must not see them.
	StateOnly bool

	state         *State
	enter         scap.Event // decoded paired enter event, when enterOK
	enterOK       bool
	fdNameChanged bool
	prevTs        uint64
}

// DispatchID returns the event's dense type id (engine.Event).
func (e *Event) DispatchID() int { return e.Ev.DispatchID() }

// State returns the state the event was applied to.
func (e *Event) State() *State { return e.state }

// ProcessGeneration counts the changes that can alter what the fields of
// a thread's process describe — its ids, name, command line, executable,
// working directory, user, group, login user, terminal, start time and
// container, and those of its parent: threads added or removed, exits
// parsed by any handler but the file descriptor ones, user, group and
// container events, headers loaded. Between two events with the same
// generation no thread, parent, user or container changed, so a
// description of a thread made at the first holds at the second (the
// export describes each thread once per generation).
func (s *State) ProcessGeneration() uint64 { return s.procGen }

// Enter returns the enter event paired with this exit event, if the
// capture carries one.
func (e *Event) Enter() (*scap.Event, bool) {
	if !e.enterOK {
		return nil, false
	}
	return &e.enter, true
}

// Param returns the event's parameter called name, falling back to the
// paired enter event's parameter of the same name when the exit event
// does not carry it (older captures), as libs' converter merges them.
func (e *Event) Param(name string) ([]byte, bool) {
	if p, ok := e.Ev.ParamByName(name); ok {
		return p, true
	}
	if e.enterOK {
		return e.enter.ParamByName(name)
	}
	return nil, false
}

// MachineInfo is what the capture says about the recorded host.
type MachineInfo struct {
	Hostname    string
	NumCPUs     uint32
	MemoryBytes uint64
	BootTs      uint64
}

// Stats counts what the state saw.
type Stats struct {
	Events         uint64
	ThreadsCreated uint64
	ThreadsRemoved uint64
	FakeThreads    uint64
}

// State is the replayed system state. It is not safe for concurrent use.
type State struct {
	threads map[int64]*Thread
	// procGen is the process generation (ProcessGeneration).
	procGen    uint64
	threadPool []*Thread
	tablePool  []*FDTable
	fdPool     fdPool
	// Users are the host's users and groups.
	Users *UserTable
	// Containers are the containers the capture described.
	Containers *ContainerTable
	// Machine is the recorded host.
	Machine MachineInfo
	// containerThreads are the synthetic threads container events are
	// attributed to (comm "container:<id>", as libsinsp does).
	containerThreads map[string]*Thread
	toRemove         int64
	// lastThread caches the thread of the previous lookup (events come
	// in runs per thread).
	lastThread *Thread
	// fdToRemove is the fd a successful close removes at the next event
	// (libsinsp keeps it for the close exit's own fields); fdTable is its
	// table, nil when none is pending.
	fdToRemove int64
	fdTable    *FDTable
	// enterSeen records the enter event codes the capture has used, so
	// that an exit whose enter is missing is ignored (as libsinsp does)
	// only for syscalls the producer writes with enter events.
	enterSeen         [scap.NumTypes]bool
	stats             Stats
	ev                Event
	lastTs            uint64
	firstTs           uint64
	scratch           []byte
	addrBuf, addrRing []byte
	oldName           []byte
	oldFD             *FD
	// plTail is set when the process snapshot carried the length-gated
	// tail (tty, loginuid ...) of newer producers.
	plTail bool
	// localAddrs are the recorded host's interface addresses.
	localAddrs []netip.Addr
	// MaxThreads bounds the thread table against hostile captures;
	// threadsOver counts the threads it left out.
	maxThreads  int
	threadsOver boundCounter
	// procThreads counts the threads of the table per pid (proc.nthreads
	// without a walk over all threads).
	procThreads map[int64]int
	// children lists the threads of the table by parent tid (reparent.go).
	children map[int64][]*Thread
	// gaps are the stretches of lost events so far (gap.go).
	gaps []Gap
	// lastCgroups is the last cgroups value setCgroups derived.
	lastCgroups cgroupsMemo
}

// cgroupsMemo is what setCgroups derived from one raw cgroups value.
type cgroupsMemo struct {
	valid     bool
	raw, norm []byte
	id        string
	typ       container.Type
	ok        bool
}

// Options configure a State.
type Options struct {
	// MaxThreads bounds the thread table (default [DefaultMaxThreads]);
	// events of further unknown threads are processed without a thread.
	MaxThreads int
	// MaxProcessFDs and MaxTotalFDs bound the open fds of one process and
	// of all (defaults [DefaultMaxProcessFDs], [DefaultMaxTotalFDs]);
	// further fds are not tracked.
	MaxProcessFDs, MaxTotalFDs int
}

// NewState returns an empty state.
func NewState(opts Options) *State {
	if opts.MaxThreads <= 0 {
		opts.MaxThreads = DefaultMaxThreads
	}
	if opts.MaxProcessFDs <= 0 {
		opts.MaxProcessFDs = DefaultMaxProcessFDs
	}
	if opts.MaxTotalFDs <= 0 {
		opts.MaxTotalFDs = DefaultMaxTotalFDs
	}
	s := &State{
		threads:          map[int64]*Thread{},
		procThreads:      map[int64]int{},
		children:         map[int64][]*Thread{},
		Users:            newUserTable(),
		Containers:       newContainerTable(),
		containerThreads: map[string]*Thread{},
		toRemove:         -1,
		maxThreads:       opts.MaxThreads,
	}
	s.fdPool.maxProcess, s.fdPool.maxTotal = opts.MaxProcessFDs, opts.MaxTotalFDs
	s.fdPool.events = &s.stats.Events
	s.ev.state = s
	return s
}

// lookup returns the thread with this tid, or nil.
func (s *State) lookup(tid int64) *Thread {
	if t := s.lastThread; t != nil && t.Tid == tid {
		return t
	}
	t := s.threads[tid]
	s.lastThread = t
	return t
}

// Thread returns the thread with this tid.
func (s *State) Thread(tid int64) (*Thread, bool) {
	t, ok := s.threads[tid]
	return t, ok
}

// NumThreads returns the number of threads in the table.
func (s *State) NumThreads() int { return len(s.threads) }

// Stats returns counters about the replay so far.
func (s *State) Stats() Stats { return s.stats }

// FirstTs returns the timestamp of the first event applied.
func (s *State) FirstTs() uint64 { return s.firstTs }

// Threads calls fn for every thread, in no particular order, until fn
// returns false.
func (s *State) Threads(fn func(*Thread) bool) {
	for _, t := range s.threads {
		if !fn(t) {
			return
		}
	}
}

// Parent returns the thread t's ptid names (proc.pname and friends).
func (s *State) Parent(t *Thread) (*Thread, bool) {
	if t == nil || t.PTid < 0 || t.PTid == t.Tid {
		return nil, false
	}
	p, ok := s.threads[t.PTid]
	return p, ok
}

// Ancestor returns t's n-th ancestor (0 = t's process itself, 1 = its
// parent ...), walking from main thread to main thread as libsinsp's
// proc.aname[N] does.
func (s *State) Ancestor(t *Thread, n int) (*Thread, bool) {
	if t == nil {
		return nil, false
	}
	t = s.mainThread(t)
	for i := 0; i < n; i++ {
		p, ok := s.Parent(t)
		if !ok {
			return nil, false
		}
		t = s.mainThread(p)
	}
	return t, true
}

// mainThread returns the main thread of t's process (t itself if unknown).
func (s *State) mainThread(t *Thread) *Thread {
	if t.Tid == t.Pid {
		return t
	}
	if m, ok := s.threads[t.Pid]; ok {
		return m
	}
	return t
}

// newThread returns a cleared thread for tid, not yet in the table.
func (s *State) newThread(tid int64) *Thread {
	var t *Thread
	if n := len(s.threadPool); n > 0 {
		t = s.threadPool[n-1]
		s.threadPool = s.threadPool[:n-1]
	} else {
		t = &Thread{}
	}
	t.reset(tid)
	t.gapEpoch = s.epoch()
	return t
}

// newFDTable returns an empty fd table.
func (s *State) newFDTable() *FDTable {
	if n := len(s.tablePool); n > 0 {
		ft := s.tablePool[n-1]
		s.tablePool = s.tablePool[:n-1]
		return ft
	}
	return &FDTable{own: map[int64]*FD{}, free: &s.fdPool}
}

// addThread inserts t, replacing (and freeing) any thread with its tid.
func (s *State) addThread(t *Thread) {
	if old, ok := s.threads[t.Tid]; ok && old != t {
		delete(s.threads, old.Tid)
		s.reparentChildren(old)
		s.unlinkChild(old)
		s.countThread(old.Pid, -1)
		s.freeThread(old)
	}
	s.procGen++
	if s.threads[t.Tid] != t {
		s.countThread(t.Pid, 1)
		s.threads[t.Tid] = t
		s.linkChild(t)
	}
	s.lastThread = nil
	s.stats.ThreadsCreated++
}

// removeThread drops tid from the table and frees it.
func (s *State) removeThread(tid int64) {
	t, ok := s.threads[tid]
	if !ok {
		return
	}
	s.procGen++
	delete(s.threads, tid)
	s.reparentChildren(t)
	s.unlinkChild(t)
	s.countThread(t.Pid, -1)
	s.lastThread = nil
	s.stats.ThreadsRemoved++
	s.freeThread(t)
}

// freeThread recycles t and, when no other thread uses it, its fd table.
func (s *State) freeThread(t *Thread) {
	s.setFDs(t, nil)
	if len(s.threadPool) < 1024 {
		s.threadPool = append(s.threadPool, t)
	}
}

// fakeThread creates the placeholder libsinsp adds for an event of an
// unknown tid: pid = tid, no parent, comm "<NA>".
func (s *State) fakeThread(tid int64) *Thread {
	if !s.threadRoom() {
		return nil
	}
	t := s.newThread(tid)
	t.comm = append(t.comm, "<NA>"...)
	t.exe = append(t.exe, "<NA>"...)
	t.rebuildCmdline()
	t.fake = true
	if e := s.epoch(); e > 0 {
		// Probably created in the gap: nothing about it is known.
		t.gapEpoch = e - 1
	}
	s.setFDs(t, s.newFDTable())
	s.addThread(t)
	s.stats.FakeThreads++
	return t
}

// threadFDs returns the fd table t uses (its process's).
func (s *State) threadFDs(t *Thread) *FDTable {
	if t.fds == nil {
		m := s.mainThread(t)
		if m.fds == nil {
			s.setFDs(m, s.newFDTable())
		}
		s.setFDs(t, m.fds)
	}
	return t.fds
}

// getFD returns fd num of t's process, the table's own entry, which the
// event may change (FDTable.writable).
func (s *State) getFD(t *Thread, num int64) *FD {
	if t == nil || num < 0 {
		return nil
	}
	return s.threadFDs(t).writable(num)
}

// Apply updates the state with ev and returns the Event view the rule
// engine and extractors use. The view and everything it points to are
// valid until the next call. stateOnly marks events the producer flagged
// SCAP_DF_STATE_ONLY.
func (s *State) Apply(ev *scap.Event, stateOnly bool) *Event {
	if s.fdTable != nil {
		s.fdTable.remove(s.fdToRemove)
		s.fdTable = nil
	}
	if s.toRemove >= 0 {
		s.removeThread(s.toRemove)
		s.toRemove = -1
	}
	s.stats.Events++
	e := &s.ev
	e.Ev = ev
	e.Num = s.stats.Events
	e.Thread, e.FD, e.FDNum = nil, nil, -1
	e.StateOnly = stateOnly
	e.enterOK = false
	e.fdNameChanged = false
	e.prevTs = s.lastTs
	if s.firstTs == 0 {
		s.firstTs = ev.Ts()
	}
	s.lastTs = ev.Ts()

	info := ev.Info()
	if info == nil {
		e.Thread = s.lookup(ev.Tid())
		return e
	}
	typ := ev.Type()
	switch typ {
	case scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E:
		s.procGen++
		s.parseContainer(e)
		return e
	}
	if info.Flags&scap.EFSkipParseReset != 0 {
		// Scheduler and procinfo events: look the thread up, change nothing.
		e.Thread = s.lookup(ev.Tid())
		return e
	}
	isClone := isCloneExit(typ, info)
	t := s.lookup(ev.Tid())
	if t == nil && !isClone && typ != scap.SchedswitchV6E {
		t = s.fakeThread(ev.Tid())
	}
	e.Thread = t
	if typ == scap.SchedswitchV6E {
		if t != nil {
			s.applySwitch(ev, t)
		}
		return e
	}
	if t == nil && !isClone {
		return e
	}

	if info.Dir == 'E' {
		s.enterEvent(e, t, info)
		return e
	}
	if t != nil {
		s.pairExit(e, t, info)
	}
	s.snapshotFDName(e)
	s.parseExit(e, info)
	s.checkFDName(e)
	if info.Flags&scap.EFModifiesState == 0 && t != nil {
		switch info.Name {
		case "brk", "mmap", "mmap2", "munmap":
			s.updateMemory(e, t, t)
		}
	} else if info.Name == "execve" || info.Name == "execveat" {
		if r, ok := e.res(); ok && r >= 0 && e.Thread != nil {
			s.updateMemory(e, e.Thread, e.Thread)
		}
	}
	return e
}

// updateMemory applies the memory and page-fault counters that execve,
// clone, brk, mmap, munmap exits and scheduler switches carry: page faults
// to t, memory sizes to vm (the main thread for switches).
func (s *State) updateMemory(e *Event, t, vm *Thread) {
	if v, ok := e.uint64Param("vm_size"); ok {
		vm.VMSize = uint32(v)
	}
	if v, ok := e.uint64Param("vm_rss"); ok {
		vm.VMRSS = uint32(v)
	}
	if v, ok := e.uint64Param("vm_swap"); ok {
		vm.VMSwap = uint32(v)
	}
	if v, ok := e.uint64Param("pgft_maj"); ok {
		t.PFMajor = v
	}
	if v, ok := e.uint64Param("pgft_min"); ok {
		t.PFMinor = v
	}
}

// snapshotFDName remembers the event's fd and its name before parsing.
func (s *State) snapshotFDName(e *Event) {
	s.oldFD = e.FD
	if e.FD != nil {
		s.oldName = append(s.oldName[:0], e.FD.name...)
	}
}

// checkFDName sets fd.name_changed: the event's fd has another name after
// parsing than before (a new fd counts as changed when it has a name).
func (s *State) checkFDName(e *Event) {
	if e.FD == nil {
		return
	}
	if e.FD != s.oldFD {
		e.fdNameChanged = len(e.FD.name) > 0
		return
	}
	e.fdNameChanged = !bytes.Equal(e.FD.name, s.oldName)
}

// isCloneExit reports whether typ is an exit of clone/fork/vfork/clone3.
func isCloneExit(typ scap.Type, info *scap.Info) bool {
	if info.Dir != 'X' {
		return false
	}
	switch info.Name {
	case "clone", "fork", "vfork", "clone3":
		return true
	}
	return false
}

// enterEvent records an enter event for pairing and resolves its fd.
func (s *State) enterEvent(e *Event, t *Thread, info *scap.Info) {
	ev := e.Ev
	if !isNoPairEnter(ev.Type()) {
		s.enterSeen[ev.Type()] = true
		t.lastEnter = append(t.lastEnter[:0], ev.Raw()...)
		t.lastEnterType = uint16(ev.Type())
		t.lastEnterOK = ev.HeaderLen() == scap.HeaderLenV2
		t.lastFD = -1
		t.latency = 0
		if info.Flags&scap.EFUsesFD != 0 {
			if fd, ok := ev.ParamInt64(0); ok && len(info.Params) > 0 && isFDParam(info.Params[0].Type) {
				t.lastFD = fd
				e.FDNum = fd
				e.FD = s.getFD(t, fd)
			}
		}
	}
	s.snapshotFDName(e)
	defer s.checkFDName(e)
	switch ev.Type() {
	case scap.ProcexitE, scap.ProcexitV1E:
		s.parseProcexit(e)
	case scap.UserAddedE, scap.GroupAddedE:
		s.procGen++
		s.parseUsers(e)
	}
}

// isNoPairEnter reports enter-only events that do not start a syscall.
func isNoPairEnter(t scap.Type) bool {
	switch t {
	case scap.ProcexitE, scap.ProcexitV1E:
		return true
	}
	return false
}

func isFDParam(t scap.ParamType) bool { return t == scap.PTFD || t == scap.PTFD32 }

// pairExit matches an exit event with the thread's last enter event and
// resolves the event's fd.
func (s *State) pairExit(e *Event, t *Thread, info *scap.Info) {
	ev := e.Ev
	if t.lastEnterType != noEnter && uint16(ev.Type()) == t.lastEnterType+1 && len(t.lastEnter) > 0 {
		v1 := !t.lastEnterOK
		if err := e.enter.Decode(t.lastEnter, v1); err == nil {
			e.enterOK = true
			if ts := e.enter.Ts(); ev.Ts() >= ts {
				t.latency = ev.Ts() - ts
			}
		}
	}
	if info.Flags&(scap.EFUsesFD) != 0 {
		fd := int64(-1)
		if i := fdParam[ev.Type()]; i >= 0 && int(i) < ev.NumParams() && info.Flags&scap.EFCreatesFD == 0 {
			if v, ok := ev.ParamInt64(int(i)); ok {
				fd = v
			}
		} else if e.enterOK || ev.Type() > 0 && s.enterSeen[ev.Type()-1] {
			// libsinsp keeps the fd of the thread's last enter event,
			// even when this exit's enter is missing. Exit-only syscalls
			// have no enter event whose fd could apply.
			fd = t.lastFD
		}
		if ev.Type() == scap.SyscallCopyFileRangeX {
			if v, ok := ev.ParamInt64(1); ok {
				fd = v
			}
		}
		if fd >= 0 {
			e.FDNum = fd
			e.FD = s.getFD(t, fd)
		}
	}
	t.lastEnterType = noEnter
}

// noFDEvent reports events whose fd is not their first parameter, which
// libsinsp 0.29's table did not mark as using an fd.
func noFDEvent(name string) bool { return name == "mmap" || name == "mmap2" }

// strict reports whether an exit whose enter is missing must be ignored for
// state, as libsinsp does, because the capture writes this syscall with
// enter events (exit-only syscalls are always applied).
func (e *Event) strict() bool {
	t := e.Ev.Type()
	return !e.enterOK && t > 0 && e.state.enterSeen[t-1]
}

// int64Param returns the named parameter as an integer (exit, then enter).
func (e *Event) int64Param(name string) (int64, bool) {
	p, ok := e.Param(name)
	if !ok {
		return 0, false
	}
	return scap.Int64(p)
}

// uint64Param returns the named parameter as an unsigned integer.
func (e *Event) uint64Param(name string) (uint64, bool) {
	p, ok := e.Param(name)
	if !ok {
		return 0, false
	}
	return scap.Uint64(p)
}

// strParam returns the named string parameter without its NUL.
func (e *Event) strParam(name string) ([]byte, bool) {
	p, ok := e.Param(name)
	if !ok {
		return nil, false
	}
	return scap.TrimNUL(p), true
}

// res returns the event's return value (first parameter named res or fd).
func (e *Event) res() (int64, bool) {
	info := e.Ev.Info()
	if info == nil || len(info.Params) == 0 || e.Ev.NumParams() == 0 {
		return 0, false
	}
	switch info.Params[0].Name {
	case "res", "fd":
		return e.Ev.ParamInt64(0)
	}
	return 0, false
}

// parseUsers handles user and group events of newer captures.
func (s *State) parseUsers(e *Event) {
	ev := e.Ev
	switch ev.Type() {
	case scap.UserAddedE:
		uid, _ := e.uint64Param("uid")
		gid, _ := e.uint64Param("gid")
		name, _ := e.strParam("name")
		home, _ := e.strParam("home")
		shell, _ := e.strParam("shell")
		s.Users.AddUser(User{UID: uint32(uid), GID: uint32(gid), Name: string(name), HomeDir: string(home), Shell: string(shell)})
	case scap.GroupAddedE:
		gid, _ := e.uint64Param("gid")
		name, _ := e.strParam("name")
		s.Users.AddGroup(Group{GID: uint32(gid), Name: string(name)})
	}
}

// trimTrailingNUL drops one trailing NUL of a NUL-separated list.
func trimTrailingNUL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == 0 {
		return b[:n-1]
	}
	return b
}

// hasPrefixSlash reports whether p is absolute.
func hasPrefixSlash(p []byte) bool { return len(p) > 0 && p[0] == '/' }

// fdParam is, per event code, the index of the parameter named "fd" or -1.
// It is computed once from the immutable scap table.
var fdParam = func() (idx [scap.NumTypes]int8) {
	for code := range idx {
		info, _ := scap.Lookup(scap.Type(code))
		idx[code] = int8(info.ParamIndex("fd"))
	}
	return idx
}()

// applySwitch applies a scheduler switch's counters: page faults to the
// thread, memory sizes to its main thread (parameters next, pgft_maj,
// pgft_min, vm_size, vm_rss, vm_swap).
func (s *State) applySwitch(ev *scap.Event, t *Thread) {
	if ev.NumParams() < 6 {
		return
	}
	t.PFMajor, _ = ev.ParamUint64(1)
	t.PFMinor, _ = ev.ParamUint64(2)
	m := s.mainThread(t)
	v, _ := ev.ParamUint64(3)
	m.VMSize = uint32(v)
	v, _ = ev.ParamUint64(4)
	m.VMRSS = uint32(v)
	v, _ = ev.ParamUint64(5)
	m.VMSwap = uint32(v)
}
