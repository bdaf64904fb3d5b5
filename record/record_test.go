//go:build linux && amd64

package record

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// PPM_O_* bits of open flags.
const (
	ppmORdonly   = 1 << 0
	ppmOWronly   = 1 << 1
	ppmOCreat    = 1 << 2
	ppmOFCreated = 1 << 14
)

func TestRecordShadowRead(t *testing.T) {
	dir := t.TempDir()
	c := recordRun(t, Options{}, "/bin/sh", "-c", "cd "+dir+" && cat /etc/shadow > /dev/null")

	cat := c.execOf(t, "cat", "/etc/shadow")
	if got := cat.str("cwd"); got != dir {
		t.Errorf("cat cwd = %q, want %q", got, dir)
	}
	if got := cat.str("filename"); !strings.HasPrefix(got, "/") || filepath.Base(got) != "cat" {
		t.Errorf("cat execve filename = %q, want the path sh executed", got)
	}
	if got := cat.str("trusted_exepath"); filepath.Base(got) != "cat" {
		t.Errorf("cat trusted_exepath = %q", got)
	}
	for _, p := range []string{"exe_ino", "exe_ino_ctime", "exe_ino_mtime", "vm_size", "fdlimit", "pgid"} {
		if v := cat.uint(p); v == 0 || v == 1<<63 {
			t.Errorf("cat execve %s = %d, want a value", p, v)
		}
	}
	opens := c.find("openat", true, func(e event) bool { return e.tid == cat.tid && e.str("name") == "/etc/shadow" })
	if len(opens) != 1 {
		t.Fatalf("openat of /etc/shadow by cat: %d events, want 1", len(opens))
	}
	op := opens[0]
	fd := op.int("fd")
	if fd < 0 {
		t.Fatalf("openat /etc/shadow fd = %d", fd)
	}
	if f := op.uint("flags"); f&ppmORdonly == 0 || f&ppmOWronly != 0 {
		t.Errorf("openat /etc/shadow flags = %#x, want O_RDONLY", f)
	}
	if op.uint("ino") == 0 || op.uint("dev") == 0 {
		t.Errorf("openat /etc/shadow dev/ino = %d/%d, want both set", op.uint("dev"), op.uint("ino"))
	}
	reads := c.find("read", true, func(e event) bool { return e.tid == cat.tid && e.int("fd") == fd && e.ts > op.ts })
	if len(reads) == 0 {
		t.Fatalf("no read of fd %d after the open of /etc/shadow", fd)
	}
	shadow, err := os.ReadFile("/etc/shadow")
	if err != nil {
		t.Fatal(err)
	}
	data := reads[0].params["data"]
	want := shadow[:min(len(shadow), 80)]
	if string(data) != string(want) {
		t.Errorf("read data = %q, want the first %d bytes of /etc/shadow", data, len(want))
	}
	// The enter event sysdig 0.29.3 needs comes right before the exit.
	enters := c.find("read", false, func(e event) bool { return e.tid == cat.tid && e.int("fd") == fd })
	if len(enters) == 0 {
		t.Errorf("no read enter event for fd %d", fd)
	}
}

func TestRecordSnaplenZeroAndNoEnv(t *testing.T) {
	c := recordRun(t, Options{Snaplen: 0, NoEnv: true}, "/bin/sh", "-c", "cat /etc/hostname > /dev/null")
	c2 := c.execOf(t, "cat", "/etc/hostname")
	if env := c2.params["env"]; len(env) != 0 {
		t.Errorf("execve env with --no-env: %q, want empty", env)
	}
	for _, p := range c.header.Processes {
		if len(p.Env) != 0 {
			t.Fatalf("snapshot process %d has env with --no-env", p.TID)
		}
	}
}

func TestRecordWriteBelowBin(t *testing.T) {
	name := fmt.Sprintf("/bin/retrace-test-%d", os.Getpid())
	t.Cleanup(func() { os.Remove(name) })
	c := recordRun(t, Options{OnlyCommand: true}, "/bin/sh", "-c", "echo x > "+name+" && rm "+name)

	opens := c.find("openat", true, func(e event) bool { return e.str("name") == name })
	if len(opens) == 0 {
		t.Fatalf("no openat of %s", name)
	}
	f := opens[0].uint("flags")
	if f&ppmOWronly == 0 || f&ppmOCreat == 0 || f&ppmOFCreated == 0 {
		t.Errorf("openat %s flags = %#x, want O_WRONLY|O_CREAT and F_CREATED", name, f)
	}
	unl := append(c.find("unlinkat", true, func(e event) bool { return e.str("name") == name && e.int("res") == 0 }),
		c.find("unlink", true, func(e event) bool { return e.str("path") == name && e.int("res") == 0 })...)
	if len(unl) != 1 {
		t.Errorf("successful unlink/unlinkat of %s: %d events, want 1", name, len(unl))
	}
	if _, err := os.Stat(name); err == nil {
		t.Errorf("%s still exists", name)
	}
}

func TestRecordTerminalShell(t *testing.T) {
	testutil.NeedTool(t, "script")
	c := recordRun(t, Options{}, "script", "-qc", "/bin/sh -c 'tty; exit 0'", "/dev/null")
	sh := c.execOf(t, "sh", "-c", "tty; exit 0")
	if sh.uint("tty") == 0 {
		t.Errorf("sh under script: tty = 0, want the pty's device number")
	}
}

func TestRecordTCPConnect(t *testing.T) {
	testutil.NeedTool(t, "bash")
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	c := recordRun(t, Options{}, "bash", "-c", fmt.Sprintf("echo hi > /dev/tcp/127.0.0.1/%d", port))

	conns := c.find("connect", true, func(e event) bool { return e.int("res") == 0 })
	var found bool
	for _, e := range conns {
		tu := e.params["tuple"]
		if len(tu) != 13 || tu[0] != 2 {
			continue
		}
		dip := netip.AddrFrom4([4]byte(tu[7:11]))
		dport := binary.LittleEndian.Uint16(tu[11:])
		sport := binary.LittleEndian.Uint16(tu[5:])
		if dip.String() == "127.0.0.1" && int(dport) == port {
			found = true
			if sport == 0 {
				t.Errorf("connect tuple has source port 0")
			}
		}
	}
	if !found {
		t.Errorf("no connect to 127.0.0.1:%d among %d successful connects", port, len(conns))
	}
}

func TestRecordForkChain(t *testing.T) {
	c := recordRun(t, Options{}, "/bin/sh", "-c", `/bin/sh -c "/bin/sh -c '/bin/true; :'; :"; :`)
	l1 := c.execOf(t, "sh", "-c", `/bin/sh -c "/bin/sh -c '/bin/true; :'; :"; :`)
	l2 := c.execOf(t, "sh", "-c", `/bin/sh -c '/bin/true; :'; :`)
	l3 := c.execOf(t, "sh", "-c", `/bin/true; :`)
	leaf := c.execOf(t, "true")
	chain := []event{l1, l2, l3, leaf}
	for i := 1; i < len(chain); i++ {
		if got, want := chain[i].int("ptid"), chain[i-1].int("pid"); got != want {
			t.Errorf("level %d: ptid = %d, want parent pid %d", i, got, want)
		}
		// The parent's clone exit names the child.
		kids := c.find("clone", true, func(e event) bool { return e.int("res") == chain[i].int("pid") })
		kids = append(kids, c.find("clone3", true, func(e event) bool { return e.int("res") == chain[i].int("pid") })...)
		kids = append(kids, c.find("fork", true, func(e event) bool { return e.int("res") == chain[i].int("pid") })...)
		kids = append(kids, c.find("vfork", true, func(e event) bool { return e.int("res") == chain[i].int("pid") })...)
		if len(kids) == 0 {
			t.Errorf("level %d: no clone exit returning child %d", i, chain[i].int("pid"))
		}
	}
	if exits := c.find("procexit", true, func(e event) bool { return e.tid == leaf.tid }); len(exits) != 1 {
		t.Errorf("procexit of the leaf: %d events, want 1", len(exits))
	}
}

func TestRecordSnapshotAndMetadata(t *testing.T) {
	c := recordRun(t, Options{}, "/bin/true")
	h := c.header
	if h.Machine == nil || h.Machine.Hostname == "" || h.Machine.BootTime == 0 || h.Machine.NumCPUs == 0 {
		t.Fatalf("machine info = %+v", h.Machine)
	}
	if len(h.Processes) == 0 || len(h.FDs) == 0 || len(h.Users) == 0 {
		t.Fatalf("snapshot: %d processes, %d fd lists, %d users", len(h.Processes), len(h.FDs), len(h.Users))
	}
	var sawInit, sawSelf bool
	for _, p := range h.Processes {
		sawInit = sawInit || p.PID == 1
		// The recorder is listed (the command's parent), not traced.
		sawSelf = sawSelf || p.PID == uint64(os.Getpid())
	}
	if !sawInit || !sawSelf {
		t.Errorf("snapshot has pid 1: %v, the recorder: %v; want both", sawInit, sawSelf)
	}
	m := h.Metadata
	if m == nil || m.KernelRelease == "" || m.StartTime.IsZero() || m.StopTime.IsZero() || m.Drops == nil {
		t.Fatalf("metadata = %+v", m)
	}
	// Per-syscall tracepoints (the default here) see no unrecorded
	// syscalls; the raw hooks count them (docs/FORMAT.md, rule 5).
	if c.result.Hooks != HooksTracepoints {
		t.Errorf("hooks = %v, want tracepoints on this kernel", c.result.Hooks)
	}
	if len(m.Unrecorded) != 0 {
		t.Errorf("unrecorded counts %v with per-syscall tracepoints, want none", m.Unrecorded)
	}
	raw := recordRun(t, Options{SyscallHooks: HooksRaw}, "/bin/true")
	if raw.result.Hooks != HooksRaw {
		t.Errorf("hooks = %v, want raw", raw.result.Hooks)
	}
	m = raw.header.Metadata
	if len(m.Unrecorded) == 0 {
		t.Errorf("no unrecorded syscall counts in the metadata with the raw hooks")
	}
	for name := range m.Unrecorded {
		if _, ok := scap.ProfileFor(name); ok {
			t.Errorf("syscall %s is in the profile but counted as unrecorded", name)
		}
	}
	// The recorder never records itself.
	self := int64(os.Getpid())
	for _, e := range c.events {
		if e.tid == self {
			t.Fatalf("event %s of the recorder's own thread %d", e.name, e.tid)
		}
	}
	// Events come out in timestamp order.
	for i := 1; i < len(c.events); i++ {
		if c.events[i].ts < c.events[i-1].ts {
			t.Fatalf("event %d (%s) at %d is before event %d at %d", i, c.events[i].name, c.events[i].ts, i-1, c.events[i-1].ts)
		}
	}
}

func TestRecordMatchesProfile(t *testing.T) {
	// Every syscall of the profile is wired to a BPF program, and every
	// event written has the code and parameter count the profile names.
	progs := map[string]bool{}
	for _, sc := range recordedSyscalls {
		progs[sc.name] = true
	}
	for _, p := range scap.Profile() {
		if p.Syscall != "procexit" && !progs[p.Syscall] {
			t.Errorf("profile syscall %s has no BPF program", p.Syscall)
		}
	}
	// Both ways of hooking syscalls write the same events.
	for _, hooks := range []SyscallHooks{HooksTracepoints, HooksRaw} {
		t.Run(hooks.String(), func(t *testing.T) {
			dir := t.TempDir()
			c := recordRun(t, Options{SyscallHooks: hooks}, "/bin/sh", "-c", "ls -la / > /dev/null; cat /etc/hostname > /dev/null; mkdir -p "+filepath.Join(dir, "d")+
				"; cd "+dir+" && ln -s d l && mv l m && chmod 700 d && rm m && rmdir d; kill -0 $$")
			written := map[scap.Type]bool{}
			for _, p := range scap.Profile() {
				written[p.Exit] = true
				if et, ok := p.EnterType(); ok {
					written[et] = true
				}
			}
			written[scap.ContainerJsonV2E] = true
			written[scap.DropE] = true
			written[scap.DropX] = true
			// Enter events come right before their exit event on the same thread,
			// exactly for the syscalls whose profile entry says so.
			byExit := map[scap.Type]scap.ProfileEntry{}
			for _, p := range scap.Profile() {
				byExit[p.Exit] = p
			}
			lastByTid := map[int64]event{}
			for _, e := range c.events {
				if p, ok := byExit[e.typ]; ok && p.Syscall != "procexit" {
					prev, had := lastByTid[e.tid]
					gotEnter := had && prev.typ == e.typ-1
					if gotEnter != p.Enter {
						t.Errorf("%s exit at %d: enter event before it %v, profile says %v", p.Syscall, e.ts, gotEnter, p.Enter)
					}
				}
				lastByTid[e.tid] = e
			}
			for _, e := range c.events {
				if !written[e.typ] {
					t.Errorf("event code %d (%s) is not in the event profile", e.typ, e.name)
					continue
				}
				info, _ := scap.Lookup(e.typ)
				if len(e.params) != len(info.Params) {
					t.Errorf("event %d (%s): %d parameters, want %d", e.typ, e.name, len(e.params), len(info.Params))
				}
			}
		})
	}
}
