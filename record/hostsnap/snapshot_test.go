//go:build linux

package hostsnap

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/compat"
	"golang.org/x/sys/unix"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		v6   bool
		ip   string
		port uint16
		ok   bool
	}{
		{"0100007F:1F90", false, "127.0.0.1", 8080, true},
		{"00000000:0016", false, "0.0.0.0", 22, true},
		{"00000000000000000000000001000000:0050", true, "::1", 80, true},
		{"0000000000000000FFFF00000100007F:01BB", true, "127.0.0.1", 443, true},
		{"0100007F", false, "", 0, false},
		{"zz00007F:0016", false, "", 0, false},
		{"0100007F:0016", true, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ip, port, ok := parseAddr(tc.in, tc.v6)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && (ip.String() != tc.ip || port != tc.port) {
				t.Errorf("got %v:%d, want %s:%d", ip, port, tc.ip, tc.port)
			}
		})
	}
}

func FuzzParseAddr(f *testing.F) {
	f.Add("0100007F:1F90", false)
	f.Add("00000000000000000000000001000000:0050", true)
	f.Fuzz(func(t *testing.T, s string, v6 bool) {
		ip, _, ok := parseAddr(s, v6)
		if ok && !ip.IsValid() {
			t.Fatalf("ok with invalid address from %q", s)
		}
	})
}

func TestOpenFlagsToScap(t *testing.T) {
	tests := []struct {
		linux, want uint32
	}{
		{0, 1},                              // O_RDONLY
		{1, 2},                              // O_WRONLY
		{2, 3},                              // O_RDWR
		{0o1 | 0o100 | 0o1000, 2 | 4 | 256}, // O_WRONLY|O_CREAT|O_TRUNC
		{0o2000000, 1 | 4096},               // O_CLOEXEC
		{0o4010000, 1 | 16 | 128},           // O_SYNC (includes O_DSYNC)
	}
	for _, tc := range tests {
		if got := OpenFlagsToScap(tc.linux); got != tc.want {
			t.Errorf("OpenFlagsToScap(%#o) = %#x, want %#x", tc.linux, got, tc.want)
		}
	}
}

func TestEncodeDev(t *testing.T) {
	// major 254, minor 0 (as /dev/vda): glibc dev_t 0xfe00 -> scap 0xfe00.
	if got := encodeDev(0xfe00); got != 0xfe00 {
		t.Errorf("encodeDev(0xfe00) = %#x", got)
	}
	// major 8, minor 300: minor's high bits move up by 12.
	glibc := uint64(8)<<8 | uint64(300&0xff) | uint64(300&^0xff)<<12
	if got, want := encodeDev(glibc), uint32(300&0xff|8<<8|(300&^0xff)<<12); got != want {
		t.Errorf("encodeDev(%#x) = %#x, want %#x", glibc, got, want)
	}
}

func TestCapList(t *testing.T) {
	if got := capList([]string{"aaa", "bbb", "ccc"}, 8); !cmp.Equal(got, []string{"aaa", "bbb"}) {
		t.Errorf("capList = %q", got)
	}
}

func TestUsers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "passwd"), []byte("root:x:0:0:root:/root:/bin/bash\n# comment\nbad:line\nbob:x:1000:100:,,,:/home/bob:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "group"), []byte("root:x:0:\nusers:x:100:bob\n"), 0o644)
	us, gs := users(dir)
	wantU := []capture.User{{UID: 0, GID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"}, {UID: 1000, GID: 100, Name: "bob", HomeDir: "/home/bob", Shell: "/bin/sh"}}
	wantG := []capture.Group{{GID: 0, Name: "root"}, {GID: 100, Name: "users"}}
	if diff := cmp.Diff(wantU, us); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantG, gs); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

// TestTakeSelf snapshots the running host (no root needed) and checks this
// process's entry against what the test knows about itself.
func TestTakeSelf(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	h, err := Take(Options{BootTime: 1})
	if err != nil {
		t.Fatal(err)
	}
	pid := uint64(os.Getpid())
	var self *capture.Process
	for i := range h.Processes {
		if h.Processes[i].TID == pid {
			self = &h.Processes[i]
		}
	}
	if self == nil {
		t.Fatal("this process is missing from the snapshot")
	}
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	if self.ExePath != exe || self.Cwd != wd || self.PTID != uint64(os.Getppid()) || self.UID != uint32(os.Geteuid()) {
		t.Errorf("self = exepath %q cwd %q ptid %d uid %d; want %q %q %d %d", self.ExePath, self.Cwd, self.PTID, self.UID, exe, wd, os.Getppid(), os.Geteuid())
	}
	if h.Machine.NumCPUs == 0 || h.Machine.MemoryBytes == 0 {
		t.Errorf("machine = %+v", h.Machine)
	}
	// A memfd is listed as unsupported, for sysdig 0.29.3.
	if _, err := compat.Known("REC-FDTYPE-029"); err != nil {
		t.Fatal(err)
	}
	mfd, err := unix.MemfdCreate("retrace-test", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(mfd)
	h2, err := Take(Options{BootTime: 1})
	if err != nil {
		t.Fatal(err)
	}
	var memfd *capture.FD
	for _, l := range h2.FDs {
		for i, fd := range l.FDs {
			if l.TID == pid && fd.Num == int64(mfd) {
				memfd = &l.FDs[i]
			}
		}
	}
	if memfd == nil || memfd.Type != capture.FDUnsupported || memfd.Name != "/memfd:retrace-test (deleted)" {
		t.Errorf("memfd entry = %+v, want type UNSUPPORTED named /memfd:retrace-test (deleted)", memfd)
	}
	// The listener shows up as an IPv4 server socket.
	var found bool
	for _, l := range h.FDs {
		if l.TID != pid {
			continue
		}
		for _, fd := range l.FDs {
			if fd.Type == capture.FDIPv4ServSock && fd.SrcPort == port && fd.SrcIP == netip.MustParseAddr("127.0.0.1") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("listener 127.0.0.1:%d not in this process's fd list", port)
	}
}

// openCloexecPair opens a new file twice, with O_CLOEXEC and mode
// withMode, then without it and mode withoutMode; the test closes both.
func openCloexecPair(t *testing.T, withMode, withoutMode int) (withFlag, without int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		fd    *int
		flags int
	}{{&withFlag, withMode | unix.O_CLOEXEC}, {&without, withoutMode}} {
		fd, err := unix.Open(path, o.flags, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		*o.fd = fd
	}
	return withFlag, without
}

// TestFileCloseOnExec checks that FILE_V2 entries carry PPM_O_CLOEXEC when
// /proc/PID/fdinfo/N says O_CLOEXEC, so replay can drop them at execve.
func TestFileCloseOnExec(t *testing.T) {
	withFlag, without := openCloexecPair(t, unix.O_RDONLY, unix.O_WRONLY)
	l, ok := readFDs("/proc", os.Getpid(), newSocketTable("/proc"), false)
	if !ok {
		t.Fatal("readFDs of this process failed")
	}
	const ppmCloexec = 1 << 12
	tests := []struct {
		name string
		fd   int
		want uint32
	}{
		{"O_RDONLY|O_CLOEXEC", withFlag, 1 | ppmCloexec},
		{"O_WRONLY", without, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, fd := range l.FDs {
				if fd.Num != int64(tc.fd) {
					continue
				}
				// The kernel adds O_LARGEFILE; compare access mode and O_CLOEXEC.
				if got := fd.OpenFlags & (3 | ppmCloexec); fd.Type != capture.FDFileV2 || got != tc.want {
					t.Errorf("fd %d = type %d flags %#x, want FILE_V2 with %#x", tc.fd, fd.Type, fd.OpenFlags, tc.want)
				}
				return
			}
			t.Errorf("fd %d missing from the snapshot", tc.fd)
		})
	}
}

// TestTakeInheritablePID checks that the process named by InheritablePID
// lists only the fds an execve keeps: the recorder's own BPF and capture
// fds (all O_CLOEXEC) never reach the commands it starts.
func TestTakeInheritablePID(t *testing.T) {
	withFlag, without := openCloexecPair(t, unix.O_RDONLY, unix.O_RDONLY)
	for _, tc := range []struct {
		name        string
		inheritable int
		wantCloexec bool
	}{
		{"every fd", 0, true},
		{"inheritable fds only", os.Getpid(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Take(Options{BootTime: 1, OnlyPID: os.Getpid(), InheritablePID: tc.inheritable})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, l := range h.FDs {
				for _, fd := range l.FDs {
					got[fd.Num] = true
				}
			}
			if got[int64(withFlag)] != tc.wantCloexec {
				t.Errorf("O_CLOEXEC fd %d listed: %v, want %v", withFlag, got[int64(withFlag)], tc.wantCloexec)
			}
			if !got[int64(without)] {
				t.Errorf("inheritable fd %d not listed", without)
			}
		})
	}
}

// TestTakeOnlyPID checks that OnlyPID limits the process and fd lists to
// one process and its threads (retrace record --snapshot-scope command).
func TestTakeOnlyPID(t *testing.T) {
	pid := os.Getpid()
	h, err := Take(Options{BootTime: 1, OnlyPID: pid})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Processes) < 2 { // a Go test binary runs several threads
		t.Fatalf("%d processes listed, want this process's threads", len(h.Processes))
	}
	for _, p := range h.Processes {
		if p.PID != uint64(pid) {
			t.Errorf("process %d (%s, thread %d) listed; want only %d", p.PID, p.Comm, p.TID, pid)
		}
	}
	for _, l := range h.FDs {
		if l.TID != uint64(pid) {
			t.Errorf("fd list of %d; want only %d's", l.TID, pid)
		}
	}
	if len(h.FDs) != 1 || len(h.Users) == 0 || h.Machine == nil {
		t.Errorf("%d fd lists, %d users, machine %v; want one fd list and the host's users and machine", len(h.FDs), len(h.Users), h.Machine)
	}
}
