package replay

import (
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
)

// TestProcessGeneration checks which events change the process
// generation: the ones that can change a thread's description (an exec, a
// new thread, a working directory, a user, a thread's removal, a user or
// container event) do, the file descriptor ones (open, read, close, connect, send)
// do not.
func TestProcessGeneration(t *testing.T) {
	tests := []struct {
		name    string
		steps   []step
		changes bool
	}{
		{"open, read, close", []step{
			ev(scap.SyscallOpenatV2X, 200, 3, -100, "/etc/hosts", fRDONLY, 0, 0, 0),
			ev(scap.SyscallReadE, 200, 3, 10), ev(scap.SyscallReadX, 200, 10, "0123456789"),
			ev(scap.SyscallCloseE, 200, 3), ev(scap.SyscallCloseX, 200, 0),
		}, false},
		{"socket, connect, sendto", []step{
			ev(scap.SocketSocketE, 200, 2, 1, 0), ev(scap.SocketSocketX, 200, 8),
			ev(scap.SocketSendtoE, 200, 8, 6, tuple("10.0.0.1", 4000, "10.0.0.2", 53)), ev(scap.SocketSendtoX, 200, 6, "query!"),
		}, false},
		{"execve", []step{execveX(200, "cat", "/usr/bin/cat", list{"/etc/hosts"}, list{"cpu=/user.slice"})}, true},
		{"clone", []step{cloneX(200, 300, 0)}, true},
		{"chdir", []step{ev(scap.SyscallChdirX, 200, 0, "/tmp")}, true},
		{"setuid", []step{ev(scap.SyscallSetuidE, 200, 0), ev(scap.SyscallSetuidX, 200, 0, 0)}, true},
		{"a thread's exit, at the next event", []step{ev(scap.ProcexitV1E, 200, 0, 0, 0, 0, 1), ev(scap.SyscallCloseE, 100, 3)}, true},
		{"a user added", []step{ev(scap.UserAddedE, 200, 1001, 1001, "v", "/home/v", "/bin/sh", "")}, true},
		{"an event of an unknown thread (a placeholder is added)", []step{ev(scap.SyscallCloseE, 4242, 3)}, true},
		{"a container event", []step{ev(scap.ContainerJsonV2E, -1, `{"container":{"id":"abcdef012345","name":"web","privileged":true}}`)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState(Options{})
			s.LoadHeader(baseHeader())
			before := s.ProcessGeneration()
			replaySteps(t, s, tc.steps)
			if changed := s.ProcessGeneration() != before; changed != tc.changes {
				t.Errorf("generation changed: %v, want %v", changed, tc.changes)
			}
		})
	}
}
