package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// manyCaptures writes n generated captures of events events each into a
// new directory, their events interleaving in time, and returns it.
func manyCaptures(tb testing.TB, n, events int) string {
	tb.Helper()
	dir := tb.TempDir()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("host%03d.scap.zst", i))
		opts := capgen.Options{Events: events, Seed: uint64(i + 1), Start: start.Add(time.Duration(i) * time.Microsecond),
			Hostname: fmt.Sprintf("host%03d", i)}
		if _, err := capgen.WriteFile(path, opts); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// peakRSS runs `retrace replay -F` printing every event of the captures in
// dir (to /dev/null) in a child process and returns its peak RSS in KiB.
func peakRSS(tb testing.TB, dir string) int64 {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "replay", "-q", "-F", "evt.num > 0",
		"--format", "*%evt.num %evt.time %proc.name %thread.tid %evt.type %fd.name", dir)
	cmd.Env = append(os.Environ(), childEnv+"=1", "GOMAXPROCS=2")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("replay %s: %v\n%s", dir, err, out)
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
}

// manyCapturesRSS measures the peak RSS of replaying 10 and 200 captures
// (the lower of two runs each).
func manyCapturesRSS(tb testing.TB) (ten, twoHundred int64) {
	const events = 2000
	low := func(dir string) int64 {
		a, b := peakRSS(tb, dir), peakRSS(tb, dir)
		return min(a, b)
	}
	return low(manyCaptures(tb, 10, events)), low(manyCaptures(tb, 200, events))
}

// TestReplayMemoryBoundedAcrossCaptures checks that the output of many
// captures streams through a bounded merge: printing every event of 200
// captures takes at most 1.5x the peak RSS of 10 captures (with all output
// held in memory it would grow with the output, about 20x here).
func TestReplayMemoryBoundedAcrossCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 210 captures and runs child processes")
	}
	if testutil.RaceEnabled {
		t.Skip("the race detector's shadow memory makes peak RSS meaningless")
	}
	ten, many := manyCapturesRSS(t)
	t.Logf("peak RSS: 10 captures %d KiB, 200 captures %d KiB (%.2fx)", ten, many, float64(many)/float64(ten))
	if float64(many) > 1.5*float64(ten) {
		t.Errorf("peak RSS over 200 captures is %d KiB, more than 1.5x the %d KiB over 10", many, ten)
	}
}

// BenchmarkReplayManyCapturesRSS reports the peak RSS of `retrace replay
// -F` printing every event of 10 and of 200 captures, and their ratio.
func BenchmarkReplayManyCapturesRSS(b *testing.B) {
	var ten, many int64
	for b.Loop() {
		ten, many = manyCapturesRSS(b)
	}
	b.ReportMetric(float64(ten), "KiB-peak-10")
	b.ReportMetric(float64(many), "KiB-peak-200")
	b.ReportMetric(float64(many)/float64(ten), "ratio")
}
