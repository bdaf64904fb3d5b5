package replay

import (
	"net/netip"
	"strconv"
)

// FDType is the kind of object a file descriptor refers to, numbered as
// libscap's scap_fd_type.
type FDType uint8

// File descriptor types (scap_fd_type).
const (
	FDUnknown     FDType = 0
	FDFile        FDType = 1
	FDDirectory   FDType = 2
	FDIPv4Sock    FDType = 3
	FDIPv6Sock    FDType = 4
	FDIPv4Server  FDType = 5
	FDIPv6Server  FDType = 6
	FDFifo        FDType = 7
	FDUnixSock    FDType = 8
	FDEvent       FDType = 9
	FDUnsupported FDType = 10
	FDSignalFD    FDType = 11
	FDEventPoll   FDType = 12
	FDInotify     FDType = 13
	FDTimerFD     FDType = 14
	FDNetlink     FDType = 15
	FDFileV2      FDType = 16
	FDBPF         FDType = 17
	FDUserfaultFD FDType = 18
	FDIOUring     FDType = 19
	FDMemFD       FDType = 20
	FDPidFD       FDType = 21
)

// TypeChar returns the one-character code fd.typechar prints.
func (t FDType) TypeChar() byte {
	switch t {
	case FDFile, FDFileV2:
		return 'f'
	case FDIPv4Sock, FDIPv4Server:
		return '4'
	case FDIPv6Sock, FDIPv6Server:
		return '6'
	case FDDirectory:
		return 'd'
	case FDFifo:
		return 'p'
	case FDUnixSock:
		return 'u'
	case FDEvent:
		return 'e'
	case FDUnknown:
		return 'o'
	case FDUnsupported:
		return 'X'
	case FDSignalFD:
		return 's'
	case FDEventPoll:
		return 'l'
	case FDInotify:
		return 'i'
	case FDTimerFD:
		return 't'
	case FDNetlink:
		return 'n'
	case FDBPF:
		return 'b'
	case FDUserfaultFD:
		return 'u'
	case FDIOUring:
		return 'r'
	case FDMemFD:
		return 'm'
	case FDPidFD:
		return 'P'
	}
	return '?'
}

// String returns the name fd.type prints ("file", "ipv4", "unix" ...), or
// "" when libsinsp has none (fd.type is then missing).
func (t FDType) String() string {
	switch t {
	case FDFile, FDFileV2:
		return "file"
	case FDDirectory:
		return "directory"
	case FDIPv4Sock, FDIPv4Server:
		return "ipv4"
	case FDIPv6Sock, FDIPv6Server:
		return "ipv6"
	case FDUnixSock:
		return "unix"
	case FDFifo:
		return "pipe"
	case FDEvent:
		return "event"
	case FDSignalFD:
		return "signalfd"
	case FDEventPoll:
		return "eventpoll"
	case FDInotify:
		return "inotify"
	case FDTimerFD:
		return "timerfd"
	case FDNetlink:
		return "netlink"
	case FDBPF:
		return "bpf"
	case FDUserfaultFD:
		return "userfaultfd"
	case FDIOUring:
		return "io_uring"
	case FDMemFD:
		return "memfd"
	case FDPidFD:
		return "pidfd"
	}
	return ""
}

// IsSocket reports whether t is an IP socket type.
func (t FDType) IsSocket() bool {
	return t == FDIPv4Sock || t == FDIPv6Sock || t == FDIPv4Server || t == FDIPv6Server
}

// L4 protocols as libscap numbers them (scap_l4_proto).
const (
	L4Unknown uint8 = 0
	L4NA      uint8 = 1
	L4TCP     uint8 = 2
	L4UDP     uint8 = 3
	L4ICMP    uint8 = 4
	L4Raw     uint8 = 5
)

// Socket roles.
const (
	roleNone uint8 = iota
	roleClient
	roleServer
)

// FD is one open file descriptor of a process.
type FD struct {
	Num  int64
	Type FDType
	// name is the resolved name (path, socket tuple...), nameRaw the path
	// as the syscall passed it.
	name    []byte
	nameRaw []byte
	// OpenFlags are the PPM_O_* flags the fd was opened with.
	OpenFlags uint32
	Dev       uint32
	Ino       uint64
	// Socket state: addresses are 4 or 16 bytes (valid per Type).
	SIP, DIP     netip.Addr
	SPort, DPort uint16
	L4Proto      uint8
	role         uint8
	connected    bool
	// unix socket endpoints
	srcPtr, dstPtr uint64
	// epoch is the number of gaps before the fd was created (gap.go).
	epoch uint32
}

// Name returns the fd's resolved name (fd.name). The slice is owned by the
// state and valid until the next event.
func (f *FD) Name() []byte { return f.name }

// NameRaw returns the fd's unresolved name (fd.nameraw).
func (f *FD) NameRaw() []byte { return f.nameRaw }

// l4 returns the l4 protocol as fd.l4proto sees it (none until the socket
// has a role, except raw sockets).
func (f *FD) l4() uint8 {
	switch f.Type {
	case FDIPv4Sock, FDIPv6Sock:
		if f.L4Proto == L4Raw {
			return L4Raw
		}
		if f.role == roleNone {
			return L4NA
		}
		return f.L4Proto
	case FDIPv4Server, FDIPv6Server:
		return f.L4Proto
	}
	return L4Unknown
}

// l4Name returns fd.l4proto's text.
func l4Name(p uint8) string {
	switch p {
	case L4TCP:
		return "tcp"
	case L4UDP:
		return "udp"
	case L4ICMP:
		return "icmp"
	case L4Raw:
		return "raw"
	}
	return ""
}

// reset clears f for reuse, keeping buffer capacity.
func (f *FD) reset(num int64, typ FDType) {
	name, raw := f.name[:0], f.nameRaw[:0]
	*f = FD{Num: num, Type: typ, name: name, nameRaw: raw}
}

// copyFrom makes f a duplicate of o under number num (dup, fork).
func (f *FD) copyFrom(o *FD, num int64) {
	name := append(f.name[:0], o.name...)
	raw := append(f.nameRaw[:0], o.nameRaw...)
	*f = *o
	f.Num, f.name, f.nameRaw = num, name, raw
}

// closeOnExec reports whether a successful execve closes f, as libsinsp
// decides it: PPM_O_CLOEXEC, or the epoll/memfd flag of those fd types.
func (f *FD) closeOnExec() bool {
	return f.OpenFlags&oCLOEXEC != 0 ||
		f.Type == FDEventPoll && f.OpenFlags&epollCLOEXEC != 0 ||
		f.Type == FDMemFD && f.OpenFlags&mfdCLOEXEC != 0
}

// setCloseOnExec clears f's close-on-exec bits (all of them, as libsinsp's
// clear_close_on_exec_bits does) and sets PPM_O_CLOEXEC when on is true.
func (f *FD) setCloseOnExec(on bool) {
	f.OpenFlags &^= oCLOEXEC | epollCLOEXEC | mfdCLOEXEC
	if on {
		f.OpenFlags |= oCLOEXEC
	}
}

// setTupleName renders the socket's addresses into its name:
// "sip:sport->dip:dport" for connected sockets, "ip:port" for servers.
func (f *FD) setTupleName() {
	f.name = appendTuple(f.name[:0], f)
}

// appendTuple renders f's socket addresses.
func appendTuple(b []byte, f *FD) []byte {
	switch f.Type {
	case FDIPv4Server, FDIPv6Server:
		b = appendAddrPort(b, f.SIP, f.SPort)
	default:
		b = appendAddrPort(b, f.SIP, f.SPort)
		b = append(b, "->"...)
		b = appendAddrPort(b, f.DIP, f.DPort)
	}
	return b
}

// appendAddrPort renders "ip:port" the way libsinsp does (IPv6 without
// brackets).
func appendAddrPort(b []byte, a netip.Addr, port uint16) []byte {
	if a.IsValid() {
		b = a.AppendTo(b)
	} else {
		b = append(b, "0.0.0.0"...)
	}
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(port), 10)
}

// FDTable is the set of open fds of one process, shared by its threads.
type FDTable struct {
	m map[int64]*FD
	// free holds FD entries for reuse.
	free *fdPool
	// refs counts the threads using the table; the last one to go
	// clears and recycles it.
	refs int
}

// setFDs makes t use the fd table ft (nil for none), releasing the table
// it used before. Every assignment of a thread's table goes through it,
// so that freeing a thread costs O(1) instead of a walk over all threads.
func (s *State) setFDs(t *Thread, ft *FDTable) {
	if t.fds == ft {
		return
	}
	if old := t.fds; old != nil {
		s.releaseFDs(old)
	}
	if ft != nil {
		ft.refs++
	}
	t.fds = ft
}

// releaseFDs drops one user of ft and, when it was the last, clears the
// table and keeps it for reuse.
func (s *State) releaseFDs(ft *FDTable) {
	ft.refs--
	if ft.refs > 0 {
		return
	}
	ft.clear()
	ft.refs = 0
	if len(s.tablePool) < 1024 {
		s.tablePool = append(s.tablePool, ft)
	}
}

// fdPool recycles FD entries across all tables of a State.
type fdPool struct {
	items []*FD
	// epoch is the number of gaps marked (gap.go): new fds get it.
	epoch uint32
}

func (p *fdPool) get() *FD {
	if n := len(p.items); n > 0 {
		f := p.items[n-1]
		p.items = p.items[:n-1]
		return f
	}
	return &FD{}
}

func (p *fdPool) put(f *FD) {
	if len(p.items) < 4096 {
		p.items = append(p.items, f)
	}
}

// Get returns the fd with number num.
func (t *FDTable) Get(num int64) (*FD, bool) {
	f, ok := t.m[num]
	return f, ok
}

// Len returns the number of open fds.
func (t *FDTable) Len() int { return len(t.m) }

// add returns a fresh entry for num, replacing any existing one.
func (t *FDTable) add(num int64, typ FDType) *FD {
	if f, ok := t.m[num]; ok {
		f.reset(num, typ)
		f.epoch = t.free.epoch
		return f
	}
	f := t.free.get()
	f.reset(num, typ)
	f.epoch = t.free.epoch
	t.m[num] = f
	return f
}

// remove closes num.
func (t *FDTable) remove(num int64) {
	if f, ok := t.m[num]; ok {
		delete(t.m, num)
		t.free.put(f)
	}
}

// clear closes every fd.
func (t *FDTable) clear() {
	for k, f := range t.m {
		delete(t.m, k)
		t.free.put(f)
	}
}

// purgeCloseOnExec closes the fds a successful execve closes.
func (t *FDTable) purgeCloseOnExec() {
	for k, f := range t.m {
		if f.closeOnExec() {
			delete(t.m, k)
			t.free.put(f)
		}
	}
}

// closeRange applies close_range(first, last, flags): with
// CLOSE_RANGE_CLOEXEC the fds in the range become close-on-exec, otherwise
// they are closed.
func (t *FDTable) closeRange(first, last, flags uint32) {
	for k, f := range t.m {
		if k < int64(first) || k > int64(last) {
			continue
		}
		if flags&closeRangeCLOEXEC != 0 {
			f.OpenFlags |= oCLOEXEC
			continue
		}
		delete(t.m, k)
		t.free.put(f)
	}
}

// copyFrom replaces t's content with copies of o's fds.
func (t *FDTable) copyFrom(o *FDTable) {
	t.clear()
	for k, f := range o.m {
		n := t.free.get()
		n.copyFrom(f, k)
		t.m[k] = n
	}
}
