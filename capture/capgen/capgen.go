package capgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// Options configures a generated capture. The zero value gives 10,000
// events with seed 1.
type Options struct {
	// Events is the number of events to generate (at least); 0 means
	// 10,000, NoEvents none.
	Events int
	// Seed selects the pseudo-random sequence.
	Seed uint64
	// Start is the timestamp of the first event; zero means
	// 2026-01-02T03:04:05Z.
	Start time.Time
	// CPUs is the number of CPUs events are spread over; 0 means 2.
	CPUs int
	// DataSize is the largest read/write payload captured, in bytes;
	// 0 means 64 (sysdig's default snaplen is 80).
	DataSize int
	// Hostname names the simulated machine; "" means "capgen".
	Hostname string
	// SessionGap is the largest idle time between two simulated commands
	// (a random fraction of it is used); 0 means none.
	SessionGap time.Duration
}

// NoEvents as Options.Events generates no events: a capture of the
// header alone, as a recorder stopped before anything happened writes.
const NoEvents = -1

// ContainerID is the id of the simulated container the nginx sessions run
// in (cgroup /docker/<id>); WriteFile records its metadata.
const ContainerID = "3f9a1c2b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

func (o *Options) defaults() {
	if o.Events == 0 {
		o.Events = 10000
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	if o.CPUs <= 0 {
		o.CPUs = 2
	}
	if o.DataSize <= 0 {
		o.DataSize = 64
	}
	if o.Hostname == "" {
		o.Hostname = "capgen"
	}
}

// EventWriter receives generated events; *capture.Writer implements it.
type EventWriter interface {
	WriteEvent(cpu uint16, flags uint32, ev []byte) error
}

// programs are what the simulated shell runs: name, path, files it opens,
// whether it talks to the network.
var programs = []struct {
	comm, exe string
	args      []string
	files     []string
	net       bool
	container bool
}{
	{"cat", "/usr/bin/cat", []string{"/etc/hostname"}, []string{"/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libc.so.6", "/etc/hostname"}, false, false},
	{"ls", "/usr/bin/ls", []string{"-l", "/tmp"}, []string{"/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libselinux.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/etc/passwd", "/etc/group"}, false, false},
	{"curl", "/usr/bin/curl", []string{"-s", "http://10.0.0.7/"}, []string{"/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libcurl.so.4", "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf"}, true, false},
	{"grep", "/usr/bin/grep", []string{"root", "/etc/passwd"}, []string{"/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libpcre2-8.so.0", "/etc/passwd"}, false, false},
	{"python3", "/usr/bin/python3.11", []string{"-c", "print(1)"}, []string{"/etc/ld.so.cache", "/usr/lib/python3.11/os.py", "/usr/lib/python3.11/site.py", "/tmp/out.txt"}, false, false},
	{"nginx", "/usr/sbin/nginx", []string{"-g", "daemon off;"}, []string{"/etc/nginx/nginx.conf", "/var/log/nginx/access.log", "/var/www/html/index.html"}, true, true},
	{"sshd", "/usr/sbin/sshd", []string{"-D"}, []string{"/etc/ssh/sshd_config", "/etc/shadow", "/var/log/auth.log"}, true, false},
}

// Header returns the capture header of the simulated machine: machine
// info, one interface, users and groups, and the processes running when
// "recording" starts, with their standard fds.
func Header(opts Options) *capture.Header {
	opts.defaults()
	h := &capture.Header{
		Machine: &capture.MachineInfo{NumCPUs: uint32(opts.CPUs), MemoryBytes: 8 << 30, MaxPID: 4194304,
			Hostname: opts.Hostname, BootTime: uint64(opts.Start.Add(-time.Hour).UnixNano())},
		Interfaces: []capture.Interface{
			{Type: capture.InterfaceIPv4, Name: "lo", Addr: netip.MustParseAddr("127.0.0.1"), Netmask: netip.MustParseAddr("255.0.0.0"), Broadcast: netip.MustParseAddr("127.255.255.255")},
			{Type: capture.InterfaceIPv4, Name: "eth0", Addr: netip.MustParseAddr("10.0.0.2"), Netmask: netip.MustParseAddr("255.255.255.0"), Broadcast: netip.MustParseAddr("10.0.0.255"), LinkSpeed: 1000},
		},
		Users:  []capture.User{{UID: 0, GID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"}, {UID: 1000, GID: 1000, Name: "dev", HomeDir: "/home/dev", Shell: "/bin/bash"}},
		Groups: []capture.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "dev"}},
	}
	base := capture.Process{SID: 1, VPGID: 1, PGID: 1, FDLimit: 1024, LoginUID: ^uint32(0), Cwd: "/", Root: "/",
		Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, Cgroups: []string{"cpu=/", "memory=/"}}
	add := func(tid, ptid uint64, comm, exe string, args []string, uid uint32) {
		p := base
		p.TID, p.PID, p.PTID, p.VTID, p.VPID = tid, tid, ptid, int64(tid), int64(tid)
		p.Comm, p.Exe, p.ExePath, p.Args, p.UID, p.GID = comm, exe, exe, args, uid, uid
		h.Processes = append(h.Processes, p)
		h.FDs = append(h.FDs, capture.FDList{TID: tid, FDs: []capture.FD{
			{Num: 0, Type: capture.FDFileV2, Name: "/dev/null", OpenFlags: 1},
			{Num: 1, Type: capture.FDFileV2, Name: "/dev/null", OpenFlags: 2},
			{Num: 2, Type: capture.FDFileV2, Name: "/dev/null", OpenFlags: 2},
		}})
	}
	add(1, 0, "systemd", "/sbin/init", nil, 0)
	add(100, 1, "sshd", "/usr/sbin/sshd", []string{"-D"}, 0)
	add(200, 100, "bash", "/bin/bash", nil, 1000)
	return h
}

// Stats describes a generated capture.
type Stats struct {
	Events   int
	Sessions int
	FirstTS  uint64
	LastTS   uint64
}

// generator holds the simulation state.
type generator struct {
	opts    Options
	rng     *rand.Rand
	w       EventWriter
	ts      uint64
	nextTID int64
	buf     []byte
	params  [][]byte
	stats   Stats
	data    []byte
}

// Generate writes opts.Events (or slightly more, to finish the last
// process) events to w.
func Generate(w EventWriter, opts Options) (Stats, error) {
	opts.defaults()
	g := &generator{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x7265747261636521)), w: w,
		ts: uint64(opts.Start.UnixNano()), nextTID: 1000, data: make([]byte, opts.DataSize)}
	g.stats.FirstTS = g.ts
	for g.stats.Events < opts.Events {
		if err := g.session(); err != nil {
			return g.stats, err
		}
		g.stats.Sessions++
	}
	g.stats.LastTS = g.ts
	return g.stats, nil
}

// WriteFile writes a generated capture to path in the format its extension
// names (.scap, .scap.gz, .scap.zst).
func WriteFile(path string, opts Options) (Stats, error) {
	opts.defaults()
	start := capture.Metadata{RecorderVersion: "capgen", KernelRelease: "6.1.0-capgen", Hostname: opts.Hostname,
		CommandLine: []string{"capgen", fmt.Sprintf("-events=%d", opts.Events), fmt.Sprintf("-seed=%d", opts.Seed)},
		StartTime:   opts.Start, BootTime: opts.Start.Add(-time.Hour)}
	// A fixed clock keeps the checkpoints, and so the file, reproducible.
	w, err := capture.Create(path, capture.WriterOptions{Metadata: &start, Now: func() time.Time { return opts.Start }})
	if err != nil {
		return Stats{}, err
	}
	if err := w.WriteHeader(Header(opts)); err != nil {
		w.Close()
		return Stats{}, err
	}
	w.AddContainer(capture.Container{ID: ContainerID[:12], Name: "web", Image: "docker.io/library/nginx:1.25"})
	st, err := Generate(w, opts)
	if err != nil {
		w.Close()
		return st, err
	}
	md := start
	md.StopTime = time.Unix(0, int64(st.LastTS)).UTC()
	md.Unrecorded = map[string]uint64{"futex": uint64(st.Events / 10), "mmap": uint64(st.Events / 20)}
	md.Drops = &capture.Drops{Total: 0, PerCPU: make([]uint64, opts.CPUs)}
	w.SetMetadata(md)
	return st, w.Close()
}

// Bytes returns a generated capture written to memory with the writer
// options w (a .scap.zst file unless w.Format says otherwise): the header
// of opts, a container event for each of containers, then the events of
// opts. Unless w.Now is set, checkpoints carry opts.Start, so that the
// same options give the same bytes.
func Bytes(opts Options, w capture.WriterOptions, containers ...capture.Container) ([]byte, error) {
	opts.defaults()
	if w.Format == capture.FormatUnknown {
		w.Format = capture.FormatZstd
	}
	if w.Now == nil {
		w.Now = func() time.Time { return opts.Start }
	}
	var buf bytes.Buffer
	cw, err := capture.NewWriter(&buf, "capgen", w)
	if err != nil {
		return nil, err
	}
	if err := cw.WriteHeader(Header(opts)); err != nil {
		cw.Close()
		return nil, err
	}
	for _, c := range containers {
		cw.AddContainer(c)
	}
	if _, err := Generate(cw, opts); err != nil {
		cw.Close()
		return nil, err
	}
	if err := cw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// emit encodes one event of type t for tid, filling parameters by name from
// vals and with type-appropriate empty values otherwise.
func (g *generator) emit(tid int64, t scap.Type, vals map[string][]byte) error {
	info, ok := scap.Lookup(t)
	if !ok {
		return fmt.Errorf("generate event: unknown type %d", t)
	}
	g.params = g.params[:0]
	for _, p := range info.Params {
		v, ok := vals[p.Name]
		if !ok {
			v = emptyValue(p.Type)
		}
		g.params = append(g.params, v)
	}
	g.ts += 200 + uint64(g.rng.IntN(3000))
	g.buf = scap.AppendEvent(g.buf[:0], g.ts, tid, t, g.params...)
	cpu := uint16(tid % int64(g.opts.CPUs))
	g.stats.Events++
	return g.w.WriteEvent(cpu, 0, g.buf)
}

var zeros [16]byte

func emptyValue(t scap.ParamType) []byte {
	switch t {
	case scap.PTCharBuf, scap.PTFSPath, scap.PTFSRelPath, scap.PTSockAddr, scap.PTSockTuple:
		return []byte{0}
	case scap.PTFDList:
		return []byte{0, 0}
	case scap.PTUID, scap.PTGID:
		return scap.EncUint32(^uint32(0))
	}
	if n := t.Size(); n > 0 {
		return zeros[:n]
	}
	return []byte{}
}

// pair emits the enter event (when the profile asks for one) and the exit
// event of a syscall.
func (g *generator) pair(tid int64, syscall string, enter, exit map[string][]byte) error {
	p, ok := scap.ProfileFor(syscall)
	if !ok {
		return fmt.Errorf("generate %s: not in the event profile", syscall)
	}
	if et, ok := p.EnterType(); ok {
		if err := g.emit(tid, et, enter); err != nil {
			return err
		}
	}
	return g.emit(tid, p.Exit, exit)
}

// session simulates the shell forking a child that runs one program.
func (g *generator) session() error {
	prog := programs[g.rng.IntN(len(programs))]
	const shell = 200
	if g.opts.SessionGap > 0 {
		g.ts += uint64(g.rng.Int64N(int64(g.opts.SessionGap)))
	}
	cgroups := scap.EncList("cpu=/user.slice", "memory=/user.slice")
	if prog.container {
		cgroups = scap.EncList("cpu=/docker/"+ContainerID, "memory=/docker/"+ContainerID)
	}
	child := g.nextTID
	g.nextTID++
	cloneVals := func(res, tid, pid, ptid int64, cgroups []byte) map[string][]byte {
		return map[string][]byte{"res": scap.EncInt64(res), "exe": scap.EncString("/bin/bash"), "args": nil,
			"tid": scap.EncInt64(tid), "pid": scap.EncInt64(pid), "ptid": scap.EncInt64(ptid),
			"cwd": scap.EncString("/home/dev"), "fdlimit": scap.EncInt64(1024), "comm": scap.EncString("bash"),
			"cgroups": cgroups, "flags": scap.EncUint32(1<<23 | 1<<24),
			"uid": scap.EncUint32(1000), "gid": scap.EncUint32(1000), "vtid": scap.EncInt64(tid), "vpid": scap.EncInt64(pid)}
	}
	if err := g.pair(shell, "clone", nil, cloneVals(child, shell, shell, 100, scap.EncList("cpu=/user.slice", "memory=/user.slice"))); err != nil {
		return err
	}
	if err := g.pair(child, "clone", nil, cloneVals(0, child, child, shell, cgroups)); err != nil {
		return err
	}
	args := scap.EncList(prog.args...)
	if err := g.pair(child, "execve", map[string][]byte{"filename": scap.EncString(prog.exe)}, map[string][]byte{
		"res": scap.EncInt64(0), "exe": scap.EncString(prog.exe), "args": args,
		"tid": scap.EncInt64(child), "pid": scap.EncInt64(child), "ptid": scap.EncInt64(shell),
		"cwd": scap.EncString("/home/dev"), "fdlimit": scap.EncUint64(1024), "comm": scap.EncString(prog.comm),
		"cgroups": cgroups, "env": scap.EncList("PATH=/usr/bin:/bin", "HOME=/home/dev"),
		"vpgid": scap.EncInt64(child), "loginuid": scap.EncUint32(1000), "uid": scap.EncUint32(1000), "gid": scap.EncUint32(1000),
		"pgid": scap.EncInt64(child), "trusted_exepath": scap.EncString(prog.exe), "filename": scap.EncString(prog.exe)}); err != nil {
		return err
	}
	fd := int64(3)
	for _, f := range prog.files {
		if err := g.fileIO(child, fd, f); err != nil {
			return err
		}
	}
	if prog.net {
		if err := g.netIO(child, fd); err != nil {
			return err
		}
	}
	return g.pair(child, "procexit", nil, map[string][]byte{"status": scap.EncInt64(0), "ret": scap.EncInt64(0),
		"sig": scap.EncUint8(0), "core": scap.EncUint8(0), "reaper_tid": scap.EncInt64(1)})
}

func (g *generator) data1() []byte {
	n := 1 + g.rng.IntN(len(g.data))
	for i := range n {
		g.data[i] = byte('a' + g.rng.IntN(26))
	}
	return g.data[:n]
}

// fileIO opens a file, reads or writes it a few times and closes it.
func (g *generator) fileIO(tid, fd int64, path string) error {
	if err := g.pair(tid, "openat", nil, map[string][]byte{"fd": scap.EncInt64(fd), "dirfd": scap.EncInt64(-100),
		"name": scap.EncString(path), "flags": scap.EncUint32(1 | 1<<12), "mode": scap.EncUint32(0),
		"dev": scap.EncUint32(0x803), "ino": scap.EncUint64(uint64(1000 + g.rng.IntN(100000)))}); err != nil {
		return err
	}
	sys := "read"
	if g.rng.IntN(4) == 0 {
		sys = "write"
	}
	for range 1 + g.rng.IntN(6) {
		d := g.data1()
		if err := g.pair(tid, sys, map[string][]byte{"fd": scap.EncInt64(fd), "size": scap.EncUint32(4096)},
			map[string][]byte{"res": scap.EncInt64(int64(len(d))), "data": d, "fd": scap.EncInt64(fd), "size": scap.EncUint32(4096)}); err != nil {
			return err
		}
	}
	return g.pair(tid, "close", map[string][]byte{"fd": scap.EncInt64(fd)}, map[string][]byte{"res": scap.EncInt64(0), "fd": scap.EncInt64(fd)})
}

// netIO opens a TCP connection, writes a request, reads a reply and closes.
func (g *generator) netIO(tid, fd int64) error {
	if err := g.pair(tid, "socket", map[string][]byte{"domain": scap.EncUint32(2), "type": scap.EncUint32(1), "proto": scap.EncUint32(0)},
		map[string][]byte{"fd": scap.EncInt64(fd), "domain": scap.EncUint32(2), "type": scap.EncUint32(1), "proto": scap.EncUint32(0)}); err != nil {
		return err
	}
	local := netip.MustParseAddr("10.0.0.2")
	remote := netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + g.rng.IntN(250))})
	sport := uint16(32768 + g.rng.IntN(28000))
	addr := scap.EncSockAddr(remote, 80)
	if err := g.pair(tid, "connect", map[string][]byte{"fd": scap.EncInt64(fd), "addr": addr},
		map[string][]byte{"res": scap.EncInt64(0), "tuple": scap.EncSockTuple(local, sport, remote, 80), "fd": scap.EncInt64(fd), "addr": addr}); err != nil {
		return err
	}
	for _, sys := range []string{"write", "read", "read"} {
		d := g.data1()
		if err := g.pair(tid, sys, map[string][]byte{"fd": scap.EncInt64(fd), "size": scap.EncUint32(65536)},
			map[string][]byte{"res": scap.EncInt64(int64(len(d))), "data": d, "fd": scap.EncInt64(fd), "size": scap.EncUint32(65536)}); err != nil {
			return err
		}
	}
	return g.pair(tid, "close", map[string][]byte{"fd": scap.EncInt64(fd)}, map[string][]byte{"res": scap.EncInt64(0), "fd": scap.EncInt64(fd)})
}
