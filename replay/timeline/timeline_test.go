package timeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
			timeline.Options{View: timeline.ViewSensitiveReads}, []string{"sensitive-read cat[15239] /etc/shadow"}},
		{"binary writes", []string{"shadow-read-host", "write-below-bin"}, timeline.Options{View: timeline.ViewBinaryWrites},
			[]string{"binary-write bash[16019] /bin/retrace-attack-dropped", "binary-write rm[16020] /bin/retrace-attack-dropped"}},
		{"an added binary directory", []string{"shadow-read-host"}, timeline.Options{View: timeline.ViewBinaryWrites, Paths: []string{"/dev"}},
			[]string{"binary-write bash[15239] /dev/null"}},
		{"shells in a container", []string{"container-terminal-shell"},
			timeline.Options{View: timeline.ViewShells, Scope: detect.Scope{Container: "retrace-attack"}},
			[]string{"shell sh[9652] "}},
		{"shells, not their forks", []string{"reverse-shell"}, timeline.Options{View: timeline.ViewShells},
			[]string{"shell bash[14481] ", "shell bash[14536] ", "shell sh[14537] "}},
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
		timeline.Options{View: timeline.ViewTree, Scope: detect.Scope{Pid: 15237, HasPid: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tree) != 1 || rep.Tree[0].Process.Pid != 15237 || len(rep.Tree[0].Children) != 1 {
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
		!strings.Contains(err.Error(), `unknown view "shell" (did you mean "shells"?)`) {
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
			"bash[14485]": "bash[14481]", "sleep[14489]": "bash[14485]", "sh[14537]": "bash[14536]", "id[14538]": "sh[14537]",
		}, map[string]string{"busybox[14487]": "accept", "sh[14537]": "connect"}},
		{"container shell's host-side entry", "container-terminal-shell", map[string]string{
			"podman[9605]": "script[9604]", "conmon[9634]": "podman[9605]", "conmon[9639]": "conmon[9634]",
			"runc[9640]": "conmon[9639]", "sh[9652]": "runc:[0:PARENT][9651]", "sh[9662]": "sh[9652]",
		}, nil},
		{"privilege syscalls", "escape-container", nil, map[string]string{"runc:[0:PARENT][22916]": "setns"}},
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
		"sh[9652] exec 968f8e exited=false",
		"runc:[0:PARENT][9651] fork host exited=true",
		"runc[9650] exec host exited=true",
		"runc[9640] exec host exited=false",
		"conmon[9639] fork host exited=false",
		"conmon[9634] exec host exited=true",
		"podman[9605] exec host exited=false",
		"script[9604] exec host exited=false",
		"bash[9602] exec host exited=false",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("chain (-want +got):\n%s", diff)
	}
	if pv.Tty != 34816 || pv.LoginUID != -1 {
		t.Errorf("tty %d, login uid %d", pv.Tty, pv.LoginUID)
	}
}

// TestActivityViews runs the activity views over recorded attacks and
// libs' curl capture.
func TestActivityViews(t *testing.T) {
	shared := func(name string) func(t *testing.T) string {
		return func(t *testing.T) string { return testutil.SharedFile(t, "captures", name) }
	}
	committed := func(name string) func(t *testing.T) string {
		return func(*testing.T) string { return attack(name) }
	}
	for _, tc := range []struct {
		name    string
		capture func(t *testing.T) string
		view    string
		want    []string // substrings of outputs, each in some finding
		first   string   // substring of the first finding, when ranked
	}{
		{"files written and deleted", committed("write-below-bin"), timeline.ViewFiles,
			[]string{"bash[16019] /bin/retrace-attack-dropped: read 0 B in 0 read(s), wrote 10 B in 1 write(s); opened for writing, written",
				"rm[16020] /bin/retrace-attack-dropped: read 0 B in 0 read(s), wrote 0 B in 0 write(s); deleted"}, ""},
		{"connections both ways", committed("reverse-shell"), timeline.ViewConnections,
			// The client is the source both ways (libs' tuples).
			[]string{"busybox[14487] inbound tcp 127.0.0.1:42408->127.0.0.1:44444: sent 8 B in 1 write(s), received 91 B in 6 read(s)",
				"outbound tcp 127.0.0.1:42408->127.0.0.1:44444: sent 52 B in 5 write(s)"}, "busybox[14487] inbound"},
		{"commands with their parents", committed("reverse-shell"), timeline.ViewCommands,
			[]string{"sleep[14489] ran sleep 2 (user=root login=<NA> tty=0 container=host parent=bash[14485])",
				"id[14538] ran id (user=root login=<NA> tty=0 container=host parent=sh[14537])"}, ""},
		{"failed syscalls", committed("reverse-shell"), timeline.ViewErrors,
			[]string{"bash[14481] close failed with EBADF 2 time(s)"}, "id[14538] openat failed with ENOENT 16 time(s)"},
		{"privilege syscalls", committed("escape-container"), timeline.ViewPrivilege,
			[]string{"runc:[0:PARENT][22916] setns res=0 fd=7(<f>/proc/22853/ns/ipc) nstype=8(CLONE_NEWIPC)",
				"busybox[23104] init_module res=-38(ENOSYS)"}, ""},
		{"socket data", shared("libs_curl_google.scap"), timeline.ViewIO,
			[]string{"curl[17497] write 78 B to fd 4 tcp 2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:37140->2607:f8b0:4004:802::2004:80: GET / HTTP/1.1\r\n",
				"curl[17497] read 60 B from fd 4 udp"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := timeline.Run(context.Background(), []string{tc.capture(t)}, timeline.Options{View: tc.view})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Detections) == 0 {
				t.Fatal("no findings")
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(rep.Detections, func(d report.Detection) bool { return strings.Contains(d.Output, w) }) {
					t.Errorf("no finding contains %q", w)
				}
			}
			if tc.first != "" && !strings.Contains(rep.Detections[0].Output, tc.first) {
				t.Errorf("first finding %q, want it to contain %q", rep.Detections[0].Output, tc.first)
			}
		})
	}
}

// TestPcap writes the io view of libs' curl capture as pcapng and checks
// that tshark follows the HTTP conversation.
func TestPcap(t *testing.T) {
	path := testutil.SharedFile(t, "captures", "libs_curl_google.scap")
	tshark := testutil.NeedTool(t, "tshark")
	rep, err := timeline.Run(context.Background(), []string{path}, timeline.Options{View: timeline.ViewIO})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "io.pcapng")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := timeline.WritePcap(f, rep); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"packets", []string{"-r", out}, []string{"Standard query 0x0702 AAAA www.google.com", "37140 → 80 [SYN]", "GET / HTTP/1.1"}},
		{"follow tcp stream", []string{"-r", out, "-q", "-z", "follow,tcp,ascii,0"},
			[]string{"Node 1: [2607:f8b0:4004:802::2004]:80", "GET / HTTP/1.1", "Host: www.google.com", "HTTP/1.1 200 OK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := exec.Command(tshark, tc.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("tshark output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestUnknownView checks the error of a misspelt view.
func TestUnknownView(t *testing.T) {
	_, err := timeline.Run(context.Background(), []string{attack("reverse-shell")}, timeline.Options{View: "connectons"})
	var uv *timeline.UnknownViewError
	if !errors.As(err, &uv) || !strings.Contains(err.Error(), `(did you mean "connections"?)`) ||
		!strings.Contains(err.Error(), "errors, privilege") {
		t.Errorf("err = %v", err)
	}
}

// TestRunViewsOnePass checks that views fed by one shared pass give what
// each gives on its own pass.
func TestRunViewsOnePass(t *testing.T) {
	paths := []string{attack("reverse-shell"), attack("persistence-host")}
	views := []string{timeline.ViewCommands, timeline.ViewShells, timeline.ViewFiles, timeline.ViewConnections, timeline.ViewIO,
		timeline.ViewPrivilege, timeline.ViewSensitiveReads, timeline.ViewBinaryWrites, timeline.ViewErrors}
	reps, err := timeline.RunViews(context.Background(), paths, views, timeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != len(views) {
		t.Fatalf("%d reports for %d views", len(reps), len(views))
	}
	for i, v := range views {
		alone, err := timeline.Run(context.Background(), paths, timeline.Options{View: v})
		if err != nil {
			t.Fatal(err)
		}
		if len(alone.Detections) == 0 && v != timeline.ViewSensitiveReads && v != timeline.ViewBinaryWrites {
			t.Errorf("view %s found nothing in the reverse shell and persistence recordings", v)
		}
		if diff := cmp.Diff(findings(alone), findings(reps[i])); diff != "" || reps[i].View != v {
			t.Errorf("view %s (%s) in a shared pass differs from its own pass (-own +shared):\n%s", v, reps[i].View, diff)
		}
	}
	if _, err := timeline.RunViews(context.Background(), paths, []string{"file"}, timeline.Options{}); !errors.As(err, new(*timeline.UnknownViewError)) {
		t.Errorf("an unknown view gives %v, want an UnknownViewError", err)
	}
}

// TestRunViewsMaxFindings checks that a bounded view keeps its first
// findings over all captures and says what it left out.
func TestRunViewsMaxFindings(t *testing.T) {
	paths := []string{attack("reverse-shell"), attack("persistence-host")}
	views := []string{timeline.ViewCommands, timeline.ViewFiles, timeline.ViewShells}
	all, err := timeline.RunViews(context.Background(), paths, views, timeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bounded, err := timeline.RunViews(context.Background(), paths, views, timeline.Options{MaxFindings: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range views {
		got := bounded[i]
		if len(all[i].Detections) <= 4 {
			t.Fatalf("view %s has %d findings unbounded; the test needs more than 4", v, len(all[i].Detections))
		}
		if len(got.Detections) != 2 || len(got.Notes) != 1 || !strings.HasPrefix(got.Notes[0], "view "+v+" holds its first 2 findings;") ||
			!strings.Contains(got.Notes[0], "reached the bound of 2 findings on their own") {
			t.Errorf("view %s bounded to 2: %v, notes %q", v, findings(got), got.Notes)
		}
		if v == timeline.ViewCommands {
			if diff := cmp.Diff(findings(all[i])[:2], findings(got)); diff != "" || got.Left.Count != 2 {
				t.Errorf("view %s bounded to 2 keeps %d more (want 2) and differs from its first 2 findings (-all +bounded):\n%s", v, got.Left.Count, diff)
			}
		}
	}
}

// TestLines checks that a view written a line per finding, merged over
// the captures in memory or through temporary files, is what Run and
// report.Write give.
func TestLines(t *testing.T) {
	var paths []string
	for _, name := range []string{"reverse-shell", "persistence-host", "shadow-read-host", "write-below-bin", "container-terminal-shell"} {
		paths = append(paths, attack(name))
	}
	for _, tc := range []struct {
		name    string
		view    string
		format  report.Format
		workers int // 1: captures wait for the worker, their lines in a file
	}{
		{"commands in memory", timeline.ViewCommands, report.FormatJSON, len(paths)},
		{"commands through a file", timeline.ViewCommands, report.FormatJSON, 1},
		{"files ranked through files", timeline.ViewFiles, report.FormatText, 2},
		{"connections ranked in memory", timeline.ViewConnections, report.FormatText, len(paths)},
		{"shells through a file", timeline.ViewShells, report.FormatTimesketch, 1},
		{"io through a file", timeline.ViewIO, report.FormatJSON, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := timeline.Options{View: tc.view, Workers: tc.workers}
			rep, err := timeline.Run(context.Background(), paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Detections) < 2 {
				t.Fatalf("view %s has %d findings; the test needs more", tc.view, len(rep.Detections))
			}
			var want, got strings.Builder
			if err := report.Write(&want, rep, tc.format, report.Options{}); err != nil {
				t.Fatal(err)
			}
			enc := report.ViewLineEncoder(tc.format, report.Options{}, tc.view)
			lines, err := timeline.Lines(context.Background(), paths, opts, t.TempDir(), enc, func(line []byte) error {
				got.Write(line)
				got.WriteByte('\n')
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("lines differ from the report's (-report +lines):\n%s", diff)
			}
			if diff := cmp.Diff(rep.Captures, lines.Captures); diff != "" || len(lines.Detections) != 0 {
				t.Errorf("lines' report holds %d findings; captures differ (-report +lines):\n%s", len(lines.Detections), diff)
			}
		})
	}
	for _, view := range []string{timeline.ViewTree, "shell"} {
		if rep, err := timeline.Lines(context.Background(), paths, timeline.Options{View: view}, "", nil, nil); rep != nil || err == nil {
			t.Errorf("Lines of view %q: report %v, error %v; want an error and no report", view, rep != nil, err)
		}
	}
}

// TestAddViewsHTML checks that the HTML report's tabs, made of what
// AddViews keeps of each finding, are those of the whole findings.
func TestAddViewsHTML(t *testing.T) {
	paths := []string{attack("reverse-shell"), attack("persistence-host")}
	views := timeline.ReportViews()
	for _, max := range []int{0, 3} {
		t.Run(fmt.Sprint("bound ", max), func(t *testing.T) {
			opts := timeline.Options{MaxFindings: max}
			var rows report.Report
			if err := timeline.AddViews(context.Background(), &rows, paths, views, opts); err != nil {
				t.Fatal(err)
			}
			reps, err := timeline.RunViews(context.Background(), paths, views, opts)
			if err != nil {
				t.Fatal(err)
			}
			whole := report.Report{Notes: rows.Notes}
			for i, r := range reps {
				whole.Views = append(whole.Views, report.ActivityView{Name: views[i], Findings: r.Detections, Left: r.Left.Count})
			}
			var got, want strings.Builder
			if err := report.WriteHTML(&got, &rows, report.Options{MaxDetections: max}); err != nil {
				t.Fatal(err)
			}
			if err := report.WriteHTML(&want, &whole, report.Options{MaxDetections: max}); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("the page of AddViews' rows differs from the page of the whole findings:\n%s", cmp.Diff(want.String(), got.String()))
			}
			if reps[0].Detections[0].Provenance == nil {
				t.Fatal("the first finding of view " + views[0] + " has no provenance; the test needs one")
			}
			if rows.Views[0].Findings[0].Provenance != nil {
				t.Error("AddViews keeps the findings' provenance, which no tab shows")
			}
		})
	}
}
