package timeline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/replay/report"
)

// TestFirstFindings checks that the findings kept of a bounded view are
// the first ones in the view's order, whatever order the captures come
// in, with ties in capture order, and that the others are counted.
func TestFirstFindings(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// at is a finding "name" at t0+sec, with count failures (errors view).
	at := func(name string, sec int, count uint64) report.Detection {
		return report.Detection{Output: name, Time: t0.Add(time.Duration(sec) * time.Second), Hostname: "h",
			OutputFields: map[string]any{"count": count}}
	}
	// captures are the findings of three captures, each in its own
	// order; they are added in the order 2, 0, 1.
	captures := [][]report.Detection{
		{at("a1", 1, 5), at("a5", 5, 1), at("a3", 3, 9)},
		{at("b3", 3, 1), at("b2", 2, 9)},
		{at("c0", 0, 2), at("c3", 3, 3)},
	}
	for _, tc := range []struct {
		name string
		view string
		max  int
		want []string
		left int
	}{
		{"time order, unbounded", ViewCommands, 0, []string{"c0", "a1", "b2", "a3", "b3", "c3", "a5"}, 0},
		{"time order, first 4", ViewCommands, 4, []string{"c0", "a1", "b2", "a3"}, 3},
		{"time order, first 1", ViewCommands, 1, []string{"c0"}, 6},
		{"ranked, unbounded", ViewErrors, 0, []string{"b2", "a3", "a1", "c3", "c0", "b3", "a5"}, 0},
		{"ranked, first 3", ViewErrors, 3, []string{"b2", "a3", "a1"}, 4},
		{"bound above the findings", ViewErrors, 100, []string{"b2", "a3", "a1", "c3", "c0", "b3", "a5"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &firstFindings{view: tc.view, max: tc.max}
			for _, unit := range []int{2, 0, 1} {
				f.add(unit, captures[unit], 0)
			}
			var rep report.Report
			f.finish(&rep)
			var got []string
			for _, d := range rep.Detections {
				got = append(got, d.Output)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || rep.Left.Count != tc.left {
				t.Errorf("left %d, want %d; findings (-want +got):\n%s", rep.Left.Count, tc.left, diff)
			}
			wantNote := tc.left > 0
			if gotNote := len(rep.Notes) == 1 && strings.Contains(rep.Notes[0], fmt.Sprintf("; %d more are left out", tc.left)); gotNote != wantNote {
				t.Errorf("notes %q, want a note of %d left out: %v", rep.Notes, tc.left, wantNote)
			}
		})
	}
}
