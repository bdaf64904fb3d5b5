//go:build linux && amd64

package record

import (
	"encoding/binary"
	"io"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// BenchmarkSessionPipeline measures the recorder's user-space path for one
// ring-buffer record holding a read enter+exit pair: split, track, reorder,
// and write into a .scap.zst writer (compression included), i.e. the rate
// the reader side can sustain on one core.
func BenchmarkSessionPipeline(b *testing.B) {
	w, err := capture.NewWriter(io.Discard, "bench.scap.zst", capture.WriterOptions{SyncInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.WriteHeader(&capture.Header{Machine: &capture.MachineInfo{NumCPUs: 2, Hostname: "bench"}}); err != nil {
		b.Fatal(err)
	}
	win := newReorderWindow(200_000_000, 1<<20)
	s := &session{w: w, log: io.Discard, win: win, tids: map[int64]string{},
		ctrs: map[string]*containerState{}, pending: map[string]*containerState{}}
	data := make([]byte, 80)
	ts := uint64(1_700_000_000_000_000_000)
	tmpl := make([]byte, 8, 256)
	tmpl = scap.AppendEvent(tmpl, ts, 4242, scap.SyscallReadE, scap.EncInt64(3), scap.EncUint32(4096))
	enterLen := len(tmpl)
	tmpl = scap.AppendEvent(tmpl, ts, 4242, scap.SyscallReadX, scap.EncInt64(80), data, scap.EncInt64(3), scap.EncUint32(4096))
	binary.LittleEndian.PutUint32(tmpl, 1)
	// Records arrive copied into the reader's arenas.
	arena := make([]byte, 0, 64<<10)
	mk := func() []byte {
		if len(arena)+len(tmpl) > cap(arena) {
			arena = make([]byte, 0, 64<<10)
		}
		start := len(arena)
		arena = append(arena, tmpl...)
		rec := arena[start:]
		binary.LittleEndian.PutUint64(rec[8:], ts)
		binary.LittleEndian.PutUint64(rec[enterLen:], ts)
		return rec
	}
	b.ReportAllocs()
	for b.Loop() {
		ts += 1000
		if err := s.handle(mk(), win); err != nil {
			b.Fatal(err)
		}
		if err := win.release(0, false, s.write); err != nil {
			b.Fatal(err)
		}
	}
	if err := win.release(0, true, s.write); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
