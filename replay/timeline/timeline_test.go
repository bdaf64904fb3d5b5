package timeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
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
			[]string{"shell sh[13977] "}},
		{"shells, not their forks", []string{"reverse-shell"}, timeline.Options{View: timeline.ViewShells},
			[]string{"shell bash[15226] ", "shell bash[15257] ", "shell sh[15258] "}},
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

// treeIndex maps each process of a tree ("name[pid]") to its parent's and
// the kinds of its activity.
func treeIndex(roots []report.ProcessNode) (parent map[string]string, kinds map[string][]string, count map[string]int) {
	parent, kinds, count = map[string]string{}, map[string][]string{}, map[string]int{}
	var walk func(ns []report.ProcessNode, up string)
	walk = func(ns []report.ProcessNode, up string) {
		for _, n := range ns {
			k := fmt.Sprintf("%s[%d]", n.Process.Name, n.Process.Pid)
			parent[k] = up
			count[k]++
			for _, a := range n.Activity {
				kinds[k] = append(kinds[k], a.Kind)
			}
			walk(n.Children, k)
		}
	}
	walk(roots, "")
	return parent, kinds, count
}

// TestTreeLineage checks that the tree places processes under the process
// that forked them (a forked subshell under its shell, a container shell
// under runc, the host-side chain above it), once each, with their
// privilege syscalls.
func TestTreeLineage(t *testing.T) {
	for _, tc := range []struct {
		name, capture string
		parents       map[string]string // process -> parent
		activity      map[string]string // process -> a kind it must show
	}{
		{"forked subshell", "reverse-shell", map[string]string{
			"bash[15227]": "bash[15226]", "sleep[15232]": "bash[15227]", "sh[15258]": "bash[15257]", "id[15260]": "sh[15258]",
		}, map[string]string{"busybox[15229]": "accept", "sh[15258]": "connect"}},
		{"container shell's host-side entry", "container-terminal-shell", map[string]string{
			"podman[13948]": "script[13947]", "conmon[13964]": "podman[13948]", "conmon[13965]": "conmon[13964]",
			"runc[13966]": "conmon[13965]", "sh[13977]": "runc:[0:PARENT][13976]", "sh[13986]": "sh[13977]",
		}, nil},
		{"privilege syscalls", "escape-container", nil, map[string]string{"runc:[0:PARENT][6200]": "setns"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := timeline.Run(context.Background(), []string{attack(tc.capture)}, timeline.Options{View: timeline.ViewTree})
			if err != nil {
				t.Fatal(err)
			}
			parent, kinds, count := treeIndex(rep.Tree)
			for k, n := range count {
				if n != 1 {
					t.Errorf("%s appears %d times", k, n)
				}
			}
			for child, want := range tc.parents {
				if got, ok := parent[child]; !ok || got != want {
					t.Errorf("parent of %s = %q (found %v), want %q", child, got, ok, want)
				}
			}
			for proc, kind := range tc.activity {
				if !slices.Contains(kinds[proc], kind) {
					t.Errorf("%s's activity %v lacks %q", proc, kinds[proc], kind)
				}
			}
		})
	}
}

// TestTreeThreads checks that a process's threads are one node (libs'
// curl capture has a resolver thread).
func TestTreeThreads(t *testing.T) {
	path := testutil.SharedFile(t, "captures", "libs_curl_google.scap")
	rep, err := timeline.Run(context.Background(), []string{path}, timeline.Options{View: timeline.ViewTree})
	if err != nil {
		t.Fatal(err)
	}
	parent, _, count := treeIndex(rep.Tree)
	if count["curl[17497]"] != 1 || parent["curl[17497]"] != "bash[3200]" {
		t.Errorf("curl[17497]: %d nodes, parent %q", count["curl[17497]"], parent["curl[17497]"])
	}
}

// TestProvenance checks a container shell's provenance: the host-side
// entry (podman exec, conmon, runc) joined to the shell in the container,
// the creators that had exited by the shell's exec included.
func TestProvenance(t *testing.T) {
	rep, err := timeline.Run(context.Background(), []string{attack("container-terminal-shell")},
		timeline.Options{View: timeline.ViewShells, Scope: detect.Scope{Container: "retrace-attack"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Detections) != 1 || rep.Detections[0].Provenance == nil {
		t.Fatalf("findings: %v", findings(rep))
	}
	pv := rep.Detections[0].Provenance
	var names []string
	for _, o := range pv.Chain[:9] {
		names = append(names, fmt.Sprintf("%s[%d] %s %.6s exited=%v", o.Name, o.Pid, o.How, o.Container, !o.Exit.IsZero()))
	}
	want := []string{
		"sh[13977] exec f00903 exited=false",
		"runc:[0:PARENT][13976] fork host exited=true",
		"runc[13975] exec host exited=true",
		"runc[13966] exec host exited=true",
		"conmon[13965] fork host exited=false",
		"conmon[13964] exec host exited=true",
		"podman[13948] exec host exited=false",
		"script[13947] exec host exited=false",
		"bash[13945] exec host exited=false",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("chain (-want +got):\n%s", diff)
	}
	if pv.Tty != 34816 || pv.LoginUID != -1 {
		t.Errorf("tty %d, login uid %d", pv.Tty, pv.LoginUID)
	}
}
