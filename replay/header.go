package replay

import (
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
)

// LoadHeader seeds the state with what a capture says before its first
// event: machine info, users and groups, the process snapshot with its fd
// tables, and the containers retrace's recorder described.
func (s *State) LoadHeader(h *capture.Header) {
	if h == nil {
		return
	}
	s.procGen++
	if m := h.Machine; m != nil {
		s.Machine = MachineInfo{Hostname: m.Hostname, NumCPUs: m.NumCPUs, MemoryBytes: m.MemoryBytes, BootTs: m.BootTime}
	}
	if md := h.Metadata; md != nil {
		if s.Machine.Hostname == "" {
			s.Machine.Hostname = md.Hostname
		}
		for _, c := range md.Containers {
			s.Containers.Put(containerFromMetadata(c))
		}
	}
	for _, i := range h.Interfaces {
		if i.Addr.IsValid() {
			s.localAddrs = append(s.localAddrs, i.Addr)
		}
	}
	for _, u := range h.Users {
		s.Users.AddUser(User{UID: u.UID, GID: u.GID, Name: u.Name, HomeDir: u.HomeDir, Shell: u.Shell})
	}
	for _, g := range h.Groups {
		s.Users.AddGroup(Group{GID: g.GID, Name: g.Name})
	}
	var threads []*Thread
	for i := range h.Processes {
		p := &h.Processes[i]
		if p.TTY != 0 || p.LoginUID != noID || p.PidnsInitStartTS != 0 {
			s.plTail = true
		}
		if t := s.addProcess(p); t != nil && t.Tid != t.Pid {
			threads = append(threads, t)
		}
	}
	// Threads share the fd table of their main thread, which the snapshot
	// may list after them: one pass once every process is in.
	for _, t := range threads {
		if s.threads[t.Tid] != t {
			continue // replaced by a later entry with the same tid
		}
		if m, ok := s.threads[t.Pid]; ok && m != t {
			s.setFDs(t, s.threadFDs(m))
		}
	}
	servers := map[uint16]bool{}
	for i := range h.FDs {
		s.addFDList(&h.FDs[i], servers)
	}
	s.fixSnapshotSockets(servers)
}

// LoadLaterHeader loads the header of a later file of a rotated set
// (docs/FORMAT.md, "Rotated sets and the ring") into a state that replayed
// the files before it: the events carried the state on, so only the
// threads it does not know (with their fds), users, groups and containers
// are added.
func (s *State) LoadLaterHeader(h *capture.Header) {
	if h == nil {
		return
	}
	later := *h
	later.Machine, later.Interfaces = nil, nil
	later.Processes, later.FDs = nil, nil
	added := map[uint64]bool{}
	for _, p := range h.Processes {
		if _, ok := s.threads[int64(p.TID)]; !ok {
			added[p.TID] = true
			later.Processes = append(later.Processes, p)
		}
	}
	for _, l := range h.FDs {
		if added[l.TID] {
			later.FDs = append(later.FDs, l)
		}
	}
	s.LoadHeader(&later)
}

// containerFromMetadata returns a copy of a container of the recorder's
// metadata, whose privileged flag the recorder always knows, with the image
// parts its record leaves out.
func containerFromMetadata(c container.Info) *container.Info {
	c.PrivilegedKnown = true
	if c.ImageRepo == "" && c.ImageTag == "" && c.ImageDigest == "" {
		ref := container.ParseImage(c.Image)
		c.ImageRepo, c.ImageTag, c.ImageDigest = ref.Repository, ref.Tag, ref.Digest
	}
	return &c
}

// fixSnapshotSockets orients the IPv4 connections of the snapshot as
// libsinsp does: a connection whose source port is a port some snapshot
// socket listens on is the server end, so its endpoints are swapped to
// put the client first; the others are client ends.
func (s *State) fixSnapshotSockets(servers map[uint16]bool) {
	seen := map[*FDTable]bool{}
	for _, t := range s.threads {
		ft := t.fds
		if ft == nil || seen[ft] {
			continue
		}
		seen[ft] = true
		var socks []int64
		ft.each(func(f *FD) {
			if f.Type == FDIPv4Sock {
				socks = append(socks, f.Num)
			}
		})
		for _, num := range socks {
			f := ft.writable(num)
			if servers[f.SPort] {
				f.SIP, f.DIP = f.DIP, f.SIP
				f.SPort, f.DPort = f.DPort, f.SPort
				f.setTupleName()
				f.role = roleServer
			} else {
				f.role = roleClient
			}
		}
	}
}

// addProcess adds one thread of the process snapshot and returns it (nil
// when the table is full). A main thread gets a new fd table; LoadHeader
// gives the other threads their main thread's.
func (s *State) addProcess(p *capture.Process) *Thread {
	if !s.threadRoom() {
		return nil
	}
	t := s.newThread(int64(p.TID))
	t.Pid, t.PTid = int64(p.PID), int64(p.PTID)
	t.Sid, t.Vpgid, t.Pgid = p.SID, p.VPGID, p.PGID
	t.Vtid, t.Vpid = p.VTID, p.VPID
	t.exe = append(t.exe[:0], p.Exe...)
	t.exePath = append(t.exePath[:0], p.ExePath...)
	t.comm = append(t.comm[:0], p.Comm...)
	t.args = t.args[:0]
	for _, a := range p.Args {
		t.args = append(append(t.args, a...), 0)
	}
	t.rebuildCmdline()
	t.setCwd([]byte(p.Cwd))
	t.FDLimit = int64(p.FDLimit)
	t.Flags = p.Flags
	t.UID, t.GID = p.UID, p.GID
	t.VMSize, t.VMRSS, t.VMSwap = p.VMSizeKB, p.VMRSSKB, p.VMSwapKB
	t.PFMajor, t.PFMinor = p.PageFaultsMaj, p.PageFaultsMin
	t.env = t.env[:0]
	for _, v := range p.Env {
		t.env = append(append(t.env, v...), 0)
	}
	t.cgroups = t.cgroups[:0]
	for _, c := range p.Cgroups {
		t.cgroups = append(append(t.cgroups, c...), 0)
	}
	s.setCgroups(t, t.cgroups)
	t.root = append(t.root[:0], p.Root...)
	t.PidnsInitStart = p.PidnsInitStartTS
	t.Tty, t.LoginUID = p.TTY, p.LoginUID
	t.CapInheritable, t.CapPermitted, t.CapEffective = p.CapInheritable, p.CapPermitted, p.CapEffective
	t.CapsKnown = p.CapInheritable|p.CapPermitted|p.CapEffective != 0
	t.ExeFlags = 0
	if p.ExeWritable {
		t.ExeFlags |= exeWritable
	}
	if p.ExeUpperLayer {
		t.ExeFlags |= exeUpperLayer
	}
	if p.ExeFromMemfd {
		t.ExeFlags |= exeFromMemfd
	}
	if p.ExeLowerLayer {
		t.ExeFlags |= exeLowerLayer
	}
	t.ExeIno, t.ExeCtime, t.ExeMtime = p.ExeIno, p.ExeInoCtime, p.ExeInoMtime
	s.addThread(t)
	if t.Tid == t.Pid {
		s.setFDs(t, s.newFDTable())
	}
	return t
}

// addFDList adds the snapshot's fds of one thread.
func (s *State) addFDList(l *capture.FDList, servers map[uint16]bool) {
	t, ok := s.threads[int64(l.TID)]
	if !ok {
		return
	}
	ft := s.threadFDs(t)
	for i := range l.FDs {
		x := &l.FDs[i]
		typ := FDType(x.Type)
		if typ == FDFileV2 {
			typ = FDFile
		}
		if typ > FDPidFD {
			typ = FDUnsupported
		}
		f := ft.add(x.Num, typ)
		f.Ino, f.OpenFlags, f.Dev = x.Ino, x.OpenFlags, x.Dev
		switch typ {
		case FDIPv4Sock, FDIPv6Sock:
			f.SIP, f.DIP, f.SPort, f.DPort, f.L4Proto = x.SrcIP, x.DstIP, x.SrcPort, x.DstPort, x.L4Proto
			f.connected = x.L4Proto == L4TCP
			f.role = roleClient
			f.setTupleName()
		case FDIPv4Server, FDIPv6Server:
			f.SIP, f.SPort, f.L4Proto = x.SrcIP, x.SrcPort, x.L4Proto
			f.role = roleServer
			f.setTupleName()
			servers[x.SrcPort] = true
		case FDUnixSock:
			f.srcPtr, f.dstPtr = x.UnixSource, x.UnixDest
			f.name = append(f.name[:0], x.Name...)
			f.role = roleClient
			if len(x.Name) > 0 {
				f.role = roleServer
			}
		default:
			f.name = append(f.name[:0], x.Name...)
			f.nameRaw = append(f.nameRaw[:0], x.Name...)
		}
	}
}
