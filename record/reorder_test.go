package record

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestReorderWindow(t *testing.T) {
	tests := []struct {
		name   string
		window uint64
		max    int
		in     []uint64
		now    uint64
		hold   uint64
		want   []uint64 // released without flush
	}{
		{"holds recent events", 100, 10, []uint64{1000, 990, 1010}, 1000, 0, nil},
		{"releases old events sorted", 100, 10, []uint64{500, 300, 400, 1000}, 1000, 0, []uint64{300, 400, 500}},
		{"newest event moves the limit", 100, 10, []uint64{50, 40, 400}, 0, 0, []uint64{40, 50}},
		{"size bound releases oldest", 1 << 40, 2, []uint64{3, 1, 2, 5}, 0, 0, []uint64{1, 2}},
		{"hold keeps old events", 100, 10, []uint64{500, 300, 400, 1000}, 1000, 400, []uint64{300}},
		{"hold beyond the window changes nothing", 100, 10, []uint64{500, 300, 400, 1000}, 1000, 950, []uint64{300, 400, 500}},
		{"size bound beats the hold", 100, 2, []uint64{500, 300, 400, 1000}, 1000, 100, []uint64{300, 400}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newReorderWindow(tc.window, tc.max)
			for _, ts := range tc.in {
				w.push(0, ts, []byte{byte(ts)})
			}
			w.holdFrom(tc.hold)
			var got []uint64
			err := w.release(tc.now, false, func(cpu uint16, ev []byte) error {
				got = append(got, tc.in[slices.IndexFunc(tc.in, func(v uint64) bool { return byte(v) == ev[0] })])
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("released %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReorderWindowSortsShuffledStream(t *testing.T) {
	w := newReorderWindow(1000, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	var out []uint64
	emit := func(cpu uint16, ev []byte) error {
		out = append(out, uint64(ev[0])|uint64(ev[1])<<8|uint64(ev[2])<<16)
		return nil
	}
	for i := uint64(0); i < 20000; i++ {
		ts := i*10 + uint64(rng.IntN(900)) // jitter below the window
		w.push(uint16(i%2), ts, []byte{byte(ts), byte(ts >> 8), byte(ts >> 16)})
		if err := w.release(0, false, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.release(0, true, emit); err != nil {
		t.Fatal(err)
	}
	if len(out) != 20000 || !slices.IsSorted(out) || w.late != 0 {
		t.Fatalf("released %d events, sorted %v, late %d", len(out), slices.IsSorted(out), w.late)
	}
}

func BenchmarkReorderWindow(b *testing.B) {
	w := newReorderWindow(1_000_000, 1<<20)
	ev := make([]byte, 64)
	var ts uint64
	// Prime the window so that each push releases one event.
	for i := 0; i < 10000; i++ {
		ts += 100
		w.push(0, ts, ev)
	}
	b.ReportAllocs()
	for b.Loop() {
		ts += 100
		w.push(0, ts, ev)
		_ = w.release(0, false, func(uint16, []byte) error { return nil })
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
