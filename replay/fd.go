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
//
// A forked child's table shares its parent's fds copy-on-write instead of
// copying them (a shell holding hundreds of fds forks thousands of
// children, most of which change a few fds and exec): the entries the
// parent had at the fork are frozen in an [fdSet], the base both tables
// then read through, and each table keeps its own changes in an overlay
// (own). A nil entry in an overlay or set marks an fd of the sets below it
// that was closed. Sets are layered (a shell forked from a shell freezes
// only its own changes on top of its parent's set) up to maxFDLayers, past
// which a fork flattens the chain. An entry is copied into the overlay the
// first time it is looked up for an event or changed, so an *FD handed out
// by [State.getFD] or add is always the table's own and sets never change.
// When only one table is left on a set, the table's next change folds its
// overlay into the set and takes the set's map back.
type FDTable struct {
	// own holds the table's fds, or its changes to base (nil values:
	// fds of base the table closed).
	own map[int64]*FD
	// base holds the fds shared with other tables (nil: none).
	base *fdSet
	// n is the number of open fds.
	n int
	// free holds FD entries for reuse.
	free *fdPool
	// refs counts the threads using the table; the last one to go
	// clears and recycles it.
	refs int
}

// maxFDLayers bounds the chain of sets a table reads through (a process
// that forks, changes an fd and forks again while its children live adds
// a layer per fork).
const maxFDLayers = 16

// fdSet is a frozen layer of fd entries shared by the tables of processes
// forked from one another: the changes of one table on top of parent, or
// a whole table when parent is nil. It does not change while it is a set.
type fdSet struct {
	m      map[int64]*FD
	parent *fdSet
	// refs counts the tables and sets on top of this one.
	refs int
	// depth is the number of sets in the chain from this one down.
	depth int
	// cloexec lists the open fds of the chain that a successful execve
	// closes, computed when first needed (cloexecKnown).
	cloexec      []int64
	cloexecKnown bool
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

// fdPool recycles FD entries and sets across all tables of a State, and
// counts open fds against the fd bounds.
type fdPool struct {
	items []*FD
	sets  []*fdSet
	// maxLayers overrides maxFDLayers (tests).
	maxLayers int
	// epoch is the number of gaps marked (gap.go): new fds get it.
	epoch uint32
	// open counts the open fds of all tables (an fd a fork shares counts
	// once per table); maxProcess and maxTotal are the bounds,
	// processOver and totalOver count the fds they left out.
	open                   int
	maxProcess, maxTotal   int
	processOver, totalOver boundCounter
	// events is the state's event count, the position of a refusal.
	events *uint64
	// untracked is the entry handed out for an fd over a bound: callers
	// fill it for the current event, and no table holds it.
	untracked FD
}

// room reports whether table t may open one more fd, counting a refusal
// when it may not. A pool's zero bounds are the defaults.
func (p *fdPool) room(t *FDTable) bool {
	if p.maxProcess == 0 {
		p.maxProcess, p.maxTotal = DefaultMaxProcessFDs, DefaultMaxTotalFDs
	}
	if t.n < p.maxProcess && p.open < p.maxTotal {
		return true
	}
	var event uint64
	if p.events != nil {
		event = *p.events
	}
	if t.n >= p.maxProcess {
		p.processOver.hit(event)
	} else {
		p.totalOver.hit(event)
	}
	return false
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
	if f != nil && len(p.items) < 4096 {
		p.items = append(p.items, f)
	}
}

// getSet returns an empty set with one user on top of parent, whose
// reference the caller hands over.
func (p *fdPool) getSet(parent *fdSet) *fdSet {
	var fs *fdSet
	if n := len(p.sets); n > 0 {
		fs = p.sets[n-1]
		p.sets = p.sets[:n-1]
	} else {
		fs = &fdSet{m: map[int64]*FD{}}
	}
	fs.refs, fs.parent, fs.depth = 1, parent, 1
	if parent != nil {
		fs.depth = parent.depth + 1
	}
	return fs
}

// putSet recycles fs, whose map must be empty.
func (p *fdPool) putSet(fs *fdSet) {
	fs.parent, fs.cloexec, fs.cloexecKnown = nil, fs.cloexec[:0], false
	if len(p.sets) < 1024 {
		p.sets = append(p.sets, fs)
	}
}

// release drops one user of fs; the last user recycles its entries and
// releases the set below.
func (p *fdPool) release(fs *fdSet) {
	for fs != nil {
		fs.refs--
		if fs.refs > 0 {
			return
		}
		for k, f := range fs.m {
			delete(fs.m, k)
			p.put(f)
		}
		next := fs.parent
		p.putSet(fs)
		fs = next
	}
}

// lookupIn returns fd num as the chain from fs down has it.
func (fs *fdSet) lookup(num int64) (*FD, bool) {
	for ; fs != nil; fs = fs.parent {
		if f, ok := fs.m[num]; ok {
			return f, f != nil
		}
	}
	return nil, false
}

// each calls fn for every open fd of the chain from fs down whose number
// skip does not report.
func (fs *fdSet) each(skip func(int64) bool, fn func(int64, *FD)) {
	for l := fs; l != nil; l = l.parent {
		for k, f := range l.m {
			if f == nil || skip(k) {
				continue
			}
			shadowed := false
			for u := fs; u != l; u = u.parent {
				if _, ok := u.m[k]; ok {
					shadowed = true
					break
				}
			}
			if !shadowed {
				fn(k, f)
			}
		}
	}
}

// closeOnExec returns the open fds of the chain that execve closes: those
// of fs's own layer and those of the layers below that fs does not
// replace, from the cached answer of its parent.
func (fs *fdSet) closeOnExec() []int64 {
	if fs.cloexecKnown {
		return fs.cloexec
	}
	fs.cloexec = fs.cloexec[:0]
	for k, f := range fs.m {
		if f != nil && f.closeOnExec() {
			fs.cloexec = append(fs.cloexec, k)
		}
	}
	if fs.parent != nil {
		for _, k := range fs.parent.closeOnExec() {
			if _, ok := fs.m[k]; !ok {
				fs.cloexec = append(fs.cloexec, k)
			}
		}
	}
	fs.cloexecKnown = true
	return fs.cloexec
}

// settle folds t's overlay into its base while no other table or set uses
// the base, and takes the base's map as its own. Afterwards t has no
// base or shares it.
func (t *FDTable) settle() {
	for b := t.base; b != nil && b.refs == 1; b = t.base {
		for k, f := range t.own {
			delete(t.own, k)
			t.free.put(b.m[k])
			if f == nil && b.parent == nil {
				delete(b.m, k)
			} else {
				b.m[k] = f
			}
		}
		t.own, b.m = b.m, t.own
		t.base = b.parent // b's reference to it passes to t
		t.free.putSet(b)
	}
}

// lookup returns fd num as t sees it, without copying a base entry; the
// entry must not be changed.
func (t *FDTable) lookup(num int64) (*FD, bool) {
	if f, ok := t.own[num]; ok || t.base == nil {
		return f, f != nil
	}
	return t.base.lookup(num)
}

// inBase reports whether fd num is open in t's base.
func (t *FDTable) inBase(num int64) bool {
	_, ok := t.base.lookup(num)
	return ok
}

// Get returns the fd with number num. The entry is read-only.
func (t *FDTable) Get(num int64) (*FD, bool) { return t.lookup(num) }

// writable returns t's own entry for fd num, copying it from the base
// first, or nil when num is not open.
func (t *FDTable) writable(num int64) *FD {
	t.settle()
	f, ok := t.own[num]
	if ok || t.base == nil {
		return f
	}
	b, ok := t.base.lookup(num)
	if !ok {
		return nil
	}
	f = t.free.get()
	f.copyFrom(b, num)
	t.own[num] = f
	return f
}

// Len returns the number of open fds.
func (t *FDTable) Len() int { return t.n }

// each calls fn for every open fd, in no particular order; fn must not
// change the entries or the table.
func (t *FDTable) each(fn func(*FD)) {
	for _, f := range t.own {
		if f != nil {
			fn(f)
		}
	}
	if t.base != nil {
		t.base.each(func(k int64) bool { _, ok := t.own[k]; return ok }, func(_ int64, f *FD) { fn(f) })
	}
}

// add returns a fresh entry for num, replacing any existing one.
func (t *FDTable) add(num int64, typ FDType) *FD {
	t.settle()
	f, ok := t.own[num]
	if f == nil && (ok || t.base == nil || !t.inBase(num)) {
		if !t.free.room(t) {
			f = &t.free.untracked
			f.reset(num, typ)
			f.epoch = t.free.epoch
			return f
		}
		t.n++
		t.free.open++
	}
	if f == nil {
		f = t.free.get()
		t.own[num] = f
	}
	f.reset(num, typ)
	f.epoch = t.free.epoch
	return f
}

// remove closes num.
func (t *FDTable) remove(num int64) {
	t.settle()
	f, ok := t.own[num]
	inBase := t.base != nil && t.inBase(num)
	if f == nil && (ok || !inBase) {
		return // not open
	}
	t.free.put(f)
	t.n--
	t.free.open--
	if inBase {
		t.own[num] = nil
	} else {
		delete(t.own, num)
	}
}

// clear closes every fd.
func (t *FDTable) clear() {
	for k, f := range t.own {
		delete(t.own, k)
		t.free.put(f)
	}
	t.free.release(t.base)
	t.base = nil
	t.free.open -= t.n
	t.n = 0
}

// purgeCloseOnExec closes the fds a successful execve closes.
func (t *FDTable) purgeCloseOnExec() {
	t.settle()
	for k, f := range t.own {
		if f != nil && f.closeOnExec() {
			t.remove(k)
		}
	}
	if t.base == nil {
		return
	}
	for _, k := range t.base.closeOnExec() {
		if _, ok := t.own[k]; !ok {
			t.own[k] = nil
			t.n--
			t.free.open--
		}
	}
}

// closeRange applies close_range(first, last, flags): with
// CLOSE_RANGE_CLOEXEC the fds in the range become close-on-exec, otherwise
// they are closed.
func (t *FDTable) closeRange(first, last, flags uint32) {
	var nums []int64
	t.each(func(f *FD) {
		if f.Num >= int64(first) && f.Num <= int64(last) {
			nums = append(nums, f.Num)
		}
	})
	for _, k := range nums {
		if flags&closeRangeCLOEXEC != 0 {
			t.writable(k).OpenFlags |= oCLOEXEC
			continue
		}
		t.remove(k)
	}
}

// copyFrom replaces t's content with o's fds (fork): both tables share
// the entries o has now until either changes them.
func (t *FDTable) copyFrom(o *FDTable) {
	t.clear()
	if o.n == 0 {
		return
	}
	if len(o.own) > 0 || o.base == nil {
		// o changed its fds since it last shared them.
		o.settle()
	}
	if len(o.own) > 0 || o.base == nil {
		// Freeze o's changes as a new set on top of its base.
		b := o.free.getSet(o.base)
		b.m, o.own = o.own, b.m
		o.base = b
		if limit := o.free.maxLayers; b.depth > maxFDLayers || limit > 0 && b.depth > limit {
			o.flatten()
		}
	}
	o.base.refs++
	t.base = o.base
	t.n = o.n
	t.free.open += o.n
}

// flatten replaces the chain of sets under o (o.own empty, o.base used by
// o alone) with one set holding its open fds.
func (o *FDTable) flatten() {
	top := o.base
	b := o.free.getSet(nil)
	top.each(func(int64) bool { return false }, func(k int64, f *FD) {
		if _, ok := top.m[k]; ok {
			b.m[k] = f // top is o's alone: move its entries
			top.m[k] = nil
			return
		}
		n := o.free.get()
		n.copyFrom(f, k)
		b.m[k] = n
	})
	o.free.release(top)
	o.base = b
}
