package detect

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/hostile"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// TestReplayCountsDrops replays captures with drop markers, closed (the
// recorder's totals in the closing metadata, which replay reaches only at
// the end) and abandoned as by a SIGKILL (the markers alone): the capture
// info counts the events lost either way, a note says where they fell,
// and the summary line mentions them; a replay that stops early takes the
// recorder's totals from the end of the file.
func TestReplayCountsDrops(t *testing.T) {
	tests := []struct {
		name   string
		closed bool
		stop   bool // the handler stops the replay at the first event
		note   string
	}{
		{"closed", true, false, "recorder drops: 150 events lost at 2 drop markers, 2026-01-02T03:04:05.5Z to 2026-01-02T03:04:06.5Z, frames 2 to 4"},
		{"recorder killed", false, false, "recorder drops: 150 events lost at 2 drop markers, 2026-01-02T03:04:05.5Z to 2026-01-02T03:04:06.5Z, frames 2 to 4 (the recorder's totals are missing)"},
		{"stopped early", true, true, "recorder drops: 150 events lost (the recorder's totals; no drop markers in the events read)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "drops.scap.zst")
			if err := hostile.DropMarkers(path, []uint32{100, 50}, tc.closed); err != nil {
				t.Fatal(err)
			}
			info, err := ReplayCapture(context.Background(), path, nil, nil, func(report.CaptureInfo) replay.Handler {
				if tc.stop {
					return func(*replay.Event) error { return replay.ErrStop }
				}
				return nil
			})
			if err != nil && tc.closed {
				t.Fatalf("ReplayCapture: %v", err)
			}
			if info.Drops != 150 {
				t.Errorf("Drops = %d, want 150", info.Drops)
			}
			found := false
			for _, n := range info.Notes {
				found = found || n == tc.note
			}
			if !found {
				t.Errorf("notes %q lack %q", info.Notes, tc.note)
			}
			sum := Summary{Captures: []report.CaptureInfo{info}, Events: 10}
			const want = "10 events from 1 captures in 1.00s (10 events/s), 0 detections; 150 events lost to recorder drops (see the notes)"
			if got := sum.Line(1, time.Second, false); got != want {
				t.Errorf("summary line\n %q\nwant %q", got, want)
			}
		})
	}
}

// TestReplaySamplingNotDrops replays a plain .scap file, as sysdig writes
// them, holding drop events: in sysdig's captures they mark its sampling
// mode (ratio: the sampling ratio), so they count no events lost.
func TestReplaySamplingNotDrops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sampled.scap")
	if err := hostile.DropMarkers(path, []uint32{2, 4}, true); err != nil {
		t.Fatal(err)
	}
	info, err := ReplayCapture(context.Background(), path, nil, nil, func(report.CaptureInfo) replay.Handler { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Drops != 0 || len(info.Notes) != 0 {
		t.Errorf("Drops = %d, notes %q; want none", info.Drops, info.Notes)
	}
}
