package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// damageFrame writes a copy of the capture at src with 8 bytes of its
// n-th zstd data frame (counting from 0, the header frame) overwritten, so
// that the frame fails its checksum and its events are lost.
func damageFrame(t *testing.T, src string, n int) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	off := -1
	for i, k := 0, 0; ; k++ {
		j := bytes.Index(b[i:], magic)
		if j < 0 {
			t.Fatalf("%s has fewer than %d zstd frames", src, n+1)
		}
		if k == n {
			off = i + j
			break
		}
		i += j + 1
	}
	copy(b[off+200:], bytes.Repeat([]byte{0xff}, 8))
	out := filepath.Join(t.TempDir(), "damaged-"+filepath.Base(src))
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplayMarksGaps replays a real recording with one data frame
// damaged: the detections whose process was running before the lost
// events carry the gap (JSON key, text note); those before the gap, or
// whose state the capture renewed after it, do not.
func TestReplayMarksGaps(t *testing.T) {
	src := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "escape-container.scap.zst")
	bad := damageFrame(t, src, 1)
	out, _, err := runRetrace(t, "replay", "-q", "-o", "json", bad)
	if err == nil || !strings.Contains(err.Error(), "damaged place") {
		t.Errorf("replay of a damaged capture: err %v, want the damage reported", err)
	}
	type alert struct {
		Rule string `json:"rule"`
		Gap  *struct {
			Stale      []string `json:"stale"`
			Frames     []int    `json:"frames"`
			EventsLost uint64   `json:"events_lost"`
			Known      bool     `json:"events_lost_known"`
		} `json:"gap"`
	}
	var flagged, clean int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var a alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if a.Gap == nil {
			clean++
			continue
		}
		flagged++
		if len(a.Gap.Frames) != 1 || len(a.Gap.Stale) == 0 {
			t.Errorf("%s: gap %+v: want one frame and what is stale", a.Rule, *a.Gap)
		}
		if a.Rule == "Executable Permission Set in Temporary Directory" && !(len(a.Gap.Stale) == 1 && a.Gap.Stale[0] == "process") {
			t.Errorf("%s: stale %v, want [process]", a.Rule, a.Gap.Stale)
		}
	}
	if flagged == 0 || clean == 0 {
		t.Fatalf("%d detections flagged, %d not: want both", flagged, clean)
	}
	// The intact capture flags nothing.
	good, _, err := runRetrace(t, "replay", "-q", "-o", "json", src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(good, []byte(`"gap":`)) {
		t.Error("an intact capture's detections carry a gap")
	}
	text, _, _ := runRetrace(t, "replay", "-q", bad)
	if n := strings.Count(string(text), "\n    gap: "); n != flagged {
		t.Errorf("text output has %d gap notes, JSON %d flagged detections:\n%s", n, flagged, text)
	}
}
