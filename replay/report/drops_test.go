package report

import (
	"strings"
	"testing"
)

// TestTableFooterDrops checks that the table's footer counts the events
// the recorders lost, with or without detections.
func TestTableFooterDrops(t *testing.T) {
	for _, caps := range [][]CaptureInfo{
		{{File: "a.scap.zst", Drops: 100}, {File: "b.scap.zst", Drops: 50}},
	} {
		var b strings.Builder
		if err := WriteTable(&b, &Report{Captures: caps}, Options{}); err != nil {
			t.Fatal(err)
		}
		if want := "0 detection(s), times in UTC; 150 events lost to recorder drops\n"; !strings.HasSuffix(b.String(), want) {
			t.Errorf("table ends\n%s\nwant %q", b.String(), want)
		}
	}
}
