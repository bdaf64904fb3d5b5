package inspect

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/hostile"
)

// TestDescribeDrops describes captures whose events hold drop markers:
// closed (the recorder's totals and the markers) and abandoned as by a
// SIGKILL (no closing metadata with the totals), where info counts the
// markers instead of saying "not recorded".
func TestDescribeDrops(t *testing.T) {
	const where = "150 events lost at 2 drop markers, 2026-01-02T03:04:05.5Z to 2026-01-02T03:04:06.5Z, frames 2 to 4"
	tests := []struct {
		name        string
		closed      bool
		fromMarkers bool
		want        string
	}{
		{"closed", true, false, "drops:       150 events lost (per CPU [150]), reader lag at most 0s; " + where + "\n"},
		{"recorder killed", false, true, "drops:       " + where + " (from the drop markers: the recorder's totals were not written, it did not close the capture)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "drops.scap.zst")
			if err := hostile.DropMarkers(path, []uint32{100, 50}, tc.closed); err != nil {
				t.Fatal(err)
			}
			d, err := Describe(path, nil)
			if d == nil {
				t.Fatalf("Describe: %v", err)
			}
			if d.Drops == nil || d.Drops.Total != 150 || d.DropsFromMarkers != tc.fromMarkers {
				t.Fatalf("drops %+v (from markers %v), want 150 (from markers %v)", d.Drops, d.DropsFromMarkers, tc.fromMarkers)
			}
			var b strings.Builder
			d.WriteText(&b)
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("text lacks\n%s\n%s", tc.want, b.String())
			}
		})
	}
}
