package replay

import (
	"fmt"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// exitingProcesses returns the events of n processes forked by init (1),
// each with a second thread, that all exit afterwards, main thread
// last: the shape that made every main-thread exit walk every thread.
func exitingProcesses(n int) [][]byte {
	evs := make([][]byte, 0, 6*n)
	ts := uint64(1e18)
	add := func(tid int64, typ scap.Type, params ...[]byte) {
		ts += 1000
		evs = append(evs, scap.AppendEvent(nil, ts, tid, typ, params...))
	}
	i64 := func(v int64) []byte { return enc(scap.PTInt64, int(v)) }
	u32 := func(v int) []byte { return enc(scap.PTUint32, v) }
	clone := func(tid, res, pid, ptid int64, flags int) {
		add(tid, scap.SyscallCloneV20X, i64(res), scap.EncString("/usr/bin/worker"), scap.EncList(), i64(tid), i64(pid), i64(ptid),
			scap.EncString("/"), i64(1024), u32(0), u32(0), u32(0), u32(0), u32(0), scap.EncString("worker"), scap.EncList("cpu=/"),
			u32(flags), u32(0), u32(0), i64(tid), i64(pid), u32(0))
	}
	exit := func(tid int64) { add(tid, scap.ProcexitV1E, i64(0), i64(0), []byte{0}, []byte{0}, i64(1)) }
	const cloneThread = 1 << 13 // PPM_CL_CLONE_THREAD
	for i := range n {
		pid := int64(1000 + 2*i)
		clone(1, pid, 1, 0, 0)
		clone(pid, pid+1, pid, 1, cloneThread)
	}
	for i := range n {
		pid := int64(1000 + 2*i)
		exit(pid + 1)
		exit(pid)
	}
	return evs
}

// snapshotHeader returns a process snapshot of n processes with two
// threads each, every second thread listed before its main thread.
func snapshotHeader(n int) *capture.Header {
	h := &capture.Header{Processes: make([]capture.Process, 0, 2*n), FDs: make([]capture.FDList, 0, n)}
	for i := range n {
		pid := uint64(1000 + 2*i)
		main := capture.Process{TID: pid, PID: pid, PTID: 1, Comm: "worker", Exe: "/usr/bin/worker", Cwd: "/", LoginUID: noID}
		thread := main
		thread.TID = pid + 1
		h.Processes = append(h.Processes, thread, main)
		h.FDs = append(h.FDs, capture.FDList{TID: pid, FDs: []capture.FD{{Num: 3, Type: capture.FDFile, Name: "/var/log/worker.log"}}})
	}
	return h
}

// applyAll decodes and applies raw events.
func applyAll(tb testing.TB, s *State, evs [][]byte) {
	var e scap.Event
	for i, b := range evs {
		if err := e.Decode(b, false); err != nil {
			tb.Fatalf("event %d: %v", i, err)
		}
		s.Apply(&e, false)
	}
}

// BenchmarkExitingProcesses replays n forked two-thread processes that all
// exit; the cost per process must not grow with n.
func BenchmarkExitingProcesses(b *testing.B) {
	for _, n := range []int{500, 5000, 50000} {
		evs := exitingProcesses(n)
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := NewState(Options{})
				s.LoadHeader(churnHeader())
				applyAll(b, s, evs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/process")
		})
	}
}

// BenchmarkSnapshot loads a process snapshot of n two-thread processes
// (threads listed before their main thread) and exits them all.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{500, 5000, 50000} {
		h := snapshotHeader(n)
		var exits [][]byte
		for i := range n {
			pid := int64(1000 + 2*i)
			for _, tid := range []int64{pid + 1, pid} {
				exits = append(exits, scap.AppendEvent(nil, uint64(1e18+i), tid, scap.ProcexitV1E,
					enc(scap.PTInt64, 0), enc(scap.PTInt64, 0), []byte{0}, []byte{0}, enc(scap.PTInt64, 1)))
			}
		}
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := NewState(Options{})
				s.LoadHeader(h)
				applyAll(b, s, exits)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/process")
		})
	}
}

// idleHeader is churnHeader plus n idle threads of one long-lived process.
func idleHeader(n int) *capture.Header {
	h := churnHeader()
	h.Processes = append(h.Processes, capture.Process{TID: 500, PID: 500, PTID: 1, Comm: "java", Exe: "/usr/bin/java", Cwd: "/", LoginUID: noID})
	for i := range n {
		h.Processes = append(h.Processes, capture.Process{TID: uint64(1e6 + i), PID: 500, PTID: 1, Comm: "java", Exe: "/usr/bin/java", Cwd: "/", LoginUID: noID})
	}
	return h
}

// BenchmarkLiveThreads runs the churn stream (fork, exec, open, reads,
// close, write, exit per process) beside 0 and 20,000 idle threads: the
// cost per event must not depend on the threads that do nothing.
func BenchmarkLiveThreads(b *testing.B) {
	for _, idle := range []int{0, 20000} {
		b.Run(fmt.Sprintf("idle=%d", idle), func(b *testing.B) {
			s := NewState(Options{})
			s.LoadHeader(idleHeader(idle))
			c := newChurn(2)
			for range 10 * c.eventsPerProcess() {
				s.Apply(c.next(), false)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				s.Apply(c.next(), false)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
