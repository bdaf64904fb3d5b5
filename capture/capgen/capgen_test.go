package capgen_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// demoOptions are the options of the bundled demo capture.
var demoOptions = capgen.Options{Events: 3000, Seed: 2026, Hostname: "demo-host", SessionGap: 100 * time.Millisecond}

// TestDemoCapture checks that the committed demo capture is exactly what
// the generator makes (rewrite it with -update).
func TestDemoCapture(t *testing.T) {
	want := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "demo.scap.zst")
	got := filepath.Join(t.TempDir(), "demo.scap.zst")
	if _, err := capgen.WriteFile(got, demoOptions); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	w := testutil.Golden(t, want, b)
	if !bytes.Equal(b, w) {
		t.Errorf("%s differs from the generator's output (run go test ./capture/capgen -run TestDemoCapture -update)", want)
	}
}

// TestDeterministic checks that a seed always gives the same events, and
// another seed other events.
func TestDeterministic(t *testing.T) {
	gen := func(seed uint64) []byte {
		var buf bytes.Buffer
		w, err := capture.NewWriter(&buf, "x.scap", capture.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := capgen.Generate(w, capgen.Options{Events: 5000, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if st.Events < 5000 {
			t.Fatalf("%d events, want at least 5000", st.Events)
		}
		w.Close()
		return buf.Bytes()
	}
	a, b, c := gen(1), gen(1), gen(2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different captures")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same capture")
	}
}

// TestMix checks that the generated mix has every kind of event the
// benchmarks rely on.
func TestMix(t *testing.T) {
	var buf bytes.Buffer
	w, _ := capture.NewWriter(&buf, "x.scap", capture.WriterOptions{})
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		t.Fatal(err)
	}
	if _, err := capgen.Generate(w, capgen.Options{Events: 5000}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := capture.NewReader(&buf, "x.scap")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		counts[ev.TypeName()]++
	}
	for _, name := range []string{"execve", "openat", "read", "write", "close", "connect", "clone", "socket", "procexit"} {
		if counts[name] == 0 {
			t.Errorf("no %s events in %v", name, counts)
		}
	}
}

// TestBytes checks the captures Bytes writes: its events (none with
// NoEvents), containers and format, and the same bytes for the same
// options.
func TestBytes(t *testing.T) {
	web := capture.Container{ID: "0123456789ab", Name: "web"}
	tests := []struct {
		name       string
		opts       capgen.Options
		w          capture.WriterOptions
		containers []capture.Container
		wantFormat capture.Format
		// wantEvents is the least number of events; 0: none.
		wantEvents int
	}{
		{"events", capgen.Options{Events: 300}, capture.WriterOptions{}, nil, capture.FormatZstd, 300},
		{"no events, a container", capgen.Options{Events: capgen.NoEvents}, capture.WriterOptions{Metadata: &capture.Metadata{Hostname: "h"}},
			[]capture.Container{web}, capture.FormatZstd, 0},
		{"plain scap", capgen.Options{Events: 300}, capture.WriterOptions{Format: capture.FormatScap}, nil, capture.FormatScap, 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := capgen.Bytes(tc.opts, tc.w, tc.containers...)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := capgen.Bytes(tc.opts, tc.w, tc.containers...); err != nil || !bytes.Equal(b, again) {
				t.Errorf("the same options gave other bytes (%v)", err)
			}
			r, err := capture.NewReader(bytes.NewReader(b), "x")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n := 0
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				n++
			}
			h := r.Header()
			if h.Format != tc.wantFormat || n < tc.wantEvents || (tc.wantEvents == 0 && n > 0) {
				t.Errorf("format %v, %d events; want %v, %d or more events (0: none)", h.Format, n, tc.wantFormat, tc.wantEvents)
			}
			var got []capture.Container
			if h.Metadata != nil {
				got = h.Metadata.Containers
			}
			if diff := cmp.Diff(tc.containers, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("containers (-want +got):\n%s", diff)
			}
		})
	}
}
