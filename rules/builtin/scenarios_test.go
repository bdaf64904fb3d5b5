package builtin_test

import (
	"context"
	"path/filepath"

	"github.com/retrace-dev/retrace/capture/capgen"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// The scenarios below are synthetic captures built event by event with
// scap.AppendEvent, replayed through package replay and matched against
// the built-in rules: for every rule a positive scenario that must trigger
// it and a negative one, as close as possible to the positive, that must
// not. Recorded attack captures (testdata/attacks/) come on top of these.

const (
	ctrID   = "3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778"
	ctrName = "web"

	pidSystemd  = 1
	pidSSHD     = 100
	pidHostBash = 200 // user dev, terminal
	pidNginx    = 300 // host web server
	pidCtrInit  = 400 // container pid 1: nginx
	pidCtrBash  = 410 // container shell with a terminal
	pidCtrApp   = 420 // container app (python), no terminal
	pidRootd    = 500 // host daemon running as root, no terminal
)

// sim builds a synthetic capture.
type sim struct {
	hdr    *capture.Header
	events [][]byte
	ts     uint64
	next   int64
}

func newSim() *sim {
	s := &sim{ts: 1_700_000_000_000_000_000, next: 1000}
	s.hdr = &capture.Header{
		Machine: &capture.MachineInfo{Hostname: "sim", NumCPUs: 2},
		Users: []capture.User{{UID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"},
			{UID: 1000, GID: 1000, Name: "dev", HomeDir: "/home/dev", Shell: "/bin/bash"}},
		Groups:   []capture.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "dev"}},
		Metadata: &capture.Metadata{Containers: []capture.Container{{ID: ctrID[:12], Name: ctrName, Image: "nginx:1.25"}}},
	}
	ctrCg := []string{"cpuset=/docker/" + ctrID, "memory=/docker/" + ctrID}
	add := func(pid, ppid uint64, comm, exe string, uid uint32, tty uint32, cg []string) {
		s.hdr.Processes = append(s.hdr.Processes, capture.Process{TID: pid, PID: pid, PTID: ppid, VTID: int64(pid), VPID: int64(pid),
			Comm: comm, Exe: exe, ExePath: exe, UID: uid, GID: uid, TTY: tty, Cwd: "/", FDLimit: 1024, LoginUID: ^uint32(0),
			Cgroups: cg})
	}
	add(pidSystemd, 0, "systemd", "/sbin/init", 0, 0, nil)
	add(pidSSHD, pidSystemd, "sshd", "/usr/sbin/sshd", 0, 0, nil)
	add(pidHostBash, pidSSHD, "bash", "/bin/bash", 1000, 34816, nil)
	add(pidNginx, pidSystemd, "nginx", "/usr/sbin/nginx", 33, 0, nil)
	add(pidCtrInit, pidSystemd, "nginx", "/usr/sbin/nginx", 0, 0, ctrCg)
	add(pidCtrBash, pidCtrInit, "bash", "/bin/bash", 0, 34817, ctrCg)
	add(pidCtrApp, pidCtrInit, "python3", "/usr/bin/python3", 0, 0, ctrCg)
	add(pidRootd, pidSystemd, "updater", "/usr/local/lib/updater", 0, 0, nil)
	return s
}

// emptyParam is the value of a parameter a scenario does not set.
func emptyParam(t scap.ParamType) []byte {
	switch t {
	case scap.PTCharBuf, scap.PTFSPath, scap.PTFSRelPath, scap.PTSockAddr, scap.PTSockTuple:
		return []byte{0}
	case scap.PTUID, scap.PTGID:
		return scap.EncUint32(^uint32(0))
	case scap.PTFDList:
		return []byte{0, 0}
	}
	if n := t.Size(); n > 0 {
		return make([]byte, n)
	}
	return []byte{}
}

// emit appends one event of type typ, filling parameters by name.
func (s *sim) emit(tid int64, typ scap.Type, vals map[string][]byte) {
	info, ok := scap.Lookup(typ)
	if !ok {
		panic("unknown event type")
	}
	params := make([][]byte, 0, len(info.Params))
	for _, p := range info.Params {
		v, ok := vals[p.Name]
		if !ok {
			v = emptyParam(p.Type)
		}
		params = append(params, v)
	}
	s.ts += 1000
	s.events = append(s.events, scap.AppendEvent(nil, s.ts, tid, typ, params...))
}

// syscall appends a syscall as retrace's recorder writes it: the exit
// event, preceded by the enter event when the profile keeps one. Values
// are shared by both (each takes the parameters it has).
func (s *sim) syscall(tid int64, name string, vals map[string][]byte) {
	p, ok := scap.ProfileFor(name)
	if !ok {
		panic("syscall " + name + " not in the event profile")
	}
	if et, ok := p.EnterType(); ok {
		s.emit(tid, et, vals)
	}
	s.emit(tid, p.Exit, vals)
}

// proc describes a program a scenario starts.
type proc struct {
	comm    string // default: the base name of exe
	exe     string // argv[0]
	exepath string // the executable's path; default: exe
	args    []string
	uid     uint32
	tty     uint32
	cg      []string
	flags   uint32 // execve flags (PPM_EXE_*: 2 upper layer, 4 from memfd)
}

// spawn forks parent and execs p in the child, returning the child's pid.
func (s *sim) spawn(parent int64, p proc) int64 {
	child := s.next
	s.next++
	clone := func(res, tid int64) map[string][]byte {
		return map[string][]byte{"res": scap.EncInt64(res), "exe": scap.EncString("/bin/sh"), "tid": scap.EncInt64(tid),
			"pid": scap.EncInt64(tid), "ptid": scap.EncInt64(parent), "cwd": scap.EncString("/"), "comm": scap.EncString("sh"),
			"cgroups": scap.EncList(p.cg...), "uid": scap.EncUint32(p.uid), "gid": scap.EncUint32(p.uid),
			"vtid": scap.EncInt64(tid), "vpid": scap.EncInt64(tid), "flags": scap.EncUint32(0)}
	}
	s.syscall(parent, "clone", clone(child, parent))
	s.syscall(child, "clone", clone(0, child))
	comm := p.exe
	for i := len(comm) - 1; i >= 0 && p.comm == ""; i-- {
		if comm[i] == '/' {
			comm = comm[i+1:]
			break
		}
	}
	if p.comm != "" {
		comm = p.comm
	}
	exepath := p.exe
	if p.exepath != "" {
		exepath = p.exepath
	}
	s.syscall(child, "execve", map[string][]byte{"filename": scap.EncString(p.exe), "res": scap.EncInt64(0),
		"exe": scap.EncString(p.exe), "args": scap.EncList(p.args...), "tid": scap.EncInt64(child), "pid": scap.EncInt64(child),
		"ptid": scap.EncInt64(parent), "cwd": scap.EncString("/"), "comm": scap.EncString(comm), "cgroups": scap.EncList(p.cg...),
		"tty": scap.EncUint32(p.tty), "uid": scap.EncUint32(p.uid), "gid": scap.EncUint32(p.uid), "loginuid": scap.EncUint32(p.uid),
		"flags": scap.EncUint32(p.flags), "trusted_exepath": scap.EncString(exepath), "vpgid": scap.EncInt64(child), "pgid": scap.EncInt64(child)})
	return child
}

// symlink makes link (an absolute path) point to target in tid.
func (s *sim) symlink(tid int64, target, link string) {
	s.syscall(tid, "symlinkat", map[string][]byte{"res": scap.EncInt64(0), "target": scap.EncString(target),
		"linkdirfd": scap.EncInt64(-100), "linkpath": scap.EncString(link)})
}

// container is the cgroup list of the scenario container.
func container() []string { return []string{"cpuset=/docker/" + ctrID, "memory=/docker/" + ctrID} }

// Open flags as scap encodes them (PPM_O_*).
const (
	oRead  = 1 << 0
	oWrite = 1 << 1
	oCreat = 1 << 2
	oTrunc = 1 << 8
)

// open opens path in tid with fd and scap open flags.
func (s *sim) open(tid, fd int64, path string, flags uint32) {
	s.syscall(tid, "openat", map[string][]byte{"fd": scap.EncInt64(fd), "dirfd": scap.EncInt64(-100),
		"name": scap.EncString(path), "flags": scap.EncUint32(flags), "mode": scap.EncUint32(0o644)})
}

// connect opens a TCP socket fd in tid connected to dst:port.
func (s *sim) connect(tid, fd int64, dst string, port uint16) {
	s.syscall(tid, "socket", map[string][]byte{"fd": scap.EncInt64(fd), "domain": scap.EncUint32(2), "type": scap.EncUint32(1)})
	src := netip.MustParseAddr("172.17.0.2")
	d := netip.MustParseAddr(dst)
	s.syscall(tid, "connect", map[string][]byte{"fd": scap.EncInt64(fd), "res": scap.EncInt64(0),
		"addr": scap.EncSockAddr(d, port), "tuple": scap.EncSockTuple(src, 40000, d, port)})
}

// run replays the scenario with the built-in rules through retrace
// replay's pipeline (with --rule-matching all) and returns the names of
// the rules that matched, sorted, without duplicates.
func (s *sim) run(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.scap.zst")
	w, err := capture.Create(path, capture.WriterOptions{Metadata: s.hdr.Metadata})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(s.hdr); err != nil {
		t.Fatal(err)
	}
	for _, raw := range s.events {
		if err := w.WriteEvent(0, 0, raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	dets, _ := detectBuiltin(t, path, engine.Selection{})
	for _, d := range dets {
		seen[d.Rule] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// detectBuiltin replays the capture at path with the built-in rules of
// sel through retrace replay's pipeline, with every matching rule
// reported per event (--rule-matching all), and returns the detections
// and the number of events read.
func detectBuiltin(t *testing.T, path string, sel engine.Selection) ([]report.Detection, uint64) {
	t.Helper()
	d, err := detect.New(detect.Options{Registry: registry, Rules: loadBuiltin(t), Selection: sel, Mode: engine.MatchAll, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var dets []report.Detection
	res, err := d.Capture(context.Background(), path, func(it detect.Item) error {
		dets = append(dets, *it.Detection)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dets, res.Info.Events
}

// ruleScenario is a positive and a negative scenario for one rule.
type ruleScenario struct {
	rule     string
	pos, neg func(s *sim)
}

var scenarios = []ruleScenario{
	{rule: "Terminal Shell in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrInit, proc{exe: "/bin/bash", tty: 34817, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidHostBash, proc{exe: "/bin/bash", uid: 1000, tty: 34816})
		}},
	{rule: "Command Run from Terminal Shell in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/bin/ls", args: []string{"-l"}, tty: 34817, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidHostBash, proc{exe: "/bin/ls", args: []string{"-l"}, uid: 1000, tty: 34816})
		}},
	{rule: "Shell Spawned by Server Process",
		pos: func(s *sim) {
			s.spawn(pidNginx, proc{exe: "/bin/sh", args: []string{"-c", "id"}, uid: 33})
		},
		neg: func(s *sim) {
			s.spawn(pidNginx, proc{exe: "/usr/bin/logger", args: []string{"started"}, uid: 33})
		}},
	{rule: "Shell Spawned by Unexpected Parent in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "/bin/sh", args: []string{"-c", "uname -a"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/bin/sh", args: []string{"-c", "uname -a"}, cg: container()})
		}},
	// busybox is a shell only when it runs its sh or ash applet.
	{rule: "Shell Spawned by Unexpected Parent in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "/bin/busybox", args: []string{"sh", "-c", "uname -a"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "/bin/busybox", args: []string{"dd", "if=/etc/hostname", "of=/tmp/h"}, cg: container()})
		}},
	{rule: "Shell Spawned by Unexpected Parent in Container",
		pos: func(s *sim) {
			// execve("/bin/busybox", ["ash", ...]): argv[0] names the applet.
			s.spawn(pidCtrApp, proc{exe: "ash", comm: "busybox", args: []string{"-c", "uname -a"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "rmdir", comm: "busybox", args: []string{"/tmp/x"}, cg: container()})
		}},
	{rule: "Shell Spawned by Unexpected Parent in Container",
		pos: func(s *sim) {
			// busybox re-executing itself through /proc/self/exe as sh.
			s.spawn(pidCtrApp, proc{exe: "sh", comm: "exe", exepath: "/bin/busybox", args: []string{"-c", "id"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "sleep", comm: "exe", exepath: "/bin/busybox", args: []string{"1"}, cg: container()})
		}},
	{rule: "Reverse Shell Redirects Standard Streams to a Socket",
		pos: func(s *sim) {
			s.connect(pidCtrApp, 3, "203.0.113.7", 4444)
			s.syscall(pidCtrApp, "dup2", map[string][]byte{"res": scap.EncInt64(0), "oldfd": scap.EncInt64(3), "newfd": scap.EncInt64(0)})
		},
		neg: func(s *sim) {
			s.connect(pidCtrApp, 3, "203.0.113.7", 4444)
			s.syscall(pidCtrApp, "dup2", map[string][]byte{"res": scap.EncInt64(7), "oldfd": scap.EncInt64(3), "newfd": scap.EncInt64(7)})
		}},
	{rule: "Shell with Standard Input from a Network Socket",
		pos: func(s *sim) {
			s.connect(pidCtrApp, 3, "203.0.113.7", 4444)
			s.syscall(pidCtrApp, "dup2", map[string][]byte{"res": scap.EncInt64(0), "oldfd": scap.EncInt64(3), "newfd": scap.EncInt64(0)})
			s.spawn(pidCtrApp, proc{exe: "/bin/sh", args: []string{"-i"}, cg: container()})
		},
		neg: func(s *sim) {
			s.connect(pidCtrApp, 3, "203.0.113.7", 4444)
			s.spawn(pidCtrApp, proc{exe: "/bin/sh", args: []string{"-i"}, cg: container()})
		}},
	{rule: "Shell Opened Outbound Network Connection",
		pos: func(s *sim) { s.connect(pidCtrBash, 3, "203.0.113.7", 4444) },
		neg: func(s *sim) { s.connect(pidCtrApp, 3, "203.0.113.7", 443) }},
	{rule: "Network Tool Launched in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/bin/nc", args: []string{"-lvp", "4444"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidHostBash, proc{exe: "/usr/bin/nc", args: []string{"-z", "db", "5432"}, uid: 1000, tty: 34816})
		}},
	{rule: "Read Sensitive File by Untrusted Program",
		pos: func(s *sim) { s.open(pidCtrApp, 5, "/etc/shadow", oRead) },
		neg: func(s *sim) { s.open(pidSSHD, 5, "/etc/shadow", oRead) }},
	{rule: "Read SSH Private Key by Non-SSH Program",
		pos: func(s *sim) { s.open(pidCtrApp, 5, "/root/.ssh/id_ed25519", oRead) },
		neg: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/bin/ssh", args: []string{"host"}, uid: 1000, tty: 34816})
			s.open(p, 5, "/home/dev/.ssh/id_ed25519", oRead)
		}},
	{rule: "Read Cloud Credentials by Unexpected Program",
		pos: func(s *sim) { s.open(pidNginx, 5, "/root/.aws/credentials", oRead) },
		neg: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/local/bin/aws", args: []string{"s3", "ls"}, uid: 1000, tty: 34816})
			s.open(p, 5, "/home/dev/.aws/credentials", oRead)
		}},
	{rule: "Search for Private Keys or Passwords",
		pos: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/bin/find", args: []string{"/", "-name", "id_rsa"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/bin/find", args: []string{"/var/www", "-name", "*.php"}, cg: container()})
		}},
	{rule: "Write Below Binary Directory",
		pos: func(s *sim) { s.open(pidCtrApp, 5, "/usr/bin/kworker", oWrite|oCreat) },
		neg: func(s *sim) {
			p := s.spawn(pidRootd, proc{exe: "/usr/bin/dpkg", args: []string{"-i", "x.deb"}})
			s.open(p, 5, "/usr/bin/tool", oWrite|oCreat)
		}},
	// A package's maintainer script (dpkg -> postinst ->
	// update-alternatives) links a command into /usr/bin.
	{rule: "Rename or Remove Below Binary Directory",
		pos: func(s *sim) {
			sh := s.spawn(pidHostBash, proc{exe: "/bin/sh", args: []string{"setup.sh"}})
			p := s.spawn(sh, proc{exe: "/usr/bin/ln", args: []string{"-s", "/etc/alternatives/editor", "/usr/bin/editor"}})
			s.symlink(p, "/etc/alternatives/editor", "/usr/bin/editor")
		},
		neg: func(s *sim) {
			dpkg := s.spawn(pidRootd, proc{exe: "/usr/bin/dpkg", args: []string{"-i", "x.deb"}})
			post := s.spawn(dpkg, proc{exe: "/var/lib/dpkg/info/x.postinst", args: []string{"configure"}})
			p := s.spawn(post, proc{exe: "/usr/bin/update-alternatives", args: []string{"--install", "/usr/bin/editor"}})
			s.symlink(p, "/etc/alternatives/editor", "/usr/bin/editor")
		}},
	{rule: "Rename or Remove Below Binary Directory",
		pos: func(s *sim) {
			s.syscall(pidCtrApp, "renameat2", map[string][]byte{"res": scap.EncInt64(0), "olddirfd": scap.EncInt64(-100),
				"oldpath": scap.EncString("/tmp/x"), "newdirfd": scap.EncInt64(-100), "newpath": scap.EncString("/usr/bin/ps")})
		},
		neg: func(s *sim) {
			s.syscall(pidCtrApp, "renameat2", map[string][]byte{"res": scap.EncInt64(0), "olddirfd": scap.EncInt64(-100),
				"oldpath": scap.EncString("/tmp/x"), "newdirfd": scap.EncInt64(-100), "newpath": scap.EncString("/tmp/y")})
		}},
	{rule: "Directory Created Below Binary Directory",
		pos: func(s *sim) {
			s.syscall(pidCtrApp, "mkdirat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"path": scap.EncString("/usr/bin/.hidden"), "mode": scap.EncUint32(0o755)})
		},
		neg: func(s *sim) {
			s.syscall(pidCtrApp, "mkdirat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"path": scap.EncString("/var/cache/app"), "mode": scap.EncUint32(0o755)})
		}},
	{rule: "Log File Cleared",
		pos: func(s *sim) { s.open(pidCtrBash, 5, "/var/log/auth.log", oWrite|oTrunc) },
		neg: func(s *sim) { s.open(pidCtrBash, 5, "/var/log/auth.log", oRead) }},
	{rule: "Log File Cleared",
		pos: func(s *sim) {
			s.syscall(pidCtrBash, "unlinkat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"name": scap.EncString("/var/log/wtmp")})
		},
		neg: func(s *sim) {
			s.syscall(pidCtrBash, "unlinkat", map[string][]byte{"res": scap.EncInt64(-2), "dirfd": scap.EncInt64(-100),
				"name": scap.EncString("/var/log/wtmp")})
		}},
	{rule: "Shell History Tampered",
		pos: func(s *sim) {
			s.syscall(pidCtrBash, "unlinkat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"name": scap.EncString("/root/.bash_history")})
		},
		neg: func(s *sim) { s.open(pidCtrBash, 5, "/root/.bash_history", oWrite) }},
	{rule: "Write to Password or Sudoers File",
		pos: func(s *sim) { s.open(pidCtrApp, 5, "/etc/passwd", oWrite) },
		neg: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/sbin/useradd", args: []string{"bob"}})
			s.open(p, 5, "/etc/passwd", oWrite)
		}},
	{rule: "SSH Authorized Keys Modified",
		pos: func(s *sim) { s.open(pidCtrApp, 5, "/root/.ssh/authorized_keys", oWrite|oCreat) },
		neg: func(s *sim) { s.open(pidCtrApp, 5, "/root/.ssh/authorized_keys", oRead) }},
	{rule: "Scheduled Task Created",
		pos: func(s *sim) { s.open(pidCtrApp, 5, "/etc/cron.d/update", oWrite|oCreat) },
		neg: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/bin/crontab", args: []string{"-e"}, uid: 1000, tty: 34816})
			s.open(p, 5, "/var/spool/cron/crontabs/dev", oWrite|oCreat)
		}},
	{rule: "Execution from Temporary Directory",
		pos: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/tmp/.x/miner", cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/bin/uptime", cg: container()})
		}},
	{rule: "Drifted Executable Run in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/local/bin/implant", flags: 1 << 1, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/local/bin/implant", cg: container()})
		}},
	{rule: "Executable Permission Set in Temporary Directory",
		pos: func(s *sim) {
			s.syscall(pidCtrBash, "fchmodat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"filename": scap.EncString("/tmp/payload"), "mode": scap.EncUint32(0o755)})
		},
		neg: func(s *sim) {
			s.syscall(pidCtrBash, "fchmodat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"filename": scap.EncString("/tmp/payload"), "mode": scap.EncUint32(0o644)})
		}},
	{rule: "Executable Permission Set in Temporary Directory",
		pos: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/bin/chmod", args: []string{"755", "/tmp/build/app"}, uid: 1000, tty: 34816})
			s.syscall(p, "fchmodat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"filename": scap.EncString("/tmp/build/app"), "mode": scap.EncUint32(0o755)})
		},
		neg: func(s *sim) {
			// The linker makes the program it wrote executable.
			p := s.spawn(pidHostBash, proc{exe: "/usr/bin/ld", args: []string{"-o", "/tmp/build/app"}, uid: 1000, tty: 34816})
			s.syscall(p, "fchmodat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"filename": scap.EncString("/tmp/build/app"), "mode": scap.EncUint32(0o755)})
		}},
	{rule: "Fileless Execution from Memory File",
		pos: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "/memfd:payload (deleted)", flags: 1 << 2, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidCtrApp, proc{exe: "/usr/bin/env", cg: container()})
		}},
	{rule: "Privilege Escalation to Root by Untrusted Program",
		pos: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/tmp/exploit", uid: 1000, tty: 34816})
			s.syscall(p, "setuid", map[string][]byte{"res": scap.EncInt64(0), "uid": scap.EncUint32(0)})
		},
		neg: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/bin/sudo", args: []string{"id"}, uid: 1000, tty: 34816})
			s.syscall(p, "setuid", map[string][]byte{"res": scap.EncInt64(0), "uid": scap.EncUint32(0)})
		}},
	{rule: "Namespace Change by Untrusted Program",
		pos: func(s *sim) {
			s.syscall(pidCtrApp, "setns", map[string][]byte{"res": scap.EncInt64(0), "fd": scap.EncInt64(5), "nstype": scap.EncUint32(0)})
		},
		neg: func(s *sim) {
			// runc renames itself while it sets a container up.
			p := s.spawn(pidRootd, proc{comm: "runc:[1:CHILD]", exe: "/usr/sbin/runc", args: []string{"init"}})
			s.syscall(p, "setns", map[string][]byte{"res": scap.EncInt64(0), "fd": scap.EncInt64(5), "nstype": scap.EncUint32(0)})
		}},
	{rule: "Namespace Created in Container",
		pos: func(s *sim) {
			s.syscall(pidCtrBash, "unshare", map[string][]byte{"res": scap.EncInt64(0), "flags": scap.EncUint32(1 << 2)})
		},
		neg: func(s *sim) {
			s.syscall(pidHostBash, "unshare", map[string][]byte{"res": scap.EncInt64(0), "flags": scap.EncUint32(1 << 2)})
		}},
	{rule: "Kernel Module Loaded",
		pos: func(s *sim) {
			s.syscall(pidRootd, "finit_module", map[string][]byte{"res": scap.EncInt64(0), "fd": scap.EncInt64(3)})
		},
		neg: func(s *sim) {
			p := s.spawn(pidRootd, proc{exe: "/usr/sbin/modprobe", args: []string{"overlay"}})
			s.syscall(p, "finit_module", map[string][]byte{"res": scap.EncInt64(0), "fd": scap.EncInt64(3)})
		}},
	{rule: "Kernel Module Load Attempted from Container",
		pos: func(s *sim) {
			s.syscall(pidCtrBash, "init_module", map[string][]byte{"res": scap.EncInt64(-1)})
		},
		neg: func(s *sim) {
			s.syscall(pidCtrBash, "mkdirat", map[string][]byte{"res": scap.EncInt64(0), "dirfd": scap.EncInt64(-100),
				"path": scap.EncString("/lib/modules/x"), "mode": scap.EncUint32(0o755)})
		}},
	{rule: "BPF Program Loaded from Container",
		pos: func(s *sim) {
			s.syscall(pidCtrApp, "bpf", map[string][]byte{"cmd": scap.EncInt64(5), "res_or_fd": append([]byte{0}, scap.EncInt64(7)...)})
		},
		neg: func(s *sim) {
			// runc loads the device cgroup filter while it sets the container up.
			p := s.spawn(pidCtrInit, proc{comm: "runc:[2:INIT]", exe: "/usr/sbin/runc", args: []string{"init"}, cg: container()})
			s.syscall(p, "bpf", map[string][]byte{"cmd": scap.EncInt64(5), "res_or_fd": append([]byte{0}, scap.EncInt64(7)...)})
		}},
	{rule: "Process Attached with Ptrace",
		pos: func(s *sim) {
			s.syscall(pidCtrApp, "ptrace", map[string][]byte{"res": scap.EncInt64(0), "request": scap.EncUint16(11), "pid": scap.EncInt64(pidCtrInit)})
		},
		neg: func(s *sim) {
			p := s.spawn(pidHostBash, proc{exe: "/usr/bin/gdb", args: []string{"-p", "300"}, uid: 0, tty: 34816})
			s.syscall(p, "ptrace", map[string][]byte{"res": scap.EncInt64(0), "request": scap.EncUint16(11), "pid": scap.EncInt64(pidNginx)})
		}},
	{rule: "BPF Program Loaded from Container",
		pos: func(s *sim) {
			s.syscall(pidCtrApp, "bpf", map[string][]byte{"cmd": scap.EncInt64(5), "res_or_fd": append([]byte{0}, scap.EncInt64(7)...)})
		},
		neg: func(s *sim) {
			s.syscall(pidRootd, "bpf", map[string][]byte{"cmd": scap.EncInt64(5), "res_or_fd": append([]byte{0}, scap.EncInt64(7)...)})
		}},
	{rule: "Privileged Container Started",
		pos: func(s *sim) {
			s.hdr.Metadata.Containers[0].Privileged = true
			p := s.spawn(pidSystemd, proc{exe: "/usr/sbin/nginx", cg: container()})
			s.setVpid(p)
		},
		neg: func(s *sim) {
			// Another process starts in a running privileged container:
			// no container start.
			s.hdr.Metadata.Containers[0].Privileged = true
			s.spawn(pidCtrBash, proc{exe: "/bin/ls", cg: container()})
		}},
	{rule: "Mount Inside Container",
		pos: func(s *sim) {
			s.syscall(pidCtrBash, "mount", map[string][]byte{"res": scap.EncInt64(0), "dev": scap.EncString("/dev/sda1"),
				"dir": scap.EncString("/mnt"), "type": scap.EncString("ext4")})
		},
		neg: func(s *sim) {
			s.syscall(pidHostBash, "mount", map[string][]byte{"res": scap.EncInt64(0), "dev": scap.EncString("/dev/sdb1"),
				"dir": scap.EncString("/mnt"), "type": scap.EncString("ext4")})
		}},
	{rule: "Package Manager Run in Container",
		pos: func(s *sim) {
			s.spawn(pidCtrBash, proc{exe: "/usr/bin/apt-get", args: []string{"install", "-y", "nmap"}, cg: container()})
		},
		neg: func(s *sim) {
			s.spawn(pidHostBash, proc{exe: "/usr/bin/apt-get", args: []string{"update"}, tty: 34816})
		}},
	{rule: "Sensitive Host Path Written from Container",
		pos: func(s *sim) { s.open(pidCtrBash, 5, "/sys/fs/cgroup/rdma/release_agent", oWrite) },
		neg: func(s *sim) { s.open(pidCtrBash, 5, "/sys/fs/cgroup/rdma/release_agent", oRead) }},
}

// setVpid makes pid the container's init process: the last exec's vpid
// becomes 1 by re-cloning with vpid 1 (what a container start looks like).
func (s *sim) setVpid(pid int64) {
	// Rewrite the clone exit of the child (second-to-last clone event)
	// with vpid 1: a new pid namespace.
	for i := len(s.events) - 1; i >= 0; i-- {
		var ev scap.Event
		if err := ev.Decode(s.events[i], false); err != nil || ev.Tid() != pid {
			continue
		}
		info := ev.Info()
		if info.Name != "clone" || info.Dir != 'X' {
			continue
		}
		vals := map[string][]byte{}
		for k, p := range info.Params {
			vals[p.Name] = ev.Param(k)
		}
		vals["vpid"], vals["vtid"] = scap.EncInt64(1), scap.EncInt64(1)
		params := make([][]byte, 0, len(info.Params))
		for _, p := range info.Params {
			params = append(params, vals[p.Name])
		}
		s.events[i] = scap.AppendEvent(nil, ev.Ts(), pid, ev.Type(), params...)
		return
	}
}

func TestRuleScenarios(t *testing.T) {
	set := loadBuiltin(t)
	covered := map[string]bool{}
	for _, sc := range scenarios {
		covered[sc.rule] = true
		if set.Rule(sc.rule) == nil {
			t.Errorf("scenario for unknown rule %q", sc.rule)
			continue
		}
		t.Run(sc.rule+"/positive", func(t *testing.T) {
			s := newSim()
			sc.pos(s)
			if got := s.run(t); !slices.Contains(got, sc.rule) {
				t.Errorf("rule did not fire; fired: %q", got)
			}
		})
		t.Run(sc.rule+"/negative", func(t *testing.T) {
			s := newSim()
			sc.neg(s)
			if got := s.run(t); slices.Contains(got, sc.rule) {
				t.Errorf("rule fired on the negative scenario; fired: %q", got)
			}
		})
	}
	for _, r := range set.Rules {
		if !covered[r.Name] {
			t.Errorf("rule %q has no scenario", r.Name)
		}
	}
}

// TestBenignCaptureQuiet replays a generated benign capture (shell
// sessions running cat, ls, curl, grep, python, nginx and sshd, which
// reads /etc/shadow) and expects no alert of priority Warning or higher.
func TestBenignCaptureQuiet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benign.scap.zst")
	if _, err := capgen.WriteFile(path, capgen.Options{Events: 20000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	dets, n := detectBuiltin(t, path, engine.Selection{MinPriority: engine.PriorityWarning})
	for _, d := range dets {
		t.Errorf("event %d: %s (%s)", d.EventNum, d.Rule, d.Output)
	}
	if n < 20000 {
		t.Errorf("replayed %d events, want at least 20000", n)
	}
}

// recordedAlert is one alert of a built-in rule on a recording.
type recordedAlert struct {
	rule     string
	priority engine.Priority
	output   string
}

// replayRecording replays a real recording (made with retrace record) of
// testdata/DIR with the built-in rules as retrace replay runs them and
// returns every alert. It skips when the recording is absent.
func replayRecording(t *testing.T, dir, name string) []recordedAlert {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", dir, name)
	if _, err := os.Stat(path); err != nil {
		testutil.SkipMissing(t, "recording not available: %v", err)
	}
	var alerts []recordedAlert
	dets, _ := detectBuiltin(t, path, engine.Selection{})
	for _, d := range dets {
		p, err := engine.ParsePriority(d.Priority)
		if err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, recordedAlert{rule: d.Rule, priority: p, output: d.Output})
	}
	return alerts
}

// TestRecordedAttacks replays the real attack recordings of
// testdata/attacks and checks which built-in rules each one triggers and
// how often: exactly these, no more.
func TestRecordedAttacks(t *testing.T) {
	for _, tc := range []struct {
		capture string
		want    map[string]int
	}{
		{"chmod-exec-tmp.scap.zst", map[string]int{"Executable Permission Set in Temporary Directory": 1, "Execution from Temporary Directory": 1}},
		{"clear-logs.scap.zst", map[string]int{"Log File Cleared": 2}},
		{"container-terminal-shell.scap.zst", map[string]int{"Terminal Shell in Container": 1}},
		// The containers' shells are children of conmon, their subreaper,
		// once runc's init exits (REPLAY-REPARENT-029): no "Shell Spawned
		// by Unexpected Parent in Container". cp and the busybox dd and
		// rmdir applets are no shells.
		{"credentials-read.scap.zst", map[string]int{"Read Cloud Credentials by Unexpected Program": 1, "Read SSH Private Key by Non-SSH Program": 1,
			"Read Sensitive File by Untrusted Program": 1}},
		{"drop-and-exec-container.scap.zst", map[string]int{"Drifted Executable Run in Container": 1, "Executable Permission Set in Temporary Directory": 1,
			"Execution from Temporary Directory": 1}},
		{"package-mgmt-container.scap.zst", map[string]int{"Package Manager Run in Container": 2}},
		// One container start, one alert: on its first process, not on
		// the container metadata event.
		{"privileged-container.scap.zst", map[string]int{"Privileged Container Started": 1}},
		{"reverse-shell.scap.zst", map[string]int{"Reverse Shell Redirects Standard Streams to a Socket": 3,
			"Shell with Standard Input from a Network Socket": 1}},
		// nc -e sh runs busybox's sh applet by re-executing /proc/self/exe
		// (process name exe) with the socket on its standard streams.
		{"reverse-shell-container.scap.zst", map[string]int{"Network Tool Launched in Container": 1,
			"Reverse Shell Redirects Standard Streams to a Socket": 2, "Shell with Standard Input from a Network Socket": 1}},
		{"shadow-read-container.scap.zst", map[string]int{"Read Sensitive File by Untrusted Program": 1}},
		{"shadow-read-host.scap.zst", map[string]int{"Read Sensitive File by Untrusted Program": 1}},
		// busybox httpd hands the CGI pipes as its standard streams, so no
		// shell has a socket there (the recording made before the
		// command-scoped snapshot had the CGI's shells inherit stale fds:
		// stdin anon_inode:bpf-map, stdout the accepted connection).
		{"webserver-shell.scap.zst", map[string]int{"Executable Permission Set in Temporary Directory": 1, "Shell Spawned by Server Process": 1}},
		{"write-below-bin.scap.zst", map[string]int{"Rename or Remove Below Binary Directory": 1, "Write Below Binary Directory": 1}},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			got := map[string]int{}
			for _, a := range replayRecording(t, "attacks", tc.capture) {
				got[a.rule]++
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts per rule (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecordedBenign replays the real benign recordings of
// testdata/benign (a package install, a build in /tmp, a login) and
// expects no alert of priority Warning or higher.
func TestRecordedBenign(t *testing.T) {
	for _, name := range []string{"build.scap.zst", "login.scap.zst", "package-install.scap.zst"} {
		t.Run(name, func(t *testing.T) {
			for _, a := range replayRecording(t, "benign", name) {
				if a.priority <= engine.PriorityWarning {
					t.Errorf("%s (%s): %s", a.rule, a.priority, a.output)
				}
			}
		})
	}
}

// TestRecordedAlertOutputs checks the output of alerts on real recordings
// where a field could be missing on the matching event.
func TestRecordedAlertOutputs(t *testing.T) {
	for _, tc := range []struct {
		capture, rule string
		want          []string // every alert of rule contains all of these
		notWant       []string // and none of these
	}{
		{"privileged-container.scap.zst", "Privileged Container Started",
			[]string{"container_name=retrace-privileged", "process=id cmdline=id"}, []string{"container:"}},
		// Both alerts name the file: bash's O_TRUNC open and shred's
		// unlink of the renamed file (which has no fd).
		{"clear-logs.scap.zst", "Log File Cleared", []string{"file=/var/log/"}, []string{"file=<NA>", "file= "}},
	} {
		t.Run(tc.capture+"/"+tc.rule, func(t *testing.T) {
			n := 0
			for _, a := range replayRecording(t, "attacks", tc.capture) {
				if a.rule != tc.rule {
					continue
				}
				n++
				for _, w := range tc.want {
					if !strings.Contains(a.output, w) {
						t.Errorf("output lacks %q: %s", w, a.output)
					}
				}
				for _, w := range tc.notWant {
					if strings.Contains(a.output, w) {
						t.Errorf("output contains %q: %s", w, a.output)
					}
				}
			}
			if n == 0 {
				t.Errorf("no alert of %q", tc.rule)
			}
		})
	}
}
