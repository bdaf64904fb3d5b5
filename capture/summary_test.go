package capture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
)

// summarySeed is a small retrace capture with two event frames.
func summarySeed(tb testing.TB) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "seed.scap.zst", WriterOptions{FrameSize: 256, Metadata: &Metadata{Hostname: "h"}})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 12 {
		ev := scap.AppendEvent(nil, uint64(100+i), 1, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3))
		if err := w.WriteEvent(0, 0, ev); err != nil {
			tb.Fatal(err)
		}
	}
	w.AddContainer(Container{ID: "abc"})
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadSummary fuzzes the parser of a file's closing frames (seek table,
// footer, index, metadata).
func FuzzReadSummary(f *testing.F) {
	seed := summarySeed(f)
	f.Add(seed)
	f.Add(seed[len(seed)/2:])
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := readSummary(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err == nil {
			if s.Metadata == nil {
				t.Fatal("summary without metadata")
			}
			return
		}
		var ce *CorruptError
		if !errors.Is(err, ErrNoSummary) && !errors.As(err, &ce) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}

func TestReadSummaryDamaged(t *testing.T) {
	seed := summarySeed(t)
	s, err := readSummary(bytes.NewReader(seed), int64(len(seed)), "seed")
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 12 || len(s.Frames) < 2 || s.Metadata.Hostname != "h" || len(s.Metadata.Containers) != 1 {
		t.Errorf("summary %+v", s)
	}
	// Every single-byte change in the closing frames gives a summary, a
	// typed error or ErrNoSummary, never a panic.
	tail := len(seed) - 400
	for i := max(tail, 0); i < len(seed); i++ {
		b := bytes.Clone(seed)
		b[i] ^= 0xA5
		if _, err := readSummary(bytes.NewReader(b), int64(len(b)), "x"); err != nil {
			var ce *CorruptError
			if !errors.Is(err, ErrNoSummary) && !errors.As(err, &ce) {
				t.Fatalf("byte %d: untyped error %v", i, err)
			}
		}
	}
}

// TestWriteSummaryFuzzSeeds writes the seed corpus of FuzzReadSummary when
// RETRACE_UPDATE_SEEDS is set (the external tests' -update flag cannot be
// shared with this internal test file).
func TestWriteSummaryFuzzSeeds(t *testing.T) {
	if os.Getenv("RETRACE_UPDATE_SEEDS") == "" {
		t.Skip("set RETRACE_UPDATE_SEEDS=1 to rewrite testdata/fuzz/FuzzReadSummary")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadSummary")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seed := summarySeed(t)
	for i, s := range [][]byte{seed, seed[len(seed)-200:]} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
