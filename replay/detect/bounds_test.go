package detect

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		name    string
		short   bool // runs under -short
		gen     func(path string) error
		note    string
		leftOut uint64
	}{
		{"fds of one process", false, func(p string) error { return hostile.FDFlood(p, replay.DefaultMaxProcessFDs+10) },
			// The process inherits init's fd 1, so 11 of its opens are left out.
			"fds not tracked: more than 1048576 open fds of one process (the first at event ", 11},
		{"container frames", true, func(p string) error { return hostile.ContainerFlood(p, 2, 2<<20) },
			"2 container metadata frames not read: each is bounded to 1048576 bytes", 2},
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
			if info.LeftOut != tc.leftOut {
				t.Errorf("LeftOut = %d, want %d", info.LeftOut, tc.leftOut)
			}
			line := Summary{Captures: []report.CaptureInfo{info}, Events: info.Events}.Line(1, time.Second, false)
			if want := fmt.Sprintf("; %d threads, fds or container frames left out at the analysis bounds (see the notes)", tc.leftOut); !strings.HasSuffix(line, want) {
				t.Errorf("summary %q, want it to end in %q", line, want)
			}
		})
	}
}
