package capture_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// readFuzz reads data to the end with both Next and NextBlock, failing on a
// panic (implicitly) or on an error that is neither io.EOF nor one of the
// package's typed errors.
func readFuzz(t *testing.T, data []byte) {
	for _, blocks := range []bool{false, true} {
		r, err := capture.NewReaderOptions(bytes.NewReader(data), "fuzz", capture.ReaderOptions{Workers: 2})
		if err != nil {
			checkTyped(t, err)
			return
		}
		for i := 0; ; i++ {
			if blocks {
				_, err = r.NextBlock()
			} else {
				var ev interface{ Ts() uint64 }
				ev, err = r.Next()
				if err == nil {
					_ = ev.Ts()
				}
			}
			if err != nil {
				break
			}
		}
		if err != io.EOF {
			checkTyped(t, err)
		}
		_ = r.Header()
		_ = r.Stats()
		r.Close()
	}
}

func checkTyped(t *testing.T, err error) {
	if !capture.IsFileError(err) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

// seedCaptures are the synthetic seed inputs: small captures in each format,
// cut and damaged copies of them.
func seedCaptures(t testing.TB, f capture.Format) [][]byte {
	// A fixed clock for the checkpoints' times: the same seeds each time.
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	opts := capture.WriterOptions{Format: f, FrameSize: 2 << 10, Now: now}
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, "seed", opts)
	if err != nil {
		t.Fatal(err)
	}
	g := capgen.Options{Events: 40, Seed: 3}
	h := capgen.Header(g)
	h.Processes = h.Processes[:1]
	h.FDs = h.FDs[:1]
	if err := w.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	if _, err := capgen.Generate(w, g); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	seeds := [][]byte{full, full[:len(full)/2], full[:len(full)-3]}
	flip := append([]byte(nil), full...)
	flip[len(flip)/3] ^= 0x40
	seeds = append(seeds, flip)
	return append(seeds, smallCapture(t, f, 3, capture.WriterOptions{FrameSize: 100, Now: now}))
}

// FuzzReadBlocks fuzzes the block parser and header decoders through plain
// scap input.
func FuzzReadBlocks(f *testing.F) {
	for _, s := range seedCaptures(f, capture.FormatScap) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { readFuzz(t, data) })
}

// FuzzReadZstd fuzzes the zstd frame scanner, the parallel frame reader and
// the metadata frames.
func FuzzReadZstd(f *testing.F) {
	for _, s := range seedCaptures(f, capture.FormatZstd) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { readFuzz(t, data) })
}

// TestWriteFuzzSeeds writes the seed corpora under testdata/fuzz with
// -update (the generator is deterministic, so they only change with it).
func TestWriteFuzzSeeds(t *testing.T) {
	if !testutil.Update() {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	for name, format := range map[string]capture.Format{"FuzzReadBlocks": capture.FormatScap, "FuzzReadZstd": capture.FormatZstd} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seedCaptures(t, format) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestMutatedCaptures runs the fuzz targets' checks over a fixed set of
// randomly damaged captures (bytes changed, bits flipped, lengths set to
// huge values, files cut), so that CI exercises far more bad input than the
// seed corpus without a fuzzing run.
func TestMutatedCaptures(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range []capture.Format{capture.FormatScap, capture.FormatZstd, capture.FormatGzip} {
		seeds := seedCaptures(t, f)
		for range 400 {
			s := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
			for range 1 + rng.IntN(4) {
				switch p := rng.IntN(len(s)); rng.IntN(4) {
				case 0:
					s[p] = byte(rng.IntN(256))
				case 1:
					s = s[:p+1]
				case 2:
					s[p] ^= 1 << rng.IntN(8)
				case 3:
					if p+4 <= len(s) {
						copy(s[p:], []byte{0xff, 0xff, 0xff, 0x7f})
					}
				}
			}
			readFuzz(t, s)
		}
	}
}
