package replay

import (
	"testing"

	"github.com/retrace-dev/retrace/capture"
)

// TestLoadLaterHeader checks that a later file's header of a rotated set
// adds only what the state does not know: a thread the events carried
// keeps what they said, an unknown thread comes in with its fds.
func TestLoadLaterHeader(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(&capture.Header{Processes: []capture.Process{{TID: 100, PID: 100, Comm: "first"}}})
	s.LoadLaterHeader(&capture.Header{
		Processes: []capture.Process{{TID: 100, PID: 100, Comm: "later"}, {TID: 200, PID: 200, PTID: 100, Comm: "new"}},
		FDs: []capture.FDList{
			{TID: 100, FDs: []capture.FD{{Num: 7, Type: uint8(FDFile), Name: "/later"}}},
			{TID: 200, FDs: []capture.FD{{Num: 3, Type: uint8(FDFile), Name: "/etc/passwd"}}},
		},
		Users: []capture.User{{UID: 1000, Name: "alice"}},
	})
	for _, tc := range []struct {
		tid  int64
		comm string
		fd   int64
		has  bool
	}{
		{100, "first", 7, false},
		{200, "new", 3, true},
	} {
		th, ok := s.Thread(tc.tid)
		if !ok {
			t.Fatalf("thread %d missing", tc.tid)
		}
		if string(th.Comm()) != tc.comm {
			t.Errorf("thread %d comm %q, want %q", tc.tid, th.Comm(), tc.comm)
		}
		if _, ok := s.threadFDs(th).Get(tc.fd); ok != tc.has {
			t.Errorf("thread %d fd %d present %v, want %v", tc.tid, tc.fd, ok, tc.has)
		}
	}
	if u, ok := s.Users.User(1000); !ok || u.Name != "alice" {
		t.Errorf("user 1000 = %+v, %v; want alice", u, ok)
	}
}
