package timeline_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// TestDrillTreeSources checks where the story's tree says its processes
// and activities come from: bash[4002] of the incident recording is first
// known as the creator of the container shell (no event of its own), then
// writes a cron file (the detection's event 10270, in frame 5); its node
// describes that event, login included, and every node names host and
// capture.
func TestDrillTreeSources(t *testing.T) {
	capFile := filepath.Join(testutil.RepoRoot(), "testdata", "incident", "incident.scap.zst")
	rep := &report.Report{
		Captures: []report.CaptureInfo{{File: capFile, Hostname: "vm"}},
		Detections: []report.Detection{
			{Rule: "container shell", Capture: capFile, EventNum: 3366, Frame: 2, Process: report.Process{Pid: 4026}},
			{Rule: "cron file", Capture: capFile, EventNum: 10270, Frame: 5, Process: report.Process{Pid: 4002}},
		},
	}
	if _, err := timeline.Drill(context.Background(), rep, timeline.DrillOptions{Tree: true}); err != nil {
		t.Fatal(err)
	}
	type nodeWant struct {
		num   uint64
		frame int
		login string
	}
	wants := map[int64]nodeWant{
		4002: {10270, 5, "login cloudsdk (uid 1000) session 6330 tty 34816"},
		4026: {3366, 2, "login cloudsdk (uid 1000) session 6330 tty 34816"},
	}
	seen := 0
	var walk func(ns []report.ProcessNode)
	walk = func(ns []report.ProcessNode) {
		for i := range ns {
			n := &ns[i]
			who := n.Process.Name + "[" + strconv.FormatInt(n.Process.Pid, 10) + "]"
			if n.Host != "vm" || n.Capture != capFile {
				t.Errorf("%s: host %q capture %q", who, n.Host, n.Capture)
			}
			if w, ok := wants[n.Process.Pid]; ok {
				seen++
				if n.EventNum != w.num || n.Frame != w.frame || n.Login != w.login {
					t.Errorf("%s: event %d frame %d login %q, want %d, %d, %q", who, n.EventNum, n.Frame, n.Login, w.num, w.frame, w.login)
				}
			}
			if n.EventNum == 0 && (n.Frame != -1 || len(n.Activity) > 0) {
				t.Errorf("%s: no event of its own, but frame %d and %d activities", who, n.Frame, len(n.Activity))
			}
			for _, a := range n.Activity {
				if a.EventNum == 0 || a.Frame < 0 {
					t.Errorf("%s: %s %s at event %d frame %d", who, a.Kind, a.Object, a.EventNum, a.Frame)
				}
			}
			if n.ExitNum != 0 && (n.Exit.IsZero() || n.ExitNum < n.EventNum || n.ExitFrame < 0) {
				t.Errorf("%s: exit at %s, event %d frame %d; the node's event is %d", who, n.Exit, n.ExitNum, n.ExitFrame, n.EventNum)
			}
			walk(n.Children)
		}
	}
	walk(rep.Tree)
	if seen != len(wants) {
		t.Errorf("tree holds %d of the %d detections' processes:\n%s", seen, len(wants), treeText(t, rep))
	}
}

// treeText is rep's tree as text, for failure messages.
func treeText(t *testing.T, rep *report.Report) string {
	var b strings.Builder
	if err := report.Write(&b, &report.Report{Tree: rep.Tree}, report.FormatText, report.Options{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
