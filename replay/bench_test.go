package replay

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// churn generates a synthetic event stream with process churn: every
// process is forked by a long-lived shell, execs, opens, reads and writes
// files, closes them and exits. Pids never repeat and timestamps grow.
type churn struct {
	buf  []byte
	ev   scap.Event
	pid  int64
	ts   uint64
	step int
	// reads is the number of read enter/exit pairs per process.
	reads int
	p     [32][]byte
}

// newChurn returns a generator starting at pid 1000.
func newChurn(reads int) *churn { return &churn{pid: 1000, ts: 1e18, reads: reads} }

// eventsPerProcess is how many events one process contributes.
func (c *churn) eventsPerProcess() int { return 12 + 2*c.reads }

func (c *churn) i64(i int, v int64) {
	c.p[i] = binary.LittleEndian.AppendUint64(c.p[i][:0], uint64(v))
}

func (c *churn) u32(i int, v uint32) {
	c.p[i] = binary.LittleEndian.AppendUint32(c.p[i][:0], v)
}

func (c *churn) str(i int, s string) {
	c.p[i] = append(append(c.p[i][:0], s...), 0)
}

// next returns the next event; it never allocates once warmed up.
func (c *churn) next() *scap.Event {
	c.ts += 1000
	child := c.pid
	n := c.eventsPerProcess()
	var typ scap.Type
	tid := child
	np := 0
	switch k := c.step % n; {
	case k == 0:
		typ, tid = scap.SyscallCloneV20E, 1
	case k == 1: // parent side
		typ, tid, np = scap.SyscallCloneV20X, 1, 21
		c.i64(0, child)
		c.str(1, "/bin/sh")
		c.p[2] = c.p[2][:0]
		c.i64(3, 1)
		c.i64(4, 1)
		c.i64(5, 0)
		c.str(6, "/")
		for i := 7; i < 21; i++ {
			c.i64(i, 0)
		}
		c.str(13, "sh")
		c.p[14] = append(c.p[14][:0], "cpu=/\x00"...)
		c.u32(15, 0)
		c.u32(16, 0)
		c.u32(17, 0)
		c.i64(18, 1)
		c.i64(19, 1)
	case k == 2: // child side
		typ, np = scap.SyscallCloneV20X, 21
		c.i64(0, 0)
		c.i64(3, child)
		c.i64(4, child)
		c.i64(5, 1)
		c.i64(18, child)
		c.i64(19, child)
	case k == 3:
		typ, np = scap.SyscallExecveV19E, 1
		c.str(0, "/usr/bin/worker")
	case k == 4:
		typ, np = scap.SyscallExecveV19X, 19
		c.i64(0, 0)
		c.str(1, "worker")
		c.p[2] = append(c.p[2][:0], "--job\x00"...)
		c.p[2] = strconv.AppendInt(c.p[2], child, 10)
		c.p[2] = append(c.p[2], 0)
		c.i64(3, child)
		c.i64(4, child)
		c.i64(5, 1)
		c.str(6, "/srv")
		c.i64(7, 1024)
		c.str(13, "worker")
		c.p[14] = append(c.p[14][:0], "cpu=/\x00"...)
		c.p[15] = append(c.p[15][:0], "HOME=/\x00"...)
		c.u32(16, 0)
		c.i64(17, child)
		c.u32(18, 0)
		for i := 8; i < 13; i++ {
			c.i64(i, 0)
		}
	case k == 5:
		typ, np = scap.SyscallOpenatV2E, 4
		c.i64(0, -100)
		c.str(1, "data/input.txt")
		c.u32(2, 1)
		c.u32(3, 0)
	case k == 6:
		typ, np = scap.SyscallOpenatV2X, 1
		c.i64(0, 3)
	case k < 7+2*c.reads:
		if (k-7)%2 == 0 {
			typ, np = scap.SyscallReadE, 2
			c.i64(0, 3)
			c.u32(1, 4096)
		} else {
			typ, np = scap.SyscallReadX, 2
			c.i64(0, 512)
			c.p[1] = append(c.p[1][:0], "some file data"...)
		}
	case k == 7+2*c.reads:
		typ, np = scap.SyscallCloseE, 1
		c.i64(0, 3)
	case k == 8+2*c.reads:
		typ, np = scap.SyscallCloseX, 1
		c.i64(0, 0)
	case k == 9+2*c.reads:
		typ, np = scap.SyscallWriteE, 2
		c.i64(0, 1)
		c.u32(1, 5)
	case k == 10+2*c.reads:
		typ, np = scap.SyscallWriteX, 2
		c.i64(0, 5)
		c.p[1] = append(c.p[1][:0], "done\n"...)
	default:
		typ, np = scap.ProcexitV1E, 5
		c.i64(0, 0)
		c.i64(1, 0)
		c.p[2] = append(c.p[2][:0], 0)
		c.p[3] = append(c.p[3][:0], 0)
		c.i64(4, 1)
		c.pid++
	}
	c.step++
	c.buf = scap.AppendEvent(c.buf[:0], c.ts, tid, typ, c.p[:np]...)
	if err := c.ev.Decode(c.buf, false); err != nil {
		panic(err)
	}
	return &c.ev
}

// churnHeader is the snapshot the churn stream starts from: init (1) with
// a terminal on fd 1.
func churnHeader() *capture.Header {
	return &capture.Header{
		Processes: []capture.Process{{TID: 1, PID: 1, Comm: "init", Exe: "/sbin/init", Cwd: "/", VTID: 1, VPID: 1, LoginUID: noID}},
		FDs:       []capture.FDList{{TID: 1, FDs: []capture.FD{{Num: 1, Type: capture.FDFile, Name: "/dev/console"}}}},
		Users:     []capture.User{{UID: 0, Name: "root"}},
	}
}

// BenchmarkApply measures state updates per second on the churn stream
// (fork, exec, open, reads, close, write, exit per process).
func BenchmarkApply(b *testing.B) {
	s := NewState(Options{})
	s.LoadHeader(churnHeader())
	c := newChurn(8)
	for range 10 * c.eventsPerProcess() {
		s.Apply(c.next(), false)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		s.Apply(c.next(), false)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkApplyGenerator measures the generator alone, to subtract it
// from BenchmarkApply.
func BenchmarkApplyGenerator(b *testing.B) {
	c := newChurn(8)
	b.ReportAllocs()
	for b.Loop() {
		c.next()
	}
}

// BenchmarkApplyExtract measures a state update plus the extraction of the
// fields a typical rule and its output read.
func BenchmarkApplyExtract(b *testing.B) {
	s := NewState(Options{})
	s.LoadHeader(churnHeader())
	c := newChurn(8)
	fields := bindAll(b, []string{"evt.type", "proc.name", "proc.cmdline", "proc.pname", "proc.aname[2]", "fd.name",
		"user.name", "container.id", "evt.is_open_read", "fd.directory"})
	for range 10 * c.eventsPerProcess() {
		s.Apply(c.next(), false)
	}
	vals := make([]engine.Value, 0, 8)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		e := s.Apply(c.next(), false)
		for _, f := range fields {
			vals = f.b.Extractor.Extract(e, vals[:0])
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReplayCapture replays a real shared capture from memory,
// state only.
func BenchmarkReplayCapture(b *testing.B) {
	path := testutil.SharedFile(b, "captures", "falco_psp_run_as_user_0_container.scap")
	r, err := capture.Open(path)
	if err != nil {
		testutil.SkipMissing(b, "%v", err)
	}
	var evs [][]byte
	hdr := r.Header()
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if ev.HeaderLen() != scap.HeaderLenV2 {
			b.Skip("v1 events")
		}
		evs = append(evs, append([]byte(nil), ev.Raw()...))
	}
	r.Close()
	s := NewState(Options{})
	s.LoadHeader(hdr)
	var ev scap.Event
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		raw := evs[n%len(evs)]
		if err := ev.Decode(raw, false); err != nil {
			b.Fatal(err)
		}
		s.Apply(&ev, false)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestApplyZeroAlloc checks that state updates on the churn stream do not
// allocate once the pools are warm.
func TestApplyZeroAlloc(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(churnHeader())
	c := newChurn(8)
	for range 50 * c.eventsPerProcess() {
		s.Apply(c.next(), false)
	}
	allocs := testing.AllocsPerRun(20*c.eventsPerProcess(), func() { s.Apply(c.next(), false) })
	if allocs > 0 {
		t.Errorf("Apply allocates %.3f times per event", allocs)
	}
}

// churnChildEnv names the number of processes the churn child replays.
const churnChildEnv = "RETRACE_REPLAY_CHURN_PROCS"

// TestMemoryChurn replays a churn stream of N and 4N processes in child
// processes and compares their peak RSS: memory must follow the live
// processes, not the stream's length.
func TestMemoryChurn(t *testing.T) {
	if v := os.Getenv(churnChildEnv); v != "" {
		n, _ := strconv.Atoi(v)
		s := NewState(Options{})
		s.LoadHeader(churnHeader())
		c := newChurn(8)
		for range n * c.eventsPerProcess() {
			s.Apply(c.next(), false)
		}
		runtime.KeepAlive(s)
		hwm, err := testutil.PeakRSS()
		if err != nil {
			testutil.SkipMissing(t, "peak RSS: %v", err)
		}
		fmt.Printf("threads=%d hwm_kb=%d\n", s.NumThreads(), hwm)
		return
	}
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	const n = 20000
	rss := func(procs int) (int, int) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChurn$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", churnChildEnv, procs))
		return childRSS(t, cmd)
	}
	t1, r1 := rss(n)
	t4, r4 := rss(4 * n)
	t.Logf("%d processes: %d threads left, peak RSS %d kB; %d processes: %d threads left, peak RSS %d kB (ratio %.3f)",
		n, t1, r1, 4*n, t4, r4, float64(r4)/float64(r1))
	if t1 != t4 {
		t.Errorf("live threads differ: %d vs %d", t1, t4)
	}
	if float64(r4) > 1.2*float64(r1) {
		t.Errorf("peak RSS grows with the stream: %d kB at 4x vs %d kB at 1x", r4, r1)
	}
}

// childRSS runs a churn child and returns the threads left and its peak
// RSS in kB.
func childRSS(t *testing.T, cmd *exec.Cmd) (int, int) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var threads, hwm int
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "threads=") {
			fmt.Sscanf(line, "threads=%d hwm_kb=%d", &threads, &hwm)
		}
	}
	if hwm == 0 {
		t.Fatalf("child printed no figures:\n%s", out)
	}
	return threads, hwm
}

// TestChurnStream checks that the benchmark stream builds the state it is
// meant to: each worker is a child of init, reads its input file and exits.
func TestChurnStream(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(churnHeader())
	c := newChurn(2)
	reads := 0
	for range 3 * c.eventsPerProcess() {
		e := s.Apply(c.next(), false)
		if e.Ev.Type() == scap.SyscallReadX {
			reads++
			for name, want := range map[string]string{
				"proc.name": "worker", "proc.pname": "init", "fd.name": "/data/input.txt", "user.name": "root",
				"proc.exepath": "/usr/bin/worker", "evt.rawres": "512",
			} {
				if got := field(t, e, name); got != want {
					t.Fatalf("event %d: %s = %q, want %q", e.Num, name, got, want)
				}
			}
			if got, want := field(t, e, "proc.cmdline"), fmt.Sprintf("worker --job %d", e.Thread.Pid); got != want {
				t.Fatalf("proc.cmdline = %q, want %q", got, want)
			}
		}
	}
	if reads != 6 {
		t.Errorf("saw %d reads, want 6", reads)
	}
	if n := s.NumThreads(); n > 2 {
		t.Errorf("%d threads left, want init and at most the exiting worker", n)
	}
}
