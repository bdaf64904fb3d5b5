package replay

import (
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
)

// TestStaleAfterGap checks which state a gap makes stale and what renews
// it (docs/FORMAT.md, "Replay after a gap"), on the snapshot of
// baseHeader (bash 200 with fds 0 and 3).
func TestStaleAfterGap(t *testing.T) {
	gap := step{typ: 0} // marks a gap instead of applying an event
	tests := []struct {
		name      string
		steps     []step
		process   bool
		fd        bool
		wantSince int
	}{
		{"no gap", []step{ev(scap.SyscallCloseE, 200, 3)}, false, false, 0},
		{"snapshot thread and fd after a gap", []step{gap, ev(scap.SyscallCloseE, 200, 3)}, true, true, 0},
		{"thread created after the gap by a stale parent", []step{gap, cloneX(200, 300, 0), ev(scap.SyscallCloseE, 300, 3)}, true, true, 0},
		{"execve renews the process, not the inherited fd", []step{gap, cloneX(200, 300, 0), execveX(300, "cat", "/bin/cat", list{}, list{"cpu=/"}),
			ev(scap.SyscallCloseE, 300, 3)}, false, true, 0},
		{"execve before the gap does not", []step{cloneX(200, 300, 0), execveX(300, "cat", "/bin/cat", list{}, list{"cpu=/"}), gap,
			ev(scap.SyscallCloseE, 300, 3)}, true, true, 0},
		{"fd opened after the gap", []step{gap, ev(scap.SyscallOpenX, 200, 5, "/etc/passwd", 0, 0, 0, 0),
			ev(scap.SyscallCloseE, 200, 5)}, true, false, 0},
		{"unknown thread after a gap", []step{gap, ev(scap.SyscallCloseE, 777, 3)}, true, false, 0},
		{"unknown thread before any gap", []step{ev(scap.SyscallCloseE, 777, 3)}, false, false, 0},
		{"second gap: since the first for old state", []step{gap, cloneX(200, 300, 0), execveX(300, "cat", "/bin/cat", list{}, list{"cpu=/"}), gap,
			ev(scap.SyscallCloseE, 300, 9)}, true, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState(Options{})
			s.LoadHeader(baseHeader())
			var e *Event
			n := 0
			for _, st := range tc.steps {
				if st.typ == 0 {
					s.MarkGap(Gap{Frame: 10 + n, Events: 5, EventsKnown: true})
					n++
					continue
				}
				e = replaySteps(t, s, []step{st})
			}
			if (tc.fd || tc.name == "fd opened after the gap") && e.FD == nil {
				t.Fatal("the event has no fd")
			}
			got := e.Stale()
			if got.Process != tc.process || got.FD != tc.fd || (got.Any() && got.Since != tc.wantSince) {
				t.Errorf("stale %+v, want process %v fd %v since %d", got, tc.process, tc.fd, tc.wantSince)
			}
			if len(s.Gaps()) != n {
				t.Errorf("%d gaps, want %d", len(s.Gaps()), n)
			}
		})
	}
}
