package capgen_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

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
