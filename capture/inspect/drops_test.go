package inspect

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/hostile"
)

// TestDescribeDropsAfterCrash describes a capture whose recorder stopped
// without closing it (no closing metadata with the drop totals) but whose
// events hold drop markers: info counts them instead of saying "not
// recorded".
func TestDescribeDropsAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.scap.zst")
	if err := hostile.DropMarkers(path, []uint32{100, 50}, false); err != nil {
		t.Fatal(err)
	}
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
