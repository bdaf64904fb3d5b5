package timeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// TestTrees checks that the tree written a capture at a time, with a
// worker per capture or fewer, is what Run and report.Write give, the
// captures in the order given.
func TestTrees(t *testing.T) {
	var paths []string
	for _, name := range []string{"reverse-shell", "persistence-host", "shadow-read-host", "write-below-bin", "container-terminal-shell"} {
		paths = append(paths, attack(name))
	}
	for _, tc := range []struct {
		name    string
		format  report.Format
		workers int
	}{
		{"text, a worker per capture", report.FormatText, len(paths)},
		{"text, one worker", report.FormatText, 1},
		{"json, two workers", report.FormatJSON, 2},
		{"timesketch, a worker per capture", report.FormatTimesketch, len(paths)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := timeline.Options{Workers: tc.workers}
			rep, err := timeline.Run(context.Background(), paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			var want, got strings.Builder
			if err := report.Write(&want, rep, tc.format, report.Options{}); err != nil {
				t.Fatal(err)
			}
			if strings.Count(want.String(), "\n") < 10 {
				t.Fatalf("the tree has %d lines; the test needs more", strings.Count(want.String(), "\n"))
			}
			tw := report.NewTreeWriter(&got, tc.format, report.Options{})
			var order []string
			trees, err := timeline.Trees(context.Background(), paths, opts, func(c report.CaptureInfo, roots []report.ProcessNode) error {
				order = append(order, c.File)
				return tw.WriteCapture(c, roots)
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("trees differ from the report's (-report +trees):\n%s", diff)
			}
			if diff := cmp.Diff(paths, order); diff != "" {
				t.Errorf("captures emitted out of order (-paths +emitted):\n%s", diff)
			}
			if diff := cmp.Diff(rep.Captures, trees.Captures); diff != "" || len(trees.Tree) != 0 {
				t.Errorf("trees' report holds %d roots; captures differ (-report +trees):\n%s", len(trees.Tree), diff)
			}
		})
	}
}

// TestTreesErrors checks that an emit error stops the run and is
// returned, and that Trees refuses other views.
func TestTreesErrors(t *testing.T) {
	paths := []string{attack("reverse-shell"), attack("persistence-host"), attack("shadow-read-host")}
	stop := errors.New("stop")
	for _, workers := range []int{1, len(paths)} {
		n := 0
		_, err := timeline.Trees(context.Background(), paths, timeline.Options{Workers: workers}, func(report.CaptureInfo, []report.ProcessNode) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 || errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: %d captures emitted, error %v; want 1 and %v alone", workers, n, err, stop)
		}
	}
	for _, view := range []string{timeline.ViewFiles, "shell"} {
		if rep, err := timeline.Trees(context.Background(), paths, timeline.Options{View: view}, nil); rep != nil || err == nil {
			t.Errorf("Trees of view %q: report %v, error %v; want an error and no report", view, rep != nil, err)
		}
	}
}
