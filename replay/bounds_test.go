package replay

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// TestBounds replays with small bounds and checks that the fds and threads
// over them are left out of the state, counted with the first event that
// met each bound, and that closing fds makes room again.
func TestBounds(t *testing.T) {
	h := baseHeader()
	var fds []capture.FD
	for i := range 10 {
		fds = append(fds, capture.FD{Num: int64(10 + i), Type: capture.FDFile, Name: fmt.Sprintf("/snap/%d", i)})
	}
	h.FDs = append(h.FDs, capture.FDList{TID: 200, FDs: fds})
	s := NewState(Options{MaxThreads: 4, MaxProcessFDs: 8, MaxTotalFDs: 12})
	s.LoadHeader(h)

	open := func(tid, fd int64) []step {
		return []step{ev(scap.SyscallOpenE, tid, fmt.Sprintf("/tmp/%d", fd), fRDONLY, 0), ev(scap.SyscallOpenX, tid, fd)}
	}
	var steps []step
	for fd := int64(3); fd < 8; fd++ { // sshd: 4 fit in the total of 12, the 5th does not
		steps = append(steps, open(100, fd)...)
	}
	steps = append(steps, ev(scap.SyscallCloseE, 100, 3), ev(scap.SyscallCloseX, 100, 0))
	steps = append(steps, open(100, 9)...)                // room again after the close
	steps = append(steps, ev(scap.SyscallCloseE, 998, 3)) // a fourth thread fits
	steps = append(steps, ev(scap.SyscallCloseE, 999, 3)) // a fifth does not
	replaySteps(t, s, steps)

	got := s.Bounded()
	want := []Bounded{
		{What: BoundThreads, Limit: 4, Count: 1, FirstEvent: 16},
		{What: BoundProcessFDs, Limit: 8, Count: 4, FirstEvent: 0}, // bash's 2 + 10 snapshot fds
		{What: BoundTotalFDs, Limit: 12, Count: 1, FirstEvent: 10},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Bounded (-want +got):\n%s", d)
	}
	sshd := s.threads[100]
	for fd, want := range map[int64]string{3: "", 4: "/tmp/4", 6: "/tmp/6", 7: "", 9: "/tmp/9"} {
		name := ""
		if f := s.getFD(sshd, fd); f != nil {
			name = string(f.name)
		}
		if name != want {
			t.Errorf("sshd fd %d = %q, want %q", fd, name, want)
		}
	}
	if n := s.threads[200].fds.Len(); n != 8 {
		t.Errorf("bash has %d fds, want the 8 of its bound", n)
	}
	if s.fdPool.open != 12 {
		t.Errorf("%d fds counted open, want 12", s.fdPool.open)
	}
	wantText := `1 fds not tracked: more than 12 open fds in total (the first at event 10); their events see them as unknown (docs/FORMAT.md, "Limits of the analysis")`
	if got[2].String() != wantText {
		t.Errorf("String:\n got %s\nwant %s", got[2], wantText)
	}
}
