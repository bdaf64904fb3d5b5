//go:build linux

package hostsnap

import (
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/retrace-dev/retrace/capture"
	"golang.org/x/sys/unix"
)

// Clone flags of process list entries (PPM_CL_*).
const (
	clCloneFiles   = 1 << 0
	clCloneThread  = 1 << 13
	clIsMainThread = 1 << 30
)

func processes(opts Options) ([]capture.Process, []capture.FDList, error) {
	ents, err := os.ReadDir(opts.Proc)
	if err != nil {
		return nil, nil, err
	}
	socks := newSocketTable(opts.Proc)
	var procs []capture.Process
	var fds []capture.FDList
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == opts.SkipPID || opts.OnlyPID != 0 && pid != opts.OnlyPID {
			continue
		}
		main, ok := readThread(opts, pid, pid)
		if !ok {
			continue
		}
		procs = append(procs, main)
		if l, ok := readFDs(opts.Proc, pid, socks, pid == opts.InheritablePID); ok {
			fds = append(fds, l)
		}
		tasks, _ := os.ReadDir(filepath.Join(opts.Proc, e.Name(), "task"))
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || tid == pid {
				continue
			}
			if th, ok := readThread(opts, pid, tid); ok {
				th.ExeUpperLayer, th.ExeLowerLayer = main.ExeUpperLayer, main.ExeLowerLayer
				procs = append(procs, th)
			}
		}
	}
	return procs, fds, nil
}

// readThread reads one thread; ok is false when it vanished meanwhile.
func readThread(opts Options, pid, tid int) (capture.Process, bool) {
	dir := filepath.Join(opts.Proc, strconv.Itoa(pid))
	tdir := dir
	if tid != pid {
		tdir = filepath.Join(dir, "task", strconv.Itoa(tid))
	}
	stat, err := os.ReadFile(filepath.Join(tdir, "stat"))
	if err != nil {
		return capture.Process{}, false
	}
	p := capture.Process{TID: uint64(tid), PID: uint64(pid), SID: -1, VPGID: -1, VTID: -1, VPID: -1, PGID: -1, LoginUID: 0xffffffff}
	// stat: pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt ...
	s := string(stat)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return capture.Process{}, false
	}
	p.Comm = s[open+1 : close]
	f := strings.Fields(s[close+1:])
	if len(f) > 9 {
		ppid, _ := strconv.ParseUint(f[1], 10, 64)
		pgrp, _ := strconv.ParseInt(f[2], 10, 64)
		sid, _ := strconv.ParseInt(f[3], 10, 64)
		tty, _ := strconv.ParseInt(f[4], 10, 64)
		p.PTID = ppid
		p.PGID, p.SID = pgrp, sid
		p.VPGID = pgrp
		p.TTY = uint32(tty)
		p.PageFaultsMin, _ = strconv.ParseUint(f[7], 10, 64)
		p.PageFaultsMaj, _ = strconv.ParseUint(f[9], 10, 64)
	}
	if tid == pid {
		p.Flags = clIsMainThread
	} else {
		p.Flags = clCloneThread | clCloneFiles
	}
	status := readKV(filepath.Join(tdir, "status"))
	if v := strings.Fields(status["Uid"]); len(v) > 1 {
		u, _ := strconv.ParseUint(v[1], 10, 32)
		p.UID = uint32(u)
	}
	if v := strings.Fields(status["Gid"]); len(v) > 1 {
		g, _ := strconv.ParseUint(v[1], 10, 32)
		p.GID = uint32(g)
	}
	if v := strings.Fields(status["NSpid"]); len(v) > 0 {
		p.VTID, _ = strconv.ParseInt(v[len(v)-1], 10, 64)
	}
	if v := strings.Fields(status["NStgid"]); len(v) > 0 {
		p.VPID, _ = strconv.ParseInt(v[len(v)-1], 10, 64)
	}
	if v := strings.Fields(status["NSpgid"]); len(v) > 0 {
		p.VPGID, _ = strconv.ParseInt(v[len(v)-1], 10, 64)
	}
	p.VMSizeKB = kb(status["VmSize"])
	p.VMRSSKB = kb(status["VmRSS"])
	p.VMSwapKB = kb(status["VmSwap"])
	p.CapInheritable = hexU64(status["CapInh"])
	p.CapPermitted = hexU64(status["CapPrm"])
	p.CapEffective = hexU64(status["CapEff"])
	if cmd, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		args := splitNul(cmd)
		if len(args) > 0 {
			p.Exe = args[0]
			p.Args = capList(args[1:], maxListBytes)
		}
	}
	if p.Exe == "" {
		p.Exe = p.Comm
	}
	p.ExePath, _ = os.Readlink(filepath.Join(dir, "exe"))
	p.Cwd, _ = os.Readlink(filepath.Join(tdir, "cwd"))
	p.Root, _ = os.Readlink(filepath.Join(dir, "root"))
	if !opts.NoEnv {
		if env, err := os.ReadFile(filepath.Join(dir, "environ")); err == nil {
			p.Env = capList(splitNul(env), maxListBytes)
		}
	}
	p.Cgroups = capList(readCgroups(filepath.Join(tdir, "cgroup")), maxListBytes)
	p.FDLimit = fdLimit(filepath.Join(dir, "limits"))
	if b, err := os.ReadFile(filepath.Join(dir, "loginuid")); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			p.LoginUID = uint32(v)
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(dir, "exe"), &st); err == nil {
		p.ExeIno = st.Ino
		p.ExeInoCtime = uint64(st.Ctim.Nano())
		p.ExeInoMtime = uint64(st.Mtim.Nano())
		p.ExeWritable = exeWritable(dir, &st, statusCreds(status))
	}
	p.ExeFromMemfd = strings.HasPrefix(p.ExePath, "/memfd:")
	// Threads share the process's executable: processes copies the layer
	// from the main thread rather than reading mountinfo again.
	if !p.ExeFromMemfd && tid == pid {
		p.ExeUpperLayer, p.ExeLowerLayer = exeLayer(dir, p.ExePath)
	}
	return p, true
}

func readKV(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

func kb(v string) uint32 {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseUint(f[0], 10, 32)
	return uint32(n)
}

func hexU64(v string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
	return n
}

// readCgroups turns /proc/PID/cgroup into scap's "subsys=path" entries, one
// per controller, as the kernel side writes them.
func readCgroups(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	var unified string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			unified = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if strings.HasPrefix(c, "name=") {
				continue
			}
			out = append(out, c+"="+parts[2])
		}
	}
	if len(out) == 0 && unified != "" {
		ctrl, _ := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		for _, c := range strings.Fields(string(ctrl)) {
			out = append(out, c+"="+unified)
		}
	}
	return out
}

func fdLimit(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			f := strings.Fields(line[len("Max open files"):])
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// readFDs reads the fd table of a process; inheritableOnly leaves out the
// fds with O_CLOEXEC.
func readFDs(proc string, pid int, socks *socketTable, inheritableOnly bool) (capture.FDList, bool) {
	dir := filepath.Join(proc, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return capture.FDList{}, false
	}
	netns, _ := os.Readlink(filepath.Join(proc, strconv.Itoa(pid), "ns", "net"))
	l := capture.FDList{TID: uint64(pid)}
	for _, e := range ents {
		n, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if inheritableOnly && rawOpenFlags(filepath.Join(proc, strconv.Itoa(pid), "fdinfo", e.Name()))&unix.O_CLOEXEC != 0 {
			continue
		}
		fd := capture.FD{Num: n}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join(dir, e.Name()), &st) == nil {
			fd.Ino = st.Ino
		}
		switch {
		case strings.HasPrefix(target, "socket:["):
			ino, _ := strconv.ParseUint(strings.Trim(target[len("socket:"):], "[]"), 10, 64)
			fd.Ino = ino
			if !socks.resolve(pid, netns, ino, &fd) {
				fd.Type = capture.FDUnsupported
				fd.Name = target
			}
		case strings.HasPrefix(target, "pipe:["):
			fd.Type = capture.FDFifo
			fd.Name = target
		case strings.HasPrefix(target, "anon_inode:"):
			fd.Name = target
			switch {
			case strings.Contains(target, "eventfd"):
				fd.Type = capture.FDEvent
			case strings.Contains(target, "eventpoll"):
				fd.Type = capture.FDEventPoll
			case strings.Contains(target, "inotify"):
				fd.Type = capture.FDInotify
			case strings.Contains(target, "signalfd"):
				fd.Type = capture.FDSignalFD
			case strings.Contains(target, "timerfd"):
				fd.Type = capture.FDTimerFD
			case strings.Contains(target, "bpf"):
				// FDBPF (17) is unknown to sysdig 0.29.3 too (REC-FDTYPE-029).
				fd.Type = capture.FDUnsupported
			case strings.Contains(target, "pidfd"):
				// sysdig 0.29.3 rejects fd types above FILE_V2 (16) in the fd
				// list (REC-FDTYPE-029): pidfds are listed as unsupported.
				fd.Type = capture.FDUnsupported
			default:
				fd.Type = capture.FDUnsupported
			}
		case strings.HasPrefix(target, "/memfd:"):
			// As pidfds: FDMemFD is unknown to sysdig 0.29.3's fd list reader.
			fd.Type = capture.FDUnsupported
			fd.Name = target
		case strings.HasPrefix(target, "/"):
			if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
				fd.Type = capture.FDDirectory
				fd.Name = target
				break
			}
			fd.Type = capture.FDFileV2
			fd.Name = target
			fd.OpenFlags = openFlags(filepath.Join(proc, strconv.Itoa(pid), "fdinfo", e.Name()))
			fd.Dev = encodeDev(st.Dev)
		default:
			fd.Type = capture.FDUnsupported
			fd.Name = target
		}
		l.FDs = append(l.FDs, fd)
	}
	sort.Slice(l.FDs, func(i, j int) bool { return l.FDs[i].Num < l.FDs[j].Num })
	return l, true
}

// encodeDev converts a kernel dev_t as stat returns it (glibc encoding) to
// the "new" 32-bit encoding scap uses.
func encodeDev(dev uint64) uint32 {
	major := uint32((dev>>8)&0xfff) | uint32((dev>>32)&^0xfff)
	minor := uint32(dev&0xff) | uint32((dev>>12)&^0xff)
	return (minor & 0xff) | (major << 8) | ((minor &^ 0xff) << 12)
}

// openFlags converts the octal "flags:" of fdinfo to scap's PPM_O_* bits.
func openFlags(path string) uint32 {
	return OpenFlagsToScap(rawOpenFlags(path))
}

// rawOpenFlags returns the octal "flags:" of fdinfo (0 when unreadable).
func rawOpenFlags(path string) uint32 {
	f, err := strconv.ParseUint(readKV(path)["flags"], 8, 32)
	if err != nil {
		return 0
	}
	return uint32(f)
}

// OpenFlagsToScap converts Linux open(2) flags to scap's PPM_O_* bits.
func OpenFlagsToScap(f uint32) uint32 {
	var r uint32
	switch f & 3 {
	case 0:
		r |= 1
	case 1:
		r |= 2
	case 2:
		r |= 3
	}
	pairs := [][2]uint32{
		{0o100, 1 << 2}, {0o2000, 1 << 3}, {0o10000, 1 << 4}, {0o200, 1 << 5}, {0o4000, 1 << 6},
		{0o4000000, 1 << 7}, {0o1000, 1 << 8}, {0o40000, 1 << 9}, {0o200000, 1 << 10},
		{0o100000, 1 << 11}, {0o2000000, 1 << 12}, {0o20000000, 1 << 13},
	}
	for _, p := range pairs {
		if f&p[0] == p[0] {
			r |= p[1]
		}
	}
	return r
}

// socketTable resolves socket inodes from /proc/PID/net/* tables, read once
// per network namespace.
type socketTable struct {
	proc   string
	byNS   map[string]map[uint64]capture.FD
	loaded map[string]bool
}

func newSocketTable(proc string) *socketTable {
	return &socketTable{proc: proc, byNS: map[string]map[uint64]capture.FD{}, loaded: map[string]bool{}}
}

func (t *socketTable) resolve(pid int, netns string, ino uint64, fd *capture.FD) bool {
	if !t.loaded[netns] {
		t.loaded[netns] = true
		t.byNS[netns] = t.load(pid)
	}
	e, ok := t.byNS[netns][ino]
	if !ok {
		return false
	}
	num := fd.Num
	*fd = e
	fd.Num = num
	fd.Ino = ino
	return true
}

func (t *socketTable) load(pid int) map[uint64]capture.FD {
	out := map[uint64]capture.FD{}
	base := filepath.Join(t.proc, strconv.Itoa(pid), "net")
	for _, tab := range []struct {
		file  string
		proto uint8
		v6    bool
	}{{"tcp", 6, false}, {"udp", 17, false}, {"tcp6", 6, true}, {"udp6", 17, true}} {
		b, err := os.ReadFile(filepath.Join(base, tab.file))
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		for _, line := range lines[1:] {
			f := strings.Fields(line)
			if len(f) < 10 {
				continue
			}
			sip, sport, ok1 := parseAddr(f[1], tab.v6)
			dip, dport, ok2 := parseAddr(f[2], tab.v6)
			ino, err := strconv.ParseUint(f[9], 10, 64)
			if !ok1 || !ok2 || err != nil || ino == 0 {
				continue
			}
			fd := capture.FD{SrcIP: sip, SrcPort: sport, DstIP: dip, DstPort: dport, L4Proto: tab.proto}
			listening := tab.proto == 6 && f[3] == "0A" || tab.proto == 17 && dport == 0
			switch {
			case listening && !tab.v6:
				fd.Type = capture.FDIPv4ServSock
			case listening:
				fd.Type = capture.FDIPv6ServSock
			case !tab.v6:
				fd.Type = capture.FDIPv4Sock
			default:
				fd.Type = capture.FDIPv6Sock
			}
			out[ino] = fd
		}
	}
	if b, err := os.ReadFile(filepath.Join(base, "unix")); err == nil {
		lines := strings.Split(string(b), "\n")
		for _, line := range lines[1:] {
			f := strings.Fields(line)
			if len(f) < 7 {
				continue
			}
			ino, err := strconv.ParseUint(f[6], 10, 64)
			if err != nil {
				continue
			}
			ptr, _ := strconv.ParseUint(strings.TrimSuffix(f[0], ":"), 16, 64)
			fd := capture.FD{Type: capture.FDUnixSock, UnixSource: ptr}
			if len(f) > 7 {
				fd.Name = f[7]
			}
			out[ino] = fd
		}
	}
	return out
}

// parseAddr parses "0100007F:1F90" (IPv4) or its 32-hex-digit IPv6 form,
// as /proc/net/tcp prints them (each 32-bit word in host byte order).
func parseAddr(s string, v6 bool) (netip.Addr, uint16, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.Addr{}, 0, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (!v6 && len(raw) != 4) || (v6 && len(raw) != 16) {
		return netip.Addr{}, 0, false
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	if v6 {
		return netip.AddrFrom16([16]byte(raw)).Unmap(), uint16(port), true
	}
	return netip.AddrFrom4([4]byte(raw)), uint16(port), true
}

// maxListBytes bounds the encoded size of args, env and cgroups lists:
// libscap (and sysdig) reject process list entries whose lists exceed 4096
// bytes.
const maxListBytes = 4000

// capList keeps the leading items whose NUL-separated encoding fits in max
// bytes.
func capList(items []string, max int) []string {
	n := 0
	for i, it := range items {
		n += len(it) + 1
		if n > max {
			return items[:i]
		}
	}
	return items
}
