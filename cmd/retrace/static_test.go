package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestStaticBinary builds the binary the README tells an incident
// responder to copy (make static), checks that it is static (no program
// interpreter, no dynamic section), stamped with a version and free of
// build paths, and, as root, records with it.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	makeTool := testutil.NeedTool(t, "make")
	bin := filepath.Join(t.TempDir(), "retrace-static")
	root := testutil.RepoRoot()
	build := exec.Command(makeTool, "-C", root, "static", "STATIC_BIN="+bin, "VERSION=9.9.9-test")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make static: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: it is not static", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("the binary has a .dynamic section")
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), root) {
		t.Errorf("the binary holds the build path %s (want -trimpath)", root)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "retrace 9.9.9-test") {
		t.Errorf("retrace version: %q, %v; want the stamped version", out, err)
	}

	testutil.NeedRoot(t)
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		testutil.SkipMissing(t, "kernel has no BTF (/sys/kernel/btf/vmlinux)")
	}
	capPath := filepath.Join(t.TempDir(), "static.scap.zst")
	rec := exec.Command(bin, "record", "-o", capPath, "--only-command", "--", "/bin/cat", "/etc/hostname")
	recOut, err := rec.CombinedOutput()
	if err != nil {
		t.Fatalf("record with the static binary: %v\n%s", err, recOut)
	}
	r, err := capture.Open(capPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var opens int
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if strings.HasPrefix(ev.Info().Name, "open") {
			opens++
		}
	}
	if opens == 0 {
		t.Error("the static binary's recording has no open events of cat")
	}
	if m := r.Header().Metadata; m == nil || m.RecorderVersion != "9.9.9-test" {
		t.Errorf("recorder version in the metadata: %+v, want 9.9.9-test", m)
	}
	if strings.Contains(string(recOut), "\r") {
		t.Errorf("status line drawn without a terminal: %q", recOut)
	}

	// A ring: SIGUSR1 writes its files out while recording, SIGTERM ends
	// it with the rest written out and the staging directory gone.
	ringDir := t.TempDir()
	ring := exec.Command(bin, "record", "-o", filepath.Join(ringDir, "r.scap.zst"), "--ring", "2s", "--only-command", "--", "/bin/sleep", "60")
	var ringErr strings.Builder
	ring.Stderr = &ringErr
	if err := ring.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	ring.Process.Signal(syscall.SIGUSR1)
	time.Sleep(1500 * time.Millisecond)
	ring.Process.Signal(syscall.SIGTERM)
	if err := ring.Wait(); err != nil {
		t.Fatalf("record --ring: %v\n%s", err, ringErr.String())
	}
	sets, _ := filepath.Glob(filepath.Join(ringDir, "r-*.scap.zst"))
	if _, err := os.Stat(filepath.Join(ringDir, "r.ring")); len(sets) < 2 || !os.IsNotExist(err) || !strings.Contains(ringErr.String(), "ring written out: ") {
		t.Errorf("record --ring: files %q, staging directory %v, stderr:\n%s", sets, err, ringErr.String())
	}

	// On a terminal (script's pty), a status line shows while recording.
	script := testutil.NeedTool(t, "script")
	tty := filepath.Join(t.TempDir(), "tty.scap.zst")
	out, err = exec.Command(script, "-qec", bin+" record -o "+tty+" --only-command -- /bin/sleep 2.5", "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("record on a terminal: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "\rrecording ") || !strings.Contains(string(out), " events (") {
		t.Errorf("no status line on the terminal: %q", out)
	}
}
