package inspect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/scap"
)

// TestDescribeDropsAfterCrash describes a capture whose recorder stopped
// without closing it (no closing metadata with the drop totals) but whose
// events hold drop markers: info counts them instead of saying "not
// recorded".
func TestDescribeDropsAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.scap.zst")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	md := capture.Metadata{RecorderVersion: "test", StartTime: start}
	w, err := capture.NewWriter(f, path, capture.WriterOptions{Metadata: &md, Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		t.Fatal(err)
	}
	ts := uint64(start.UnixNano())
	for i, lost := range []uint32{100, 50} {
		if _, err := capgen.Generate(w, capgen.Options{Events: 50, Start: start.Add(time.Duration(i) * time.Second), Seed: uint64(i + 1)}); err != nil {
			t.Fatal(err)
		}
		ts = uint64(start.Add(time.Duration(i)*time.Second + 500*time.Millisecond).UnixNano())
		for _, typ := range []scap.Type{scap.DropE, scap.DropX} {
			if err := w.WriteEvent(0, 0, scap.AppendEvent(nil, ts, 200, typ, scap.EncUint32(lost))); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	f.Close() // the recorder died: no closing frames
	d, err := Describe(path, nil)
	if d == nil {
		t.Fatalf("Describe: %v", err)
	}
	if d.Drops == nil || d.Drops.Total != 150 || !d.DropsFromMarkers {
		t.Fatalf("drops %+v (from markers %v), want 150 from the markers", d.Drops, d.DropsFromMarkers)
	}
	var b strings.Builder
	d.WriteText(&b)
	want := "drops:       150 events lost at 2 drop markers, 2026-01-02T03:04:05.5Z to 2026-01-02T03:04:06.5Z, frames 2 to 4 (from the drop markers: the recorder's totals were not written, it did not close the capture)\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("text lacks\n%s\n%s", want, b.String())
	}
}
