package replay

import (
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// procexit is a PROCEXIT_1 enter of tid.
func procexit(tid int64) step { return ev(scap.ProcexitV1E, tid, 0, 0, 0, 0, 1) }

// TestThreadBookkeeping checks the fd-table sharing and per-process thread
// counts that replace walks over all threads: who shares a table, when a
// table is recycled, and what proc.nthreads and proc.nchilds say.
func TestThreadBookkeeping(t *testing.T) {
	// Process 500 has threads 501 (listed before its main thread) and 502;
	// the main thread has fd 3.
	header := func() *capture.Header {
		h := baseHeader()
		p := capture.Process{PID: 500, PTID: 1, Comm: "java", Exe: "/usr/bin/java", Cwd: "/", LoginUID: noID}
		p501, p500, p502 := p, p, p
		p501.TID, p500.TID, p502.TID = 501, 500, 502
		h.Processes = append(h.Processes, p501, p500, p502)
		h.FDs = append(h.FDs, capture.FDList{TID: 500, FDs: []capture.FD{{Num: 3, Type: capture.FDFile, Name: "/var/log/java.log"}}})
		return h
	}
	tests := []struct {
		name  string
		steps []step
		// tid whose fd 3 is looked up, and the name it must have ("" = none)
		tid    int64
		fdName string
		// nthreads and nchilds of process 500 seen from tid
		nthreads, nchilds string
		// threads that must be gone
		gone []int64
	}{
		{name: "thread listed before its main thread shares its table", steps: []step{ev(scap.SyscallCloseE, 501, 3)},
			tid: 501, fdName: "/var/log/java.log", nthreads: "3", nchilds: "2"},
		{name: "thread listed after its main thread shares its table", steps: []step{ev(scap.SyscallCloseE, 502, 3)},
			tid: 502, fdName: "/var/log/java.log", nthreads: "3", nchilds: "2"},
		{name: "main thread exit keeps the table of the live threads",
			steps: []step{procexit(500), ev(scap.SyscallCloseE, 501, 3)},
			tid:   501, fdName: "/var/log/java.log", nthreads: "2", nchilds: "2", gone: []int64{500}},
		{name: "a thread's exit keeps the table of the others",
			steps: []step{procexit(501), ev(scap.SyscallCloseE, 502, 3)},
			tid:   502, fdName: "/var/log/java.log", nthreads: "2", nchilds: "1", gone: []int64{501}},
		{name: "the last thread's exit frees the table; a new process starts empty",
			steps: []step{procexit(500), procexit(501), procexit(502), ev(scap.SyscallCloseE, 900, 3)},
			tid:   900, gone: []int64{500, 501, 502}},
		{name: "a thread created by clone shares the table",
			steps: []step{ev(scap.SyscallCloneV20X, 500, 503, "/usr/bin/java", list{}, 500, 500, 1, "/", 1024, 0, 0, 0, 0, 0,
				"java", list{"cpu=/"}, 1<<13, 0, 0, 500, 500, 0), procexit(500), ev(scap.SyscallCloseE, 503, 3)},
			tid: 503, fdName: "/var/log/java.log", nthreads: "3", nchilds: "3", gone: []int64{500}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState(Options{})
			s.LoadHeader(header())
			e := replaySteps(t, s, tc.steps)
			if e.Thread == nil || e.Thread.Tid != tc.tid {
				t.Fatalf("last event's thread = %v, want %d", e.Thread, tc.tid)
			}
			got := ""
			if f := s.getFD(e.Thread, 3); f != nil {
				got = string(f.name)
			}
			if got != tc.fdName {
				t.Errorf("fd 3 of %d = %q, want %q", tc.tid, got, tc.fdName)
			}
			if e.Thread.Pid == 500 {
				if got := field(t, e, "proc.nthreads"); got != tc.nthreads {
					t.Errorf("proc.nthreads = %s, want %s", got, tc.nthreads)
				}
				if got := field(t, e, "proc.nchilds"); got != tc.nchilds {
					t.Errorf("proc.nchilds = %s, want %s", got, tc.nchilds)
				}
			}
			// Every table's count is the number of threads using it.
			refs := map[*FDTable]int{}
			s.Threads(func(th *Thread) bool {
				if th.fds != nil {
					refs[th.fds]++
				}
				return true
			})
			for _, th := range s.containerThreads {
				refs[th.fds]++
			}
			for ft, n := range refs {
				if ft.refs != n {
					t.Errorf("a table used by %d threads counts %d", n, ft.refs)
				}
			}
			for _, tid := range tc.gone {
				if _, ok := s.Thread(tid); ok {
					t.Errorf("thread %d still in the table", tid)
				}
			}
		})
	}
}

// TestExitingProcessesLinear checks the bookkeeping stays linear: replaying
// 20,000 exiting two-thread processes and loading a 20,000-process snapshot
// leave the state empty of them, with every table recycled or freed.
func TestExitingProcessesLinear(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(churnHeader())
	evs := exitingProcesses(20000)
	// The last exit takes effect at the next event.
	evs = append(evs, scap.AppendEvent(nil, 2e18, 1, scap.SyscallCloseE, enc(scap.PTFD, 3)))
	applyAll(t, s, evs)
	if n := s.NumThreads(); n != 1 {
		t.Errorf("%d threads left, want 1 (init)", n)
	}
	if n := len(s.procThreads); n != 1 {
		t.Errorf("%d processes counted, want 1 (init)", n)
	}

	s = NewState(Options{})
	s.LoadHeader(snapshotHeader(20000))
	for i := range 20000 {
		pid := int64(1000 + 2*i)
		th, _ := s.Thread(pid + 1)
		if th == nil || th.fds == nil || th.fds.Len() != 1 {
			t.Fatalf("thread %d does not share the table of its main thread %d", pid+1, pid)
		}
	}
}
