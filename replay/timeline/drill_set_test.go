package timeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// TestDrillRotatedSet checks that the detections of a rotated set, which
// name the member file holding their event, get their drill-downs from a
// replay of the whole set (their event numbers count from its first file),
// and that the story's tree names the file of each event it cites.
func TestDrillRotatedSet(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)
	var files []string
	for seq := 1; seq <= 3; seq++ {
		md := capture.Metadata{Hostname: "h", Rotation: &capture.Rotation{Set: "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1", Seq: seq}}
		g := capgen.Options{Events: 400, Seed: uint64(seq), Start: start.Add(time.Duration(seq) * time.Hour)}
		b, err := capgen.Bytes(g, capture.WriterOptions{Metadata: &md, FrameSize: 8 << 10})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("s-%06d.scap.zst", seq))
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	rulesFile := filepath.Join(dir, "rules.yaml")
	const rule = "- rule: Exec\n  desc: every exec\n  condition: evt.type=execve and evt.dir=<\n  output: \"%proc.cmdline\"\n  priority: NOTICE\n"
	if err := os.WriteFile(rulesFile, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := replay.NewFieldRegistry()
	set, err := detect.LoadRules([]string{rulesFile}, reg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.New(detect.Options{Registry: reg, Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{}
	sum, err := d.Run(context.Background(), files, func(it detect.Item) error {
		rep.Detections = append(rep.Detections, *it.Detection)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep.Captures = sum.Captures
	if len(rep.Captures) != 1 || len(rep.Captures[0].Files) != 3 {
		t.Fatalf("captures %+v, want one set of 3 files", rep.Captures)
	}
	if _, err := timeline.Drill(context.Background(), rep, timeline.DrillOptions{Max: 1 << 20, Tree: true}); err != nil {
		t.Fatal(err)
	}
	perFile := map[string]int{}
	for _, det := range rep.Detections {
		perFile[det.Capture]++
		if det.Drill == nil || det.Drill.Event.Num != det.EventNum {
			t.Errorf("evt.num %d in %s: drill-down %+v", det.EventNum, filepath.Base(det.Capture), det.Drill)
		}
	}
	for _, f := range files {
		if perFile[f] == 0 {
			t.Errorf("no detection names %s", filepath.Base(f))
		}
	}
	// The story's tree names the file of each event it cites.
	inTree, _ := checkTreeRefs(t, setEvents(t, files), treeRefs(rep.Tree))
	for _, f := range files {
		if inTree[f] == 0 {
			t.Errorf("the story's tree cites no event of %s", filepath.Base(f))
		}
	}
}
