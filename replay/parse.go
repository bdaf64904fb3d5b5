package replay

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
)

// exitHandler is the state update an exit event triggers, with the
// conditions under which it runs. parseExit checks the conditions, so the
// update itself does not.
type exitHandler struct {
	// parse applies the exit. res is the event's return value (parameter
	// 0) when result is not anyResult, else 0.
	parse func(s *State, e *Event, info *scap.Info, res int64)
	// result says for which return values parse runs.
	result resultGuard
	// noThread lets parse run for an event without a thread: a clone exit
	// creates it.
	noThread bool
	// withoutEnter lets parse run for an exit whose enter event was not
	// seen although the capture has enter events of its type, which
	// libsinsp ignores for all but clone and execve.
	withoutEnter bool
	// fdOnly: parse changes file descriptors and nothing of any thread,
	// so the process generation stays (ProcessGeneration).
	fdOnly bool
}

// resultGuard says for which return values an exit handler runs.
type resultGuard uint8

const (
	// anyResult runs the handler whatever the result, without reading it.
	anyResult resultGuard = iota
	// succeeded runs it for res >= 0 (an fd, a pid, 0 ...).
	succeeded
	// returnedZero runs it for res == 0 only.
	returnedZero
	// succeededOrInProgress runs it for res >= 0 and -EINPROGRESS, a
	// non-blocking connect under way.
	succeededOrInProgress
)

// einprogress is EINPROGRESS.
const einprogress = 115

// allows reports whether a handler guarded by g runs for an exit with
// result res (ok false: the result is missing or not an integer).
func (g resultGuard) allows(res int64, ok bool) bool {
	switch g {
	case succeeded:
		return ok && res >= 0
	case returnedZero:
		return ok && res == 0
	case succeededOrInProgress:
		return ok && (res >= 0 || res == -einprogress)
	}
	return true
}

// exitHandlers maps every event code to the handler of its exit, nil for
// none. It is computed once from the immutable scap table and never
// modified.
var exitHandlers = buildExitHandlers()

func buildExitHandlers() [scap.NumTypes]*exitHandler {
	// setpgid has none: sysdig 0.29.3 and libsinsp do not track it.
	// prctl only marks child subreapers: neither renames a thread on
	// prctl(PR_SET_NAME) (proc.name stays the comm of the last clone or
	// execve).
	table := []struct {
		syscalls string // evt.type names, space-separated
		exitHandler
	}{
		{"clone fork vfork clone3", exitHandler{parse: (*State).parseClone, result: succeeded, noThread: true, withoutEnter: true}},
		{"prctl", exitHandler{parse: (*State).parsePrctl, result: succeeded}},
		{"execve execveat", exitHandler{parse: (*State).parseExecve, result: succeeded, withoutEnter: true}},
		{"open openat openat2 creat open_by_handle_at", exitHandler{parse: (*State).parseOpen, result: succeeded, fdOnly: true}},
		{"socket", exitHandler{parse: (*State).parseSocket, result: succeeded, fdOnly: true}},
		{"socketpair", exitHandler{parse: (*State).parseSocketpair, result: succeeded, fdOnly: true}},
		{"bind", exitHandler{parse: (*State).parseBind, result: succeeded, fdOnly: true}},
		{"connect", exitHandler{parse: (*State).parseConnectExit, result: succeededOrInProgress, fdOnly: true}},
		{"accept accept4", exitHandler{parse: (*State).parseAccept, result: succeeded, fdOnly: true}},
		{"close", exitHandler{parse: (*State).parseClose, result: succeeded, fdOnly: true}},
		{"dup dup2 dup3", exitHandler{parse: (*State).parseDup, result: succeeded, fdOnly: true}},
		{"fcntl", exitHandler{parse: (*State).parseFcntl, result: succeeded, fdOnly: true}},
		{"pipe pipe2", exitHandler{parse: (*State).parsePipe, result: succeeded, fdOnly: true}},
		{"eventfd eventfd2 signalfd signalfd4 timerfd_create inotify_init inotify_init1 epoll_create epoll_create1 " +
			"memfd_create userfaultfd io_uring_setup bpf pidfd_open pidfd_getfd", exitHandler{parse: (*State).parseSimpleFD, result: succeeded, fdOnly: true}},
		{"chdir", exitHandler{parse: (*State).parseChdir, result: succeeded}},
		{"fchdir", exitHandler{parse: (*State).parseFchdir, result: succeeded}},
		{"setuid setresuid setreuid", exitHandler{parse: (*State).parseSetuid, result: returnedZero}},
		{"setgid setresgid setregid", exitHandler{parse: (*State).parseSetgid, result: returnedZero}},
		{"capset", exitHandler{parse: (*State).parseCapset, result: returnedZero}},
		{"setsid", exitHandler{parse: (*State).parseSetsid, result: succeeded}},
		{"chroot", exitHandler{parse: (*State).parseChroot, result: returnedZero}},
		{"sendto sendmsg recvfrom recvmsg", exitHandler{parse: (*State).parseSendRecv, result: anyResult, fdOnly: true}},
		{"close_range", exitHandler{parse: (*State).parseCloseRange, result: succeeded, fdOnly: true}},
	}
	byName := map[string]*exitHandler{}
	for i := range table {
		for _, name := range strings.Fields(table[i].syscalls) {
			byName[name] = &table[i].exitHandler
		}
	}
	var h [scap.NumTypes]*exitHandler
	for code := 0; code < scap.NumTypes; code++ {
		info, _ := scap.Lookup(scap.Type(code))
		if info.Dir != 'X' {
			continue
		}
		h[code] = byName[info.Name]
	}
	return h
}

// simpleFDTypes maps the evt.type of single-fd creating syscalls to the fd type.
func simpleFDType(name string) FDType {
	switch name {
	case "eventfd", "eventfd2":
		return FDEvent
	case "signalfd", "signalfd4":
		return FDSignalFD
	case "timerfd_create":
		return FDTimerFD
	case "inotify_init", "inotify_init1":
		return FDInotify
	case "epoll_create", "epoll_create1":
		return FDEventPoll
	case "memfd_create":
		return FDMemFD
	case "userfaultfd":
		return FDUserfaultFD
	case "io_uring_setup":
		return FDIOUring
	case "bpf":
		return FDBPF
	case "pidfd_open", "pidfd_getfd":
		return FDPidFD
	}
	return FDUnknown
}

// parseExit applies an exit event through its handler, when the event
// meets the handler's conditions.
func (s *State) parseExit(e *Event, info *scap.Info) {
	h := exitHandlers[e.Ev.Type()]
	if h == nil {
		return
	}
	if e.Thread == nil && !h.noThread {
		return
	}
	if e.strict() && !h.withoutEnter {
		// libsinsp ignores exits whose enter it did not see.
		return
	}
	var res int64
	if h.result != anyResult {
		var ok bool
		res, ok = exitResult(e.Ev, info)
		if !h.result.allows(res, ok) {
			return
		}
	}
	if !h.fdOnly {
		s.procGen++
	}
	h.parse(s, e, info, res)
}

// exitResult returns an exit event's return value, parameter 0. A dynamic
// value (older bpf exits carry an errno or an fd) counts only when it
// holds an fd.
func exitResult(ev *scap.Event, info *scap.Info) (int64, bool) {
	raw := ev.Param(0)
	if len(info.Params) > 0 && info.Params[0].Type == scap.PTDyn {
		real, val, ok := scap.DynValue(info.Params[0], raw)
		if !ok || real.Type != scap.PTFD {
			return 0, false
		}
		raw = val
	}
	return scap.Int64(raw)
}

// parseSetsid applies setsid: the new session id is the result.
func (s *State) parseSetsid(e *Event, _ *scap.Info, sid int64) {
	e.Thread.Sid = sid
}

// parseChroot applies chroot.
func (s *State) parseChroot(e *Event, _ *scap.Info, _ int64) {
	if p, ok := e.strParam("path"); ok {
		e.Thread.root = resolvePath(e.Thread.root[:0], s.cwdOf(e.Thread), p)
	}
}

// cwdOf returns the working directory of t's process.
func (s *State) cwdOf(t *Thread) []byte {
	return s.mainThread(t).cwd
}

// parseProcexit marks the thread for removal at the next event.
func (s *State) parseProcexit(e *Event) {
	if e.Thread == nil {
		return
	}
	e.Thread.dead = true
	s.toRemove = e.Thread.Tid
	e.Thread.reaperTid, _ = e.int64Param("reaper_tid")
	s.endLineage(e.Thread, e.Ev.Ts())
}

// parseClone creates the new thread of a clone/fork/vfork/clone3 exit; res
// is 0 on the child's side and the child's tid on the parent's.
func (s *State) parseClone(e *Event, _ *scap.Info, res int64) {
	ev := e.Ev
	flags64, _ := e.uint64Param("flags")
	flags := uint32(flags64)
	pidParam, _ := e.int64Param("pid")
	ptidParam, _ := e.int64Param("ptid")
	// A caller in a pid namespace gets the child's namespace pid: libsinsp
	// then waits for the child's own clone exit to create it.
	inNS := flags&clChildInPidNS != 0
	if tid, ok := e.int64Param("tid"); ok {
		if vtid, ok := e.int64Param("vtid"); ok && tid != vtid {
			inNS = true
		}
	}
	// parentTid is the thread the child copies (its creator); ptid the
	// child's parent tid: the creator for a process, the creator's
	// parent for a thread (libsinsp's clone parser;
	// docs/COMPATIBILITY.md, REPLAY-THREAD-PARENT-029).
	var childTid, parentTid int64
	ptid := int64(-1)
	if res == 0 {
		// Child side: the event's thread is the child.
		childTid = ev.Tid()
		if flags&clCloneThread != 0 {
			parentTid = pidParam
		} else {
			parentTid = ptidParam
		}
		ptid = ptidParam
		if t, ok := s.threads[childTid]; ok && !t.fake {
			if vtid, ok := e.int64Param("vtid"); ok {
				t.Vtid = vtid
			}
			if vpid, ok := e.int64Param("vpid"); ok {
				t.Vpid = vpid
			}
			e.Thread = t
			return
		}
	} else {
		childTid = res
		parentTid = ev.Tid()
		if e.Thread == nil {
			e.Thread = s.fakeThread(ev.Tid())
		}
		if t, ok := s.threads[childTid]; ok && !t.fake {
			return
		}
		if inNS {
			return
		}
	}
	if !s.threadRoom() {
		return
	}
	parent := s.threads[parentTid]
	t := s.newThread(childTid)
	switch {
	case flags&clCloneThread == 0:
		t.PTid = parentTid
	case res == 0:
		t.PTid = ptid
	case parent != nil:
		t.PTid = parent.PTid
	default:
		t.PTid = ptidParam
	}
	validParent := parent != nil && !parent.fake
	if validParent {
		t.copyProcessFrom(parent)
		t.gapEpoch = parent.gapEpoch
		if flags&clCloneThread != 0 {
			t.env = t.env[:0]
		}
	}
	exe, _ := e.strParam("exe")
	t.exe = append(t.exe[:0], exe...)
	comm, ok := e.strParam("comm")
	if !ok {
		comm = exe
	}
	args, _ := e.Param("args")
	t.setCmd(comm, args)
	t.Flags = flags
	if flags&clCloneThread != 0 {
		t.Pid = pidParam
	} else {
		t.Pid = childTid
	}
	if fl, ok := e.int64Param("fdlimit"); ok {
		t.FDLimit = fl
	}
	if uid, ok := e.uint64Param("uid"); ok {
		t.UID = uint32(uid)
	}
	if gid, ok := e.uint64Param("gid"); ok {
		t.GID = uint32(gid)
	}
	// The vtid and vpid parameters are the event thread's own: the
	// child's on its side; on the caller's side the child keeps its host
	// ids until its own exit (libsinsp's clone parser).
	t.Vtid, t.Vpid = childTid, t.Pid
	if res == 0 {
		if v, ok := e.int64Param("vtid"); ok {
			t.Vtid = v
		}
		if v, ok := e.int64Param("vpid"); ok {
			t.Vpid = v
		}
	}
	if v, ok := e.uint64Param("pidns_init_start_ts"); ok {
		t.PidnsInitStart = v
	}
	if cg, ok := e.Param("cgroups"); ok {
		s.setCgroups(t, cg)
	}
	if cwd, ok := e.strParam("cwd"); ok && !validParent {
		t.setCwd(cwd)
	}
	t.CloneTs = ev.Ts()
	s.updateMemory(e, t, t)
	// fd table: threads share the process's; processes get a copy.
	if flags&clCloneThread != 0 {
		if m, ok := s.threads[t.Pid]; ok {
			s.setFDs(t, s.threadFDs(m))
		} else if parent != nil {
			s.setFDs(t, s.threadFDs(parent))
		} else {
			s.setFDs(t, s.newFDTable())
		}
	} else {
		s.setFDs(t, s.newFDTable())
		if parent != nil {
			t.fds.copyFrom(s.threadFDs(parent))
		}
	}
	s.addThread(t)
	s.forkLineage(t)
	if res == 0 {
		e.Thread = t
	}
}

// setCgroups stores t's cgroups, with subsystem names normalized as
// libsinsp does ("_cgroup" suffix dropped, io -> blkio, perf -> perf_event,
// mem -> memory), and derives its container.
func (s *State) setCgroups(t *Thread, cg []byte) {
	// Most execs and clones carry the cgroups of the one before: the
	// last answer is kept.
	c := &s.lastCgroups
	if !c.valid || !bytes.Equal(c.raw, cg) {
		c.raw = append(c.raw[:0], cg...)
		c.norm = normalizeCgroups(c.norm[:0], cg)
		c.id, c.typ, c.ok = container.IDFromCgroups(cg)
		c.valid = true
	}
	t.cgroups = append(t.cgroups[:0], c.norm...)
	if c.ok {
		t.ContainerID, t.ContainerType = c.id, c.typ
		s.Containers.Ensure(c.id, c.typ)
	} else {
		t.ContainerID, t.ContainerType = "", container.TypeHost
	}
}

// parseExecve applies a successful execve/execveat exit.
func (s *State) parseExecve(e *Event, _ *scap.Info, _ int64) {
	ev := e.Ev
	t := e.Thread
	t.fake = false
	t.gapEpoch = s.epoch() // the exec carries the whole image
	// The kernel closed the close-on-exec fds (libsinsp purges them too).
	s.threadFDs(t).purgeCloseOnExec()
	exe, _ := e.strParam("exe")
	t.exe = append(t.exe[:0], exe...)
	comm, ok := ev.ParamByName("comm")
	if ok {
		comm = scap.TrimNUL(comm)
	} else {
		comm = exe
	}
	args, _ := ev.ParamByName("args")
	t.setCmd(comm, args)
	if pid, ok := ev.ParamByName("pid"); ok {
		if v, ok := scap.Int64(pid); ok {
			s.setPid(t, v)
		}
	}
	if t.PTid == -1 {
		if v, ok := e.int64Param("ptid"); ok {
			s.setPTid(t, v)
		}
	}
	if v, ok := e.int64Param("fdlimit"); ok {
		t.FDLimit = v
	}
	if env, ok := ev.ParamByName("env"); ok {
		t.env = append(t.env[:0], env...)
	}
	if cg, ok := ev.ParamByName("cgroups"); ok {
		s.setCgroups(t, cg)
	}
	if v, ok := ev.ParamByName("tty"); ok {
		if x, ok := scap.Int64(v); ok {
			t.Tty = uint32(x)
		}
	}
	// exepath: the trusted path when the producer sends it, else the
	// enter event's filename resolved against the cwd.
	if p, ok := ev.ParamByName("trusted_exepath"); ok && len(scap.TrimNUL(p)) > 0 {
		t.exePath = append(t.exePath[:0], scap.TrimNUL(p)...)
	} else if e.enterOK {
		switch ev.Type() {
		case scap.SyscallExecveatX:
			if p, ok := e.enter.ParamByName("pathname"); ok {
				dirfd, _ := e.enter.ParamInt64(0)
				t.exePath = s.resolveAt(t.exePath[:0], t, dirfd, scap.TrimNUL(p))
			}
		default:
			if p, ok := e.enter.ParamByName("filename"); ok {
				p = scap.TrimNUL(p)
				if bytes.HasPrefix(p, []byte("<NA>")) {
					t.exePath = append(t.exePath[:0], "<NA>"...)
				} else {
					t.exePath = resolvePath(t.exePath[:0], s.cwdOf(t), p)
				}
			}
		}
	} else if p, ok := ev.ParamByName("filename"); ok && len(scap.TrimNUL(p)) > 0 {
		t.exePath = resolvePath(t.exePath[:0], s.cwdOf(t), scap.TrimNUL(p))
	}
	if v, ok := ev.ParamByName("vpgid"); ok {
		if x, ok := scap.Int64(v); ok {
			t.Vpgid = x
		}
	}
	if v, ok := ev.ParamByName("pgid"); ok {
		if x, ok := scap.Int64(v); ok {
			t.Pgid = x
		}
	}
	if v, ok := ev.ParamByName("loginuid"); ok {
		if x, ok := scap.Uint64(v); ok {
			t.LoginUID = uint32(x)
		}
	}
	if v, ok := ev.ParamByName("flags"); ok {
		if x, ok := scap.Uint64(v); ok {
			t.ExeFlags = uint32(x)
		}
	}
	ci, ok1 := ev.ParamByName("cap_inheritable")
	cp, ok2 := ev.ParamByName("cap_permitted")
	ce, ok3 := ev.ParamByName("cap_effective")
	if ok1 && ok2 && ok3 {
		t.CapInheritable, _ = scap.Uint64(ci)
		t.CapPermitted, _ = scap.Uint64(cp)
		t.CapEffective, _ = scap.Uint64(ce)
		t.CapsKnown = true
	}
	if v, ok := ev.ParamByName("exe_ino"); ok {
		t.ExeIno, _ = scap.Uint64(v)
	}
	if v, ok := ev.ParamByName("exe_ino_ctime"); ok {
		t.ExeCtime, _ = scap.Uint64(v)
	}
	if v, ok := ev.ParamByName("exe_ino_mtime"); ok {
		t.ExeMtime, _ = scap.Uint64(v)
	}
	if v, ok := ev.ParamByName("uid"); ok {
		if x, ok := scap.Uint64(v); ok {
			t.UID = uint32(x)
		}
	}
	if v, ok := ev.ParamByName("gid"); ok {
		if x, ok := scap.Uint64(v); ok {
			t.GID = uint32(x)
		}
	}
	s.execLineage(e, t)
}

// resolveAt resolves path p relative to dirfd of t (AT_FDCWD = cwd).
func (s *State) resolveAt(dst []byte, t *Thread, dirfd int64, p []byte) []byte {
	if hasPrefixSlash(p) {
		return resolvePath(dst, nil, p)
	}
	if dirfd == atFDCWD {
		return resolvePath(dst, s.cwdOf(t), p)
	}
	if f := s.getFD(t, dirfd); f != nil {
		return resolvePath(dst, f.name, p)
	}
	return resolvePath(dst, nil, p)
}

// atFDCWD is PPM_AT_FDCWD.
const atFDCWD = -100

// parseOpen adds the fd an open/openat/openat2/creat/open_by_handle_at
// exit created.
func (s *State) parseOpen(e *Event, info *scap.Info, fd int64) {
	t := e.Thread
	var name []byte
	var flags uint32
	dirfd := int64(atFDCWD)
	switch info.Name {
	case "creat":
		name, _ = e.strParam("name")
		flags = oCREAT | oWRONLY
	case "open_by_handle_at":
		name, _ = e.strParam("path")
		f, _ := e.uint64Param("flags")
		flags = uint32(f)
	default:
		name, _ = e.strParam("name")
		f, _ := e.uint64Param("flags")
		flags = uint32(f)
		if info.Name != "open" {
			if d, ok := e.int64Param("dirfd"); ok {
				dirfd = d
			}
		}
	}
	typ := FDFile
	if flags&oDIRECTORY != 0 {
		typ = FDDirectory
	}
	ft := s.threadFDs(t)
	f := ft.add(fd, typ)
	f.nameRaw = append(f.nameRaw[:0], name...)
	if info.Name == "open_by_handle_at" {
		f.name = append(f.name[:0], name...)
	} else {
		f.name = s.resolveAt(f.name[:0], t, dirfd, name)
	}
	f.OpenFlags = flags
	if v, ok := e.uint64Param("dev"); ok {
		f.Dev = uint32(v)
	}
	if v, ok := e.uint64Param("ino"); ok {
		f.Ino = v
	}
	e.FD, e.FDNum = f, fd
	e.Thread.lastFD = fd
}

// Socket types and IP protocols (not converted by the driver).
const (
	sockStream  = 1
	sockDgram   = 2
	sockRaw     = 3
	ipprotoIP   = 0
	ipprotoICMP = 1
	ipprotoTCP  = 6
	ipprotoUDP  = 17
	ipprotoRaw  = 255
)

// parseSocket adds the fd a socket exit created.
func (s *State) parseSocket(e *Event, _ *scap.Info, fd int64) {
	domain, ok1 := e.uint64Param("domain")
	typ, ok2 := e.uint64Param("type")
	proto, ok3 := e.uint64Param("proto")
	if !ok1 || !ok2 || !ok3 {
		return
	}
	f := s.addSocket(e.Thread, fd, uint32(domain), uint32(typ), uint32(proto))
	if fl, ok := e.uint64Param("flags"); ok {
		// PPM_O_* flags the driver derived from SOCK_CLOEXEC/SOCK_NONBLOCK.
		f.OpenFlags = uint32(fl)
	}
	e.FD, e.FDNum = f, fd
	e.Thread.lastFD = fd
}

// addSocket creates a socket fd as libsinsp does (type from the domain,
// l4 protocol from type and protocol).
func (s *State) addSocket(t *Thread, fd int64, domain32, typ, proto uint32) *FD {
	ft := s.threadFDs(t)
	domain := uint8(domain32)
	if domain32 > 0xff {
		domain = 0 // AF_UNSPEC: no family libsinsp knows
	}
	var ftyp FDType
	switch domain {
	case afUnix:
		ftyp = FDUnixSock
	case afInet:
		ftyp = FDIPv4Sock
	case afInet6:
		ftyp = FDIPv6Sock
	case afNetlink:
		ftyp = FDNetlink
	default:
		ftyp = FDUnknown
	}
	f := ft.add(fd, ftyp)
	if domain == afInet || domain == afInet6 {
		l4 := L4Unknown
		switch proto {
		case ipprotoTCP:
			l4 = L4TCP
			if typ == sockRaw {
				l4 = L4Raw
			}
		case ipprotoUDP:
			l4 = L4UDP
			if typ == sockRaw {
				l4 = L4Raw
			}
		case ipprotoIP:
			switch typ & 0xff {
			case sockStream:
				l4 = L4TCP
			case sockDgram:
				l4 = L4UDP
			}
		case ipprotoICMP:
			l4 = L4ICMP
			if typ == sockRaw {
				l4 = L4Raw
			}
		case ipprotoRaw:
			l4 = L4Raw
		}
		f.L4Proto = l4
	}
	return f
}

// parseSocketpair adds the two fds of a socketpair exit.
func (s *State) parseSocketpair(e *Event, _ *scap.Info, _ int64) {
	fd1, ok1 := e.int64Param("fd1")
	fd2, ok2 := e.int64Param("fd2")
	if !ok1 || !ok2 {
		return
	}
	src, _ := e.uint64Param("source")
	dst, _ := e.uint64Param("peer")
	ft := s.threadFDs(e.Thread)
	for _, fd := range [2]int64{fd1, fd2} {
		f := ft.add(fd, FDUnixSock)
		f.srcPtr, f.dstPtr = src, dst
	}
}

// parseBind records a socket's local address.
func (s *State) parseBind(e *Event, _ *scap.Info, _ int64) {
	f := e.FD
	if f == nil {
		return
	}
	p, ok := e.Ev.ParamByName("addr")
	if !ok || len(p) == 0 {
		return
	}
	sa, ok := scap.ParseSockAddr(p)
	if !ok {
		return
	}
	switch sa.Family {
	case afInet, afInet6:
		if sa.Port > 0 {
			a := sa.Addr
			if v4, ok := libsUnmap(a); ok {
				a = v4
				f.Type = FDIPv4Server
			} else if sa.Family == afInet {
				f.Type = FDIPv4Server
			} else {
				f.Type = FDIPv6Server
			}
			f.SIP, f.SPort = a, sa.Port
			f.role = roleServer
		}
		f.name = appendAddrPort(f.name[:0], sa.Addr.Unmap(), sa.Port)
		if sa.Family == afInet6 && !sa.Addr.Is4In6() {
			f.name = appendAddrPort(f.name[:0], sa.Addr, sa.Port)
		}
	case afUnix:
		f.name = append(f.name[:0], sa.Path...)
	}
}

// libsUnmap returns the IPv4 address libsinsp reads in an IPv6 one: an
// IPv4-mapped address (::ffff:a.b.c.d) gives a.b.c.d, and the unspecified
// address :: gives 0.0.0.0, because sinsp_utils::is_ipv4_mapped_ipv6 also
// takes an all-zero address for IPv4 (a socket bound to :: is an IPv4
// server socket on 0.0.0.0 for libsinsp, fd.type ipv4).
func libsUnmap(a netip.Addr) (netip.Addr, bool) {
	switch {
	case a.Is4In6():
		return a.Unmap(), true
	case a == netip.IPv6Unspecified():
		return netip.IPv4Unspecified(), true
	}
	return a, false
}

// parseConnectExit records a socket's endpoints after connect.
func (s *State) parseConnectExit(e *Event, _ *scap.Info, _ int64) {
	f := e.FD
	if f == nil {
		return
	}
	f.connected = true
	p, ok := e.Ev.ParamByName("tuple")
	if !ok || len(p) == 0 {
		return
	}
	s.fillClientSocket(e, f, p)
}

// fillClientSocket sets a socket's addresses from a connect SOCKTUPLE:
// the source always, the destination only when the socket has none yet, as
// libsinsp does.
func (s *State) fillClientSocket(e *Event, f *FD, p []byte) {
	changed, ok := s.updateSocket(f, p, false)
	if !ok {
		return
	}
	if f.Type == FDIPv4Sock || f.Type == FDIPv6Sock {
		if changed && f.role == roleServer && f.L4Proto == L4UDP {
			swapEnds(f)
		}
		f.setTupleName()
	}
	if f.role == roleNone {
		f.role = roleClient
	}
}

// updateSocket applies an IP or unix SOCKTUPLE to f. It reports whether
// the addresses changed, and ok false for an unusable tuple.
func (s *State) updateSocket(f *FD, p []byte, overwriteDest bool) (changed, ok bool) {
	st, ok := scap.ParseSockTuple(p)
	if !ok {
		return false, false
	}
	switch st.Family {
	case afInet, afInet6:
		sip, dip := st.SrcAddr, st.DstAddr
		typ := FDIPv4Sock
		if st.Family == afInet6 {
			if sip4, ok := libsUnmap(sip); ok {
				if dip4, ok := libsUnmap(dip); ok {
					sip, dip = sip4, dip4
				} else {
					typ = FDIPv6Sock
				}
			} else {
				typ = FDIPv6Sock
			}
		}
		if f.Type == FDIPv4Server || f.Type == FDIPv6Server {
			f.SIP, f.SPort = netip.Addr{}, 0
		}
		if f.Type == typ && (f.SIP == sip && f.SPort == st.SrcPort && f.DIP == dip && f.DPort == st.DstPort ||
			f.SIP == dip && f.SPort == st.DstPort && f.DIP == sip && f.DPort == st.SrcPort) {
			return false, true
		}
		f.Type = typ
		if f.SIP != sip || f.SPort != st.SrcPort {
			f.SIP, f.SPort = sip, st.SrcPort
			changed = true
		}
		if !f.DIP.IsValid() || f.DIP.IsUnspecified() || overwriteDest && f.DIP != dip {
			f.DIP = dip
			changed = true
		}
		if f.DPort == 0 || overwriteDest && f.DPort != st.DstPort {
			f.DPort = st.DstPort
			changed = true
		}
		if (!f.SIP.IsValid() || f.SIP.IsUnspecified()) && f.DIP.IsLoopback() {
			// An unbound source is inferred from a loopback
			// destination, as libsinsp does.
			f.SIP = f.DIP
		}
		return changed, true
	case afUnix:
		f.Type = FDUnixSock
		f.srcPtr, f.dstPtr = st.SrcPtr, st.DstPtr
		f.name = appendUnixTuple(f.name[:0], st.SrcPtr, st.DstPtr, st.Path)
		return true, true
	}
	return false, false
}

// swapEnds exchanges a socket's source and destination.
func swapEnds(f *FD) {
	f.SIP, f.DIP = f.DIP, f.SIP
	f.SPort, f.DPort = f.DPort, f.SPort
}

// appendUnixTuple renders a unix socket tuple as libsinsp prints it:
// "<src ptr hex>-><dst ptr hex> <path>".
func appendUnixTuple(b []byte, src, dst uint64, path []byte) []byte {
	b = appendHex(b, src)
	b = append(b, "->"...)
	b = appendHex(b, dst)
	b = append(b, ' ')
	return append(b, path...)
}

// appendHex renders v in lower-case hex without prefix.
func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	if v == 0 {
		return append(b, '0')
	}
	var tmp [16]byte
	i := len(tmp)
	for v > 0 {
		i--
		tmp[i] = digits[v&0xf]
		v >>= 4
	}
	return append(b, tmp[i:]...)
}

// parseAccept adds the connected fd an accept exit returned.
func (s *State) parseAccept(e *Event, _ *scap.Info, fd int64) {
	t := e.Thread
	p, _ := e.Ev.ParamByName("tuple")
	ft := s.threadFDs(t)
	st, ok := scap.ParseSockTuple(p)
	if !ok {
		return
	}
	var f *FD
	switch st.Family {
	case afInet, afInet6:
		typ := FDIPv4Sock
		sip, dip := st.SrcAddr, st.DstAddr
		if st.Family == afInet6 {
			if sip4, ok := libsUnmap(sip); ok {
				if dip4, ok := libsUnmap(dip); ok {
					sip, dip = sip4, dip4
				} else {
					typ = FDIPv6Sock
				}
			} else {
				typ = FDIPv6Sock
			}
		}
		f = ft.add(fd, typ)
		f.SIP, f.SPort, f.DIP, f.DPort = sip, st.SrcPort, dip, st.DstPort
		f.L4Proto = L4TCP
		f.setTupleName()
	case afUnix:
		f = ft.add(fd, FDUnixSock)
		f.srcPtr, f.dstPtr = st.SrcPtr, st.DstPtr
		f.name = appendUnixTuple(f.name[:0], st.SrcPtr, st.DstPtr, st.Path)
	default:
		f = ft.add(fd, FDUnknown)
	}
	f.role = roleServer
	f.connected = true
	if e.Ev.Type() == scap.SocketAccept4V6X {
		if fl, ok := e.int64Param("flags"); ok {
			f.OpenFlags = uint32(fl) & oCLOEXEC
		}
	}
	e.FD, e.FDNum = f, fd
	e.Thread.lastFD = fd
}

// parseClose removes a closed fd.
func (s *State) parseClose(e *Event, _ *scap.Info, _ int64) {
	if e.FDNum < 0 {
		return
	}
	if s.fdTable != nil {
		s.fdTable.remove(s.fdToRemove)
	}
	s.fdTable, s.fdToRemove = s.threadFDs(e.Thread), e.FDNum
}

// parseDup copies an fd (dup, dup2, dup3, fcntl F_DUPFD); the event's fd
// becomes the new descriptor, as for the other fd-creating syscalls.
func (s *State) parseDup(e *Event, _ *scap.Info, res int64) {
	cloexec := false
	if e.Ev.Type() == scap.SyscallDup3X {
		fl, _ := e.uint64Param("flags")
		cloexec = uint32(fl)&oCLOEXEC != 0
	}
	s.dupFD(e, res, cloexec)
}

// dupFD copies the event's source fd to the returned number res; the copy
// is close-on-exec when cloexec is true.
func (s *State) dupFD(e *Event, res int64, cloexec bool) {
	var old *FD
	if v, ok := e.Ev.ParamByName("oldfd"); ok {
		// Current events name the source themselves.
		if fd, ok := scap.Int64(v); ok {
			old = s.getFD(e.Thread, fd)
		}
	} else if v, ok := e.int64Param("fd"); ok {
		old = s.getFD(e.Thread, v)
	} else {
		old = e.FD
	}
	if old == nil {
		return
	}
	if res == old.Num {
		// dup2(fd, fd) changes nothing, not even FD_CLOEXEC.
		e.FD, e.FDNum = old, res
		e.Thread.lastFD = res
		return
	}
	ft := s.threadFDs(e.Thread)
	tmp := *old // copy before add may reuse the entry
	f := ft.add(res, old.Type)
	nameBuf, rawBuf := f.name, f.nameRaw
	*f = tmp
	f.Num = res
	f.name = append(nameBuf[:0], tmp.name...)
	f.nameRaw = append(rawBuf[:0], tmp.nameRaw...)
	// The copy is not close-on-exec unless dup3 or F_DUPFD_CLOEXEC asked.
	f.setCloseOnExec(cloexec)
	e.FD, e.FDNum = f, res
	e.Thread.lastFD = res
	// The copy keeps the source's name, so the event does not change the
	// name of its fd: libsinsp clones the source fdinfo, old name included,
	// and fd.name_changed stays false.
	s.oldFD, s.oldName = f, append(s.oldName[:0], f.name...)
}

// parseFcntl handles F_DUPFD, F_DUPFD_CLOEXEC and F_SETFD.
func (s *State) parseFcntl(e *Event, _ *scap.Info, res int64) {
	cmd64, ok := e.uint64Param("cmd")
	if !ok {
		return
	}
	switch cmd := uint32(cmd64); cmd {
	case fcntlDupFD, fcntlDupFDCloexec:
		s.dupFD(e, res, cmd == fcntlDupFDCloexec)
	case fcntlSetFD:
		if e.FD == nil {
			return
		}
		arg, ok := e.uint64Param("arg")
		if !ok {
			// An exit without the argument: keep what is known.
			return
		}
		e.FD.setCloseOnExec(arg&fdCloexec != 0)
	}
}

// parseCloseRange applies close_range.
func (s *State) parseCloseRange(e *Event, _ *scap.Info, _ int64) {
	first, ok1 := e.uint64Param("first")
	last, ok2 := e.uint64Param("last")
	flags, _ := e.uint64Param("flags")
	if !ok1 || !ok2 {
		return
	}
	s.threadFDs(e.Thread).closeRange(uint32(first), uint32(last), uint32(flags))
}

// parsePipe adds the two fds of a pipe.
func (s *State) parsePipe(e *Event, _ *scap.Info, _ int64) {
	fd1, ok1 := e.int64Param("fd1")
	fd2, ok2 := e.int64Param("fd2")
	if !ok1 || !ok2 {
		return
	}
	ino, _ := e.uint64Param("ino")
	flags, _ := e.uint64Param("flags") // pipe2 only
	ft := s.threadFDs(e.Thread)
	for _, fd := range [2]int64{fd1, fd2} {
		f := ft.add(fd, FDFifo)
		f.Ino = ino
		f.OpenFlags = uint32(flags)
		e.FD, e.FDNum = f, fd
	}
	e.Thread.lastFD = fd2
}

// parseSimpleFD adds the fd of eventfd, signalfd, timerfd, inotify, epoll,
// memfd, userfaultfd, io_uring, bpf and pidfd syscalls.
func (s *State) parseSimpleFD(e *Event, info *scap.Info, fd int64) {
	typ := simpleFDType(info.Name)
	f := s.threadFDs(e.Thread).add(fd, typ)
	switch info.Name {
	case "eventfd2", "inotify_init1", "signalfd4", "timerfd_create", "memfd_create", "pidfd_open":
		// Flags as libsinsp keeps them; closeOnExec reads the right bit.
		if fl, ok := e.uint64Param("flags"); ok {
			f.OpenFlags = uint32(fl)
		}
	case "epoll_create1":
		fl, _ := e.uint64Param("flags")
		f.setCloseOnExec(uint32(fl)&epollCLOEXEC != 0)
	case "pidfd_getfd":
		f.setCloseOnExec(true)
	}
	if typ == FDMemFD {
		if name, ok := e.strParam("name"); ok {
			f.name = append(append(f.name[:0], "memfd:"...), name...)
		}
	}
	e.FD, e.FDNum = f, fd
	e.Thread.lastFD = fd
}

// parseChdir updates the working directory.
func (s *State) parseChdir(e *Event, _ *scap.Info, _ int64) {
	p, ok := e.strParam("path")
	if !ok {
		return
	}
	m := s.mainThread(e.Thread)
	buf := resolvePath(s.scratch[:0], m.cwd, p)
	m.setCwd(buf)
	s.scratch = buf[:0]
	if e.Thread != m {
		e.Thread.setCwd(m.cwd)
	}
}

// parseFchdir sets the working directory to an fd's directory.
func (s *State) parseFchdir(e *Event, _ *scap.Info, _ int64) {
	if e.FD == nil {
		return
	}
	m := s.mainThread(e.Thread)
	m.setCwd(e.FD.name)
	if e.Thread != m {
		e.Thread.setCwd(m.cwd)
	}
}

// parseSetuid applies setuid/setresuid/setreuid.
func (s *State) parseSetuid(e *Event, _ *scap.Info, _ int64) { s.parseSetid(e, true) }

// parseSetgid applies setgid/setresgid/setregid.
func (s *State) parseSetgid(e *Event, _ *scap.Info, _ int64) { s.parseSetid(e, false) }

// parseSetid applies setuid/setresuid/setreuid or the gid variants.
func (s *State) parseSetid(e *Event, uid bool) {
	var names []string
	if uid {
		names = []string{"euid", "uid"}
	} else {
		names = []string{"egid", "gid"}
	}
	for _, n := range names {
		if v, ok := e.uint64Param(n); ok {
			if uint32(v) == noID {
				return
			}
			if uid {
				e.Thread.UID = uint32(v)
			} else {
				e.Thread.GID = uint32(v)
			}
			return
		}
	}
}

// parseCapset applies capset.
func (s *State) parseCapset(e *Event, _ *scap.Info, _ int64) {
	ci, ok1 := e.uint64Param("cap_inheritable")
	cp, ok2 := e.uint64Param("cap_permitted")
	ce, ok3 := e.uint64Param("cap_effective")
	if ok1 && ok2 && ok3 {
		t := e.Thread
		t.CapInheritable, t.CapPermitted, t.CapEffective, t.CapsKnown = ci, cp, ce, true
	}
}

// parseSendRecv updates a socket's tuple from sendto/sendmsg (enter) or
// recvfrom/recvmsg (exit) when the socket has no name yet or is not TCP.
func (s *State) parseSendRecv(e *Event, _ *scap.Info, _ int64) {
	f := e.FD
	if f == nil {
		return
	}
	if f.Type == FDIPv4Sock || f.Type == FDIPv6Sock {
		f.connected = true
	}
	if len(f.name) > 0 && f.l4() == L4TCP {
		return
	}
	info := e.Ev.Info()
	recv := info.Flags&scap.EFReadsFromFD != 0
	var p []byte
	var ok bool
	if recv {
		p, ok = e.Ev.ParamByName("tuple")
	} else if e.enterOK {
		p, ok = e.enter.ParamByName("tuple")
	}
	if !ok || len(p) == 0 {
		return
	}
	changed, ok := s.updateSocket(f, p, true)
	if !ok || !changed {
		return
	}
	if f.Type == FDIPv4Sock || f.Type == FDIPv6Sock {
		if f.role == roleNone {
			// libsinsp's guess (set_net_role_by_guessing): the process
			// owns both ports of the tuple just stored, so the first
			// direction decides: a socket that receives first is a
			// server's (a UDP server's recvfrom), one that sends first a
			// client's.
			f.role = roleClient
			if recv {
				f.role = roleServer
			}
		}
		if recv && f.role == roleClient || !recv && f.role == roleServer {
			swapEnds(f)
		}
		if f.L4Proto == L4Unknown {
			f.L4Proto = L4UDP
		}
		f.setTupleName()
	}
}

// parseContainer applies a container event and attributes it to the
// container's synthetic thread.
func (s *State) parseContainer(e *Event) {
	info, ok := container.FromEvent(e.Ev)
	if !ok {
		return
	}
	s.Containers.Put(info)
	t, ok := s.containerThreads[info.ID]
	if !ok {
		t = s.newThread(-1)
		t.Pid, t.Vtid, t.Vpid = -1, -2, -2
		t.UID, t.GID, t.PTid = 0, 0, 0
		t.comm = append(append(t.comm[:0], "container:"...), info.ID...)
		t.rebuildCmdline()
		t.ContainerID, t.ContainerType = info.ID, info.Type
		s.setFDs(t, s.newFDTable())
		s.containerThreads[info.ID] = t
	}
	e.Thread = t
}

// normalizeCgroups appends cg to dst with libsinsp's subsystem names.
func normalizeCgroups(dst, cg []byte) []byte {
	for len(cg) > 0 {
		var entry []byte
		if i := bytes.IndexByte(cg, 0); i >= 0 {
			entry, cg = cg[:i], cg[i+1:]
		} else {
			entry, cg = cg, nil
		}
		if len(entry) == 0 {
			continue
		}
		eq := bytes.IndexByte(entry, '=')
		if eq < 0 {
			dst = append(append(dst, entry...), 0)
			continue
		}
		sub := bytes.TrimSuffix(entry[:eq], []byte("_cgroup"))
		switch string(sub) {
		case "io":
			sub = []byte("blkio")
		case "perf":
			sub = []byte("perf_event")
		case "mem":
			sub = []byte("memory")
		}
		dst = append(dst, sub...)
		dst = append(append(dst, entry[eq:]...), 0)
	}
	return dst
}
