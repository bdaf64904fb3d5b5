package detect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/suite"
)

// TestCaseRunnerTruncated checks `truncated: true`: a truncated capture
// gives the detections of what it holds, a complete one is an error, and
// a truncated capture without the marker is an error too.
func TestCaseRunnerTruncated(t *testing.T) {
	whole := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "escape-container.scap.zst")
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.scap.zst")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	r := NewCaseRunner(nil)
	run := func(capture string, truncated bool) (int, error) {
		dets, err := r.Run(context.Background(), &suite.Case{Name: "c", Capture: capture, Truncated: truncated})
		return len(dets), err
	}
	all, err := run(whole, false)
	if err != nil || all == 0 {
		t.Fatalf("complete capture: %d detections, %v", all, err)
	}
	if n, err := run(cut, true); err != nil || n == 0 || n > all {
		t.Errorf("truncated capture marked truncated: %d detections (of %d), %v", n, all, err)
	}
	if _, err := run(whole, true); err == nil || !strings.Contains(err.Error(), "is not truncated") {
		t.Errorf("complete capture marked truncated: %v", err)
	}
	if _, err := run(cut, false); err == nil {
		t.Error("truncated capture without the marker ran without error")
	}
}

// TestDetectionsNameTheirFrame checks the provenance of a detection: the
// zstd frame holding its event (frame 0 holds the header), its number,
// capture and host.
func TestDetectionsNameTheirFrame(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	dets, err := NewCaseRunner(nil).Run(context.Background(), &suite.Case{Name: "c", Capture: path})
	if err != nil || len(dets) == 0 {
		t.Fatalf("%d detections, %v", len(dets), err)
	}
	for _, d := range dets {
		if d.Frame < 1 || d.EventNum == 0 || d.Capture != path || d.Hostname == "" {
			t.Errorf("%s: frame %d, event %d, capture %q, host %q", d.Rule, d.Frame, d.EventNum, d.Capture, d.Hostname)
		}
	}
}
