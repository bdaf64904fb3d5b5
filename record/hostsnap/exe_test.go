//go:build linux

package hostsnap

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/internal/testutil"
	"golang.org/x/sys/unix"
)

func TestWritable(t *testing.T) {
	nobody := creds{fsuid: 65534, fsgid: 65534, groups: []uint32{4242}}
	tests := []struct {
		name string
		f    fileFacts
		c    creds
		want bool
	}{
		{"owner, read-only mode", fileFacts{mode: 0o555, uid: 65534, gid: 0}, nobody, true},
		{"root-owned 0755", fileFacts{mode: 0o755}, nobody, false},
		{"other writable", fileFacts{mode: 0o757}, nobody, true},
		{"group writable, fs gid", fileFacts{mode: 0o775, gid: 65534}, nobody, true},
		{"group writable, supplementary group", fileFacts{mode: 0o775, gid: 4242}, nobody, true},
		{"group writable, other group", fileFacts{mode: 0o775, gid: 7}, nobody, false},
		{"group member, group bit clear, other bit set", fileFacts{mode: 0o757, gid: 4242}, nobody, false},
		{"CAP_DAC_OVERRIDE", fileFacts{mode: 0o555}, creds{fsuid: 1, capEff: capDacOverride}, true},
		{"read-only filesystem", fileFacts{mode: 0o777, readOnlyFS: true}, creds{}, false},
		{"immutable", fileFacts{mode: 0o777, immutable: true}, creds{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := writable(tc.f, tc.c); got != tc.want {
				t.Errorf("writable(%+v, %+v) = %v, want %v", tc.f, tc.c, got, tc.want)
			}
		})
	}
}

func TestStatusCreds(t *testing.T) {
	got := statusCreds(map[string]string{
		"Uid":    "1000\t1001\t1002\t1003",
		"Gid":    "100\t101\t102\t103",
		"Groups": "4 24 27 ",
		"CapEff": "0000000000000002",
	})
	want := creds{fsuid: 1003, fsgid: 103, groups: []uint32{4, 24, 27}, capEff: 2}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(creds{})); diff != "" {
		t.Errorf("statusCreds (-want +got):\n%s", diff)
	}
	if c := statusCreds(map[string]string{"Uid": "0 0"}); c.fsuid != 0xffffffff {
		t.Errorf("short Uid line: fsuid %d, want the unmapped id", c.fsuid)
	}
}

func TestMountFor(t *testing.T) {
	const mi = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /var/lib/c/merged rw,relatime - overlay overlay rw,lowerdir=/l1:/l2,upperdir=/var/lib/c/up\040dir,workdir=/var/lib/c/work
31 30 0:5 / /var/lib/c/merged/dev rw - devtmpfs udev rw
40 22 0:41 / /ro rw - overlay overlay ro,lowerdir=/a:/b
41 22 0:42 / /hidden rw - overlay overlay rw,lowerdir=/a,upperdir=/u,workdir=/w
42 22 0:43 / /hidden rw - tmpfs tmpfs rw
`
	tests := []struct {
		path      string
		want      overlayMount
		isOverlay bool
	}{
		{"/usr/bin/sh", overlayMount{point: "/"}, false},
		{"/var/lib/c/merged/bin/sh", overlayMount{point: "/var/lib/c/merged", upperDir: "/var/lib/c/up dir"}, true},
		{"/var/lib/c/merged/dev/null", overlayMount{point: "/var/lib/c/merged/dev"}, false},
		{"/var/lib/c/mergedx/bin", overlayMount{point: "/"}, false},
		{"/ro/bin/x", overlayMount{point: "/ro"}, true},
		{"/hidden/x", overlayMount{point: "/hidden"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, ov := mountFor([]byte(mi), tc.path)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(overlayMount{})); diff != "" || ov != tc.isOverlay {
				t.Errorf("mountFor(%q): overlay %v, want %v; mount (-want +got):\n%s", tc.path, ov, tc.isOverlay, diff)
			}
		})
	}
}

// TestSnapshotExeFlags runs real processes from an overlayfs mount's upper
// and lower layers, from a memfd, and as nobody from a root-owned binary,
// and checks the V9 tail's exe flags the snapshot gives them.
func TestSnapshotExeFlags(t *testing.T) {
	testutil.NeedRoot(t)
	sleep := testutil.NeedTool(t, "sleep")
	bin, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "lower", "lowsleep"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "upper", "upsleep"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged")
	opts := "lowerdir=" + filepath.Join(dir, "lower") + ",upperdir=" + filepath.Join(dir, "upper") + ",workdir=" + filepath.Join(dir, "work")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		testutil.SkipMissing(t, "cannot mount overlayfs here: %v", err)
	}
	defer unix.Unmount(merged, unix.MNT_DETACH)

	memfd, err := unix.MemfdCreate("retrace-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	mf := os.NewFile(uintptr(memfd), "memfd")
	defer mf.Close()
	if _, err := mf.Write(bin); err != nil {
		t.Fatal(err)
	}

	start := func(path string, cred *syscall.Credential, extra ...*os.File) int {
		t.Helper()
		cmd := exec.Command(path, "30")
		cmd.ExtraFiles = extra
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", path, err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	type flags struct{ Writable, Upper, Lower, Memfd bool }
	tests := []struct {
		name string
		pid  int
		want flags
	}{
		{"upper layer", start(filepath.Join(merged, "upsleep"), nil), flags{Writable: true, Upper: true}},
		{"lower layer", start(filepath.Join(merged, "lowsleep"), nil), flags{Writable: true, Lower: true}},
		{"memfd", start("/proc/self/fd/3", nil, mf), flags{Writable: true, Memfd: true}},
		{"nobody runs a root-owned binary", start(sleep, &syscall.Credential{Uid: 65534, Gid: 65534}), flags{}},
	}
	// Wait until each process runs its executable (exec done).
	deadline := time.Now().Add(5 * time.Second)
	for _, tc := range tests {
		for {
			exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(tc.pid), "exe"))
			if exe != "" && exe != "/proc/self/exe" && filepath.Base(exe) != filepath.Base(os.Args[0]) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: pid %d did not exec", tc.name, tc.pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := readThread(Options{Proc: "/proc"}, tc.pid, tc.pid)
			if !ok {
				t.Fatalf("pid %d vanished", tc.pid)
			}
			got := flags{Writable: p.ExeWritable, Upper: p.ExeUpperLayer, Lower: p.ExeLowerLayer, Memfd: p.ExeFromMemfd}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("exe %s: flags (-want +got):\n%s", p.ExePath, diff)
			}
		})
	}
}
