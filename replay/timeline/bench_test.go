package timeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// reportViews are the views an HTML report has tabs for.
var reportViews = []string{timeline.ViewCommands, timeline.ViewShells, timeline.ViewFiles, timeline.ViewConnections, timeline.ViewIO,
	timeline.ViewPrivilege, timeline.ViewSensitiveReads, timeline.ViewBinaryWrites, timeline.ViewErrors}

// attackCorpus returns the attack recordings and their event count.
func attackCorpus(b *testing.B) []string {
	paths, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no attack recordings: %v", err)
	}
	return paths
}

// BenchmarkRunViews measures the HTML report's views pass: every report
// view fed by one replay of each attack recording; "one view" is the
// commands view alone, for the cost of a pass.
func BenchmarkRunViews(b *testing.B) {
	paths := attackCorpus(b)
	for _, bc := range []struct {
		name  string
		views []string
	}{{"one view", reportViews[:1]}, {"report views", reportViews}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var events uint64
			for b.Loop() {
				reps, err := timeline.RunViews(context.Background(), paths, bc.views, timeline.Options{Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				events = 0
				for _, c := range reps[0].Captures {
					events += c.Events
				}
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkLines measures a view written a line per finding over the
// attack recordings: in memory (a worker per capture) and through the
// temporary files of one worker.
func BenchmarkLines(b *testing.B) {
	paths := attackCorpus(b)
	enc := report.ViewLineEncoder(report.FormatJSON, report.Options{}, timeline.ViewFiles)
	for _, bc := range []struct {
		name    string
		workers int
	}{{"in memory", len(paths)}, {"through a file", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var events uint64
			for b.Loop() {
				lines := 0
				rep, err := timeline.Lines(context.Background(), paths, timeline.Options{View: timeline.ViewFiles, Workers: bc.workers}, b.TempDir(), enc,
					func([]byte) error { lines++; return nil })
				if err != nil || lines == 0 {
					b.Fatalf("%d lines, %v", lines, err)
				}
				events = 0
				for _, c := range rep.Captures {
					events += c.Events
				}
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
