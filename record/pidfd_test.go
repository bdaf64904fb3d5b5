//go:build linux && amd64

package record

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

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
