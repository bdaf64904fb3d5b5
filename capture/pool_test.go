package capture_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
)

// digest reads every event of path and returns a hash of their bytes.
func digest(t *testing.T, path string) string {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return fmt.Sprintf("%x", h.Sum(nil))
		}
		if err != nil {
			t.Fatal(err)
		}
		h.Write(ev.Raw())
	}
}

// TestPooledReaders reads captures of different sizes in sequence and
// concurrently, so that readers take over the buffers, decoders and jobs of
// closed ones, and checks that each capture reads the same every time.
func TestPooledReaders(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, events := range []int{50, 3000, 40000, 700, 120000} {
		p := filepath.Join(dir, fmt.Sprintf("c%d.scap.zst", i))
		if _, err := capgen.WriteFile(p, capgen.Options{Events: events, Seed: uint64(i + 1)}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	want := map[string]string{}
	for _, p := range paths {
		want[p] = digest(t, p)
	}
	for round := range 3 {
		for i := range paths {
			p := paths[(i*3+round)%len(paths)]
			if got := digest(t, p); got != want[p] {
				t.Errorf("round %d: %s read differently after other captures", round, filepath.Base(p))
			}
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2 * len(paths) {
				p := paths[(i+g)%len(paths)]
				if got := digest(t, p); got != want[p] {
					t.Errorf("concurrent reader %d: %s read differently", g, filepath.Base(p))
				}
			}
		})
	}
	wg.Wait()
}

// TestClosedReaderPoison checks that race-detector builds, which run every
// package's tests in CI, poison the buffers a closed reader gives back, so
// that a consumer using an event after Close reads garbage.
func TestClosedReaderPoison(t *testing.T) {
	if !capture.PoisonReleased {
		t.Skip("buffers are poisoned only in race-detector builds (go test -race)")
	}
	p := filepath.Join(t.TempDir(), "c.scap.zst")
	if _, err := capgen.WriteFile(p, capgen.Options{Events: 100, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	// The first event is a copy the reader keeps; the second is in a frame.
	var raw []byte
	for range 2 {
		ev, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		raw = ev.Raw()
	}
	r.Close()
	for i, b := range raw {
		if b != capture.PoisonByte {
			t.Fatalf("byte %d of an event read before Close is %#x after it, want the poison %#x", i, b, capture.PoisonByte)
		}
	}
}
