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

// skipRSS skips the peak RSS checks where they cannot run or mean nothing.
func skipRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("generates hundreds of captures and runs child processes")
	}
	if testutil.RaceEnabled {
		t.Skip("the race detector's shadow memory makes peak RSS meaningless")
	}
}

// checkRSSBounded fails t when the peak RSS of run over 200 captures is
// more than 1.5x its peak over few.
func checkRSSBounded(t *testing.T, few int, run func(dir string) int64) {
	skipRSS(t)
	checkRSSBetween(t, manyCaptures(t, few, 2000), manyCaptures(t, 200, 2000), few, run)
}

// checkRSSBetween fails t when the peak RSS of run over large, a
// directory of 200 captures, is more than 1.5x its peak over small, of
// few captures (the lower of two runs each).
func checkRSSBetween(t *testing.T, small, large string, few int, run func(dir string) int64) {
	t.Helper()
	low := func(dir string) int64 { return min(run(dir), run(dir)) }
	s, l := low(small), low(large)
	t.Logf("peak RSS: %d captures %d KiB, 200 captures %d KiB (%.2fx)", few, s, l, float64(l)/float64(s))
	if float64(l) > 1.5*float64(s) {
		t.Errorf("peak RSS over 200 captures is %d KiB, more than 1.5x the %d KiB over %d", l, s, few)
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

// TestReplayHTMLMemoryBoundedAcrossCaptures checks that an HTML report
// holds its activity views' first --report-max findings, not every
// capture's: over 200 captures it takes at most 1.5x the peak RSS over 20
// (holding every capture's, 3.9x).
func TestReplayHTMLMemoryBoundedAcrossCaptures(t *testing.T) {
	checkRSSBounded(t, 20, func(dir string) int64 {
		// A bound that 20 captures reach in every view: above it, the
		// page's rows (its output) would still grow.
		return childPeakRSS(t, "replay", "-q", "-o", "html", "--report-max", "20", "--out", filepath.Join(t.TempDir(), "report.html"), dir)
	})
}

// TestTimelineMemoryBoundedAcrossCaptures checks that the views stream
// their lines through the merge (text, JSON, Timesketch) or hold their
// first --report-max findings (table, HTML), and that the tree streams a
// capture at a time (text, JSON, Timesketch): over 200 captures each takes
// at most 1.5x the peak RSS over 20 (holding every finding, 2.6x to 4.5x;
// every tree, 1.6x for JSON).
func TestTimelineMemoryBoundedAcrossCaptures(t *testing.T) {
	skipRSS(t)
	small, large := manyCaptures(t, 20, 2000), manyCaptures(t, 200, 2000)
	for _, tc := range []struct{ view, format string }{
		{"commands", "json"},
		{"files", "text"},
		{"io", "timesketch"},
		{"commands", "table"},
		{"files", "html"},
		{"tree", "json"},
		{"tree", "text"},
		{"tree", "timesketch"},
	} {
		t.Run(tc.view+" "+tc.format, func(t *testing.T) {
			checkRSSBetween(t, small, large, 20, func(dir string) int64 {
				out := filepath.Join(t.TempDir(), "out")
				return childPeakRSS(t, "timeline", "-q", "-o", tc.format, "--report-max", "50", "--out", out, dir, tc.view)
			})
		})
	}
}
