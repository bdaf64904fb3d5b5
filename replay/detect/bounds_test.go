package detect

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/hostile"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// TestReplayNotesBounds replays captures that pass the state's and the
// reader's bounds (one process opening more fds than one process may
// hold; container frames over their bound) and checks that the capture's
// notes count what was left out and say where.
func TestReplayNotesBounds(t *testing.T) {
	tests := []struct {
		name  string
		short bool // runs under -short
		gen   func(path string) error
		note  string
	}{
		{"fds of one process", false, func(p string) error { return hostile.FDFlood(p, replay.DefaultMaxProcessFDs+10) },
			"fds not tracked: more than 1048576 open fds of one process (the first at event "},
		{"container frames", true, func(p string) error { return hostile.ContainerFlood(p, 2, 2<<20) },
			"2 container metadata frames not read: each is bounded to 1048576 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("writes and replays a million events")
			}
			path := filepath.Join(t.TempDir(), "c.scap.zst")
			if err := tc.gen(path); err != nil {
				t.Fatal(err)
			}
			info, err := ReplayCapture(context.Background(), path, nil, nil, func(report.CaptureInfo) replay.Handler { return nil })
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, n := range info.Notes {
				found = found || strings.Contains(n, tc.note)
			}
			if !found {
				t.Errorf("notes %q, want one containing %q", info.Notes, tc.note)
			}
		})
	}
}
