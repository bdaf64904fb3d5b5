//go:build linux && amd64

package record

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// pidfdChildEnv makes the test binary, a Go program, open a pidfd of
// itself and send it signal 0 three times (pidfd_send_signal, ppm_sc 348:
// what Go's os.Process.Signal does).
const pidfdChildEnv = "RETRACE_TEST_PIDFD_CHILD"

func pidfdChild() {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pidfd_open:", err)
		os.Exit(1)
	}
	for range 3 {
		if err := unix.PidfdSendSignal(fd, 0, nil, 0); err != nil {
			fmt.Fprintln(os.Stderr, "pidfd_send_signal:", err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// TestRecordAllSyscallsReadBySysdig records a Go program sending pidfd
// signals with --all-syscalls: sysdig 0.29.3 must read the whole capture
// (it crashed on the generic pidfd_send_signal events while their ID was
// ppm_sc 348, past its syscall table), and retrace must still name them.
func TestRecordAllSyscallsReadBySysdig(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	t.Setenv(pidfdChildEnv, "1")
	c := recordRun(t, Options{AllSyscalls: true, OnlyCommand: true}, os.Args[0], "-test.run=^$")

	// retrace names the generic events by their nativeID.
	r, err := capture.Open(c.path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	named := map[string]int{}
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if ev.Type() == scap.GenericX {
			named[ev.TypeName()]++
		}
	}
	if named["pidfd_send_signal"] != 3 || named["pidfd_open"] != 1 {
		t.Errorf("generic events by evt.type: pidfd_send_signal %d, pidfd_open %d, want 3 and 1", named["pidfd_send_signal"], named["pidfd_open"])
	}
	if named[""] != 0 || named["unknown"] != 0 {
		t.Errorf("%d generic events without a name", named[""]+named["unknown"])
	}

	plain := decompress(t, c.path)
	out, err := exec.Command("sysdig", "-r", plain, "-p", "%evt.num %evt.type").CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig -r: %v\n%s", err, lastLines(out, 5))
	}
	if n := strings.Count(string(out), "\n"); n < len(c.events)/2 {
		t.Errorf("sysdig printed %d events of %d", n, len(c.events))
	}
	// sysdig 0.29.3 cannot name them: it prints <unknown> where retrace and
	// current libs name the syscall (the difference the row describes).
	if _, err := compat.Known("SCAP-GENERIC-UNKNOWN-029"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), " <unknown>\n"); n < 4 {
		t.Errorf("sysdig printed %d <unknown> generic events, want the 4 pidfd ones at least", n)
	}
}

// TestRecordMakeTestReadBySysdig records the README's test command (make
// test, on one package so that it stays short) with --all-syscalls: the
// go tool, the compiler and the test binaries are Go programs sending
// pidfd signals and making syscalls of every kind, and sysdig 0.29.3 must
// read the whole capture without crashing.
func TestRecordMakeTestReadBySysdig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make test under the recorder")
	}
	needBPF(t)
	testutil.NeedTool(t, "sysdig")
	testutil.NeedTool(t, "make")
	probeMu.Lock()
	defer probeMu.Unlock()
	dir := t.TempDir()
	out := filepath.Join(dir, "make-test.scap.zst")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Record(ctx, Options{Output: out, Snaplen: 80, AllSyscalls: true, OnlyCommand: true,
		Command: []string{"make", "-C", testutil.RepoRoot(), "test", "PKGS=./capture/scap/", "BIN=" + filepath.Join(dir, "retrace")}})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if res.Events < 10000 {
		t.Fatalf("recorded %d events of make test, want many more", res.Events)
	}
	cmd := exec.Command("sysdig", "-r", decompress(t, out), "-p", "%evt.num")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig -r: %v\n%s", err, lastLines(b, 5))
	}
	// sysdig 0.29.3 leaves out the events of codes it does not know
	// (docs/FORMAT.md, Event profile, rule 3) but must reach the end.
	if n := strings.Count(string(b), "\n"); uint64(n) < res.Events*9/10 {
		t.Errorf("sysdig printed %d of %d events", n, res.Events)
	}
}
