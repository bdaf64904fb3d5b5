package testutil

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// rssChildEnv makes TestMeasurePeakRSS act as the measured child.
const rssChildEnv = "RETRACE_TESTUTIL_RSS_CHILD"

// TestMeasurePeakRSS checks that a child reports its own peak RSS, not
// the larger one of the test process that started it (which the child's
// rusage would report).
func TestMeasurePeakRSS(t *testing.T) {
	if os.Getenv(rssChildEnv) != "" {
		ReportPeakRSS()
		return
	}
	if RaceEnabled {
		t.Skip("the race detector's shadow memory makes peak RSS meaningless")
	}
	if _, err := PeakRSS(); err != nil {
		SkipMissing(t, "peak RSS: %v", err)
	}
	// Touch 256 MiB in this process, more than the child ever uses.
	big := make([]byte, 256<<20)
	for i := range big {
		if i%4096 == 0 {
			big[i] = 1
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMeasurePeakRSS$")
	cmd.Env = append(os.Environ(), rssChildEnv+"=1")
	peak := MeasurePeakRSS(t, cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	child := peak()
	self, err := PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	t.Logf("this process %d KiB, child %d KiB (its rusage says %d KiB)", self, child, ru.Maxrss)
	if child <= 0 || child >= 128<<10 {
		t.Errorf("child reported %d KiB, want its own few MiB (this process holds %d KiB)", child, self)
	}
	if big[0] != 1 {
		t.Fatal("lost the buffer")
	}
}
