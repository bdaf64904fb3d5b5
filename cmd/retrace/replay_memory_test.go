package main

import (
	"fmt"
	"path/filepath"
	"strings"
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

// childPeakRSS runs `retrace ARGS` in a child process (see runLimited),
// requires it to succeed and returns its peak RSS in KiB.
func childPeakRSS(tb testing.TB, args ...string) int64 {
	tb.Helper()
	res := runLimited(tb, 0, args)
	if res.code != 0 || res.hung {
		tb.Fatalf("retrace %s: exit %d (hung %v)\n%s", strings.Join(args, " "), res.code, res.hung, res.out)
	}
	return res.rssKiB
}

// rssOverCaptures measures the peak RSS of run over few and over many
// generated captures of 2,000 events (the lower of two runs each).
func rssOverCaptures(tb testing.TB, few, many int, run func(dir string) int64) (int64, int64) {
	low := func(dir string) int64 { return min(run(dir), run(dir)) }
	return low(manyCaptures(tb, few, 2000)), low(manyCaptures(tb, many, 2000))
}

// checkRSSBounded fails t when the peak RSS of run over 200 captures is
// more than 1.5x its peak over few.
func checkRSSBounded(t *testing.T, few int, run func(dir string) int64) {
	if testing.Short() {
		t.Skip("generates hundreds of captures and runs child processes")
	}
	if testutil.RaceEnabled {
		t.Skip("the race detector's shadow memory makes peak RSS meaningless")
	}
	small, large := rssOverCaptures(t, few, 200, run)
	t.Logf("peak RSS: %d captures %d KiB, 200 captures %d KiB (%.2fx)", few, small, large, float64(large)/float64(small))
	if float64(large) > 1.5*float64(small) {
		t.Errorf("peak RSS over 200 captures is %d KiB, more than 1.5x the %d KiB over %d", large, small, few)
	}
}

// replayRSS runs `retrace replay -F` printing every event of the captures
// in dir (to /dev/null) and returns its peak RSS in KiB.
func replayRSS(tb testing.TB) func(dir string) int64 {
	return func(dir string) int64 {
		return childPeakRSS(tb, "replay", "-q", "-F", "evt.num > 0",
			"--format", "*%evt.num %evt.time %proc.name %thread.tid %evt.type %fd.name", dir)
	}
}

// TestReplayMemoryBoundedAcrossCaptures checks that the output of many
// captures streams through a bounded merge: printing every event of 200
// captures takes at most 1.5x the peak RSS of 10 captures (with all output
// held in memory it would grow with the output, about 20x here).
func TestReplayMemoryBoundedAcrossCaptures(t *testing.T) {
	checkRSSBounded(t, 10, replayRSS(t))
}

// BenchmarkReplayManyCapturesRSS reports the peak RSS of `retrace replay
// -F` printing every event of 10 and of 200 captures, and their ratio.
func BenchmarkReplayManyCapturesRSS(b *testing.B) {
	var ten, many int64
	for b.Loop() {
		ten, many = rssOverCaptures(b, 10, 200, replayRSS(b))
	}
	b.ReportMetric(float64(ten), "KiB-peak-10")
	b.ReportMetric(float64(many), "KiB-peak-200")
	b.ReportMetric(float64(many)/float64(ten), "ratio")
}
