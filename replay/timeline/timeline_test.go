package timeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// attack returns the path of a committed attack recording.
func attack(name string) string {
	return filepath.Join(testutil.RepoRoot(), "testdata", "attacks", name+".scap.zst")
}

// findings summarizes a view's findings as "rule process[pid] files".
func findings(rep *report.Report) []string {
	var out []string
	for _, d := range rep.Detections {
		out = append(out, fmt.Sprintf("%s %s[%d] %s", d.Rule, d.Process.Name, d.Process.Pid, strings.Join(d.Files, " ")))
	}
	return out
}

// TestViews runs each view over real recordings of the attack corpus.
func TestViews(t *testing.T) {
	for _, tc := range []struct {
		name     string
		captures []string
		opts     timeline.Options
		want     []string
	}{
		{"sensitive reads across captures", []string{"write-below-bin", "shadow-read-host"},
			timeline.Options{View: timeline.ViewSensitiveReads}, []string{"sensitive-read cat[15458] /etc/shadow"}},
		{"binary writes", []string{"shadow-read-host", "write-below-bin"}, timeline.Options{View: timeline.ViewBinaryWrites},
			[]string{"binary-write bash[15526] /bin/retrace-attack-dropped", "binary-write rm[15527] /bin/retrace-attack-dropped"}},
		{"an added binary directory", []string{"shadow-read-host"}, timeline.Options{View: timeline.ViewBinaryWrites, Paths: []string{"/dev"}},
			[]string{"binary-write bash[15458] /dev/null"}},
		{"shells in a container", []string{"container-terminal-shell"},
			timeline.Options{View: timeline.ViewShells, Scope: detect.Scope{Container: "retrace-attack"}},
			[]string{"shell sh[13977] ", "shell sh[13986] ", "shell sh[13987] "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, c := range tc.captures {
				paths = append(paths, attack(c))
			}
			rep, err := timeline.Run(context.Background(), paths, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, findings(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(rep.Captures) != len(paths) || rep.View != tc.opts.View {
				t.Errorf("report covers %d captures, view %q", len(rep.Captures), rep.View)
			}
		})
	}
}

// TestTreeOfOneProcess checks that the tree view with a pid keeps that
// process and its descendants with what each did.
func TestTreeOfOneProcess(t *testing.T) {
	rep, err := timeline.Run(context.Background(), []string{attack("shadow-read-host")},
		timeline.Options{View: timeline.ViewTree, Scope: detect.Scope{Pid: 15457, HasPid: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tree) != 1 || rep.Tree[0].Process.Pid != 15457 || len(rep.Tree[0].Children) != 1 {
		t.Fatalf("tree: %+v", rep.Tree)
	}
	var kinds []string
	for _, a := range rep.Tree[0].Children[0].Activity {
		kinds = append(kinds, a.Kind+" "+a.Object)
	}
	want := []string{"open-write /dev/null", "exec cat /etc/shadow", "open-read /etc/shadow"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("cat's activity (-want +got):\n%s", diff)
	}
	if rep.Tree[0].Children[0].Exit.IsZero() {
		t.Error("cat's exit is missing")
	}
}

// TestRunErrors checks an unknown view and an unreadable capture.
func TestRunErrors(t *testing.T) {
	if _, err := timeline.Run(context.Background(), []string{attack("shadow-read-host")}, timeline.Options{View: "shell"}); err == nil ||
		!strings.Contains(err.Error(), `unknown view "shell"`) {
		t.Errorf("unknown view: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing.scap.zst")
	rep, err := timeline.Run(context.Background(), []string{missing, attack("shadow-read-host")},
		timeline.Options{View: timeline.ViewSensitiveReads})
	if err == nil || !strings.Contains(err.Error(), "missing.scap.zst") {
		t.Errorf("missing capture: %v", err)
	}
	if rep == nil || len(rep.Detections) != 1 {
		t.Errorf("the readable capture's findings are lost: %+v", rep)
	}
}
