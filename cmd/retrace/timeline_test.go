package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// timelineRun runs `retrace timeline args...` in-process.
func timelineRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"timeline"}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		out = append(out, m)
	}
	return out
}

func TestTimelineShells(t *testing.T) {
	capFile := testutil.SharedFile(t, "captures", "falco_cat_write.scap")
	out, err := timelineRun(t, capFile, "shells", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out)
	// The capture's process table holds five bash processes; bash 11310
	// ran cat (sysdig: one execve exit with proc.pname=bash).
	if len(lines) != 5 {
		t.Fatalf("got %d shells, want 5:\n%s", len(lines), out)
	}
	var ran []string
	for _, l := range lines {
		if l["rule"] != "shell" || l["priority"] != "Notice" {
			t.Errorf("unexpected finding: %v", l)
		}
		for _, c := range asSlice(l["children"]) {
			ran = append(ran, c.(map[string]any)["cmdline"].(string))
		}
	}
	if diff := cmp.Diff([]string{"cat /dev/null"}, ran); diff != "" {
		t.Errorf("commands run (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, `shell bash[11310] (no terminal, user=mstemm, parent emacs, container=host) ran 1 command(s): bash --noediting -i`) {
		t.Errorf("shell summary missing:\n%s", out)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestTimelineFileViews(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string // substrings, one per output line, in order
		wantErr string
	}{
		{"sensitive read of an added path", []string{"falco_cat_write.scap", "sensitive-reads", "--path", "/dev/null", "-o", "text"},
			[]string{"2016-08-04T16:17:57.882054739+0000: Warning cat[20072] read /dev/null (user=4294967295 command=cat /dev/null container=host)"}, ""},
		{"no sensitive reads by default", []string{"falco_cat_write.scap", "sensitive-reads", "-o", "text"}, nil, ""},
		{"binary write in an added directory", []string{"falco_psp_write_tmp_test.scap", "binary-writes", "--path", "/tmp/", "-o", "text"},
			[]string{"Warning bash[25754] opened for writing /tmp/test (user=root command=bash container=hopeful_taussig)"}, ""},
		{"relative path", []string{"falco_cat_write.scap", "sensitive-reads", "--path", "etc/x"}, nil, "want an absolute path"},
		{"path with the wrong view", []string{"falco_cat_write.scap", "shells", "--path", "/x"}, nil, "--path applies to"},
		{"bad format", []string{"falco_cat_write.scap", "shells", "-o", "xml"}, nil, "parse format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{testutil.SharedFile(t, "captures", tc.args[0])}, tc.args[1:]...)
			out, err := timelineRun(t, args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var lines []string // alert lines; provenance lines are indented
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if l != "" && !strings.HasPrefix(l, " ") {
					lines = append(lines, l)
				}
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(tc.want), out)
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q, want it to contain %q", i+1, lines[i], w)
				}
			}
		})
	}
}

func TestTimelineTree(t *testing.T) {
	capFile := testutil.SharedFile(t, "captures", "falco_cat_write.scap")
	type node struct {
		Path  string
		Depth float64
		Kinds []string
	}
	summarize := func(out string) []node {
		var got []node
		for _, l := range jsonLines(t, out) {
			n := node{Path: l["path"].(string), Depth: l["depth"].(float64)}
			for _, a := range asSlice(l["activity"]) {
				m := a.(map[string]any)
				n.Kinds = append(n.Kinds, m["kind"].(string)+" "+m["object"].(string))
			}
			got = append(got, n)
		}
		return got
	}
	chain := []string{"systemd", "sshd", "sshd", "sshd", "bash", "emacs", "bash"}
	var whole []node
	for i := range chain {
		whole = append(whole, node{Path: strings.Join(chain[:i+1], " > "), Depth: float64(i)})
	}
	cat := node{Path: strings.Join(append(chain, "cat"), " > "), Depth: float64(len(chain)),
		Kinds: []string{"exec cat /dev/null", "open-read /dev/null"}}
	whole = append(whole, cat)
	tests := []struct {
		name string
		args []string
		want []node
	}{
		// Library and locale opens are left out; the ancestors predate the
		// capture and come from its process snapshot, up to systemd.
		{"whole capture", []string{capFile, "-o", "json"}, whole},
		{"one process", []string{capFile, "tree", "--pid", "20072", "-o", "json"},
			[]node{{Path: "cat", Depth: 0, Kinds: cat.Kinds}}},
		{"its parent keeps descendants", []string{capFile, "tree", "--pid", "11310", "-o", "json"},
			[]node{{Path: "bash", Depth: 0}, {Path: "bash > cat", Depth: 1, Kinds: cat.Kinds}}},
		{"other container", []string{capFile, "tree", "--container", "nope", "-o", "json"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := timelineRun(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(out)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
}

// A capture without a machine info block still has a timeline (an empty
// one), not a crash.
func TestTimelineNoMachineInfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bare.scap")
	w, err := capture.Create(path, capture.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(&capture.Header{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := timelineRun(t, path, "shells", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("got findings from an empty capture:\n%s", out)
	}
}

// TestTimelineViewNames checks that the help lists every view and that a
// misspelt view is named as such, with the closest view.
func TestTimelineViewNames(t *testing.T) {
	capFile := "../../testdata/attacks/reverse-shell.scap.zst"
	help, err := timelineRun(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range timeline.Views() {
		if !strings.Contains(help, "\n  "+v+" ") {
			t.Errorf("help does not list view %q", v)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{capFile, "connectons"}, `unknown view "connectons" (did you mean "connections"?)`},
		{[]string{capFile, "tree", "-o", "pcap", "--out", filepath.Join(t.TempDir(), "x.pcapng")}, "-o pcap applies to the io view"},
	} {
		if _, err := timelineRun(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("timeline %v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

// jsonObjects runs retrace with args and parses its JSON lines.
func jsonObjects(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	out, _, err := runRetrace(t, args...)
	if err != nil {
		t.Fatalf("retrace %v: %v", args, err)
	}
	var objs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("retrace %v: line %q: %v", args, l, err)
		}
		objs = append(objs, m)
	}
	return objs
}

// TestIncidentFromJSON answers an analyst's questions about the recorded
// incident (testdata/incident/incident.sh: user 1000's login
// shell, `podman exec -it` into a container, /etc/shadow read, a dropped
// binary run, an `nc -e sh` reverse shell, a cron file on the host) from
// the JSON outputs alone.
func TestIncidentFromJSON(t *testing.T) {
	const capFile = "../../testdata/incident/incident.scap.zst"

	t.Run("the container shell's provenance names the login, podman, conmon and runc", func(t *testing.T) {
		var found bool
		for _, a := range jsonObjects(t, "replay", "-q", "-o", "json", capFile) {
			if a["rule"] != "Terminal Shell in Container" {
				continue
			}
			found = true
			pv := a["provenance"].(map[string]any)
			if pv["login_user"] != "cloudsdk" || pv["login_uid"] != float64(1000) || pv["tty"] == float64(0) {
				t.Errorf("login: %v (uid %v) tty %v", pv["login_user"], pv["login_uid"], pv["tty"])
			}
			var names []string
			for _, o := range pv["chain"].([]any) {
				names = append(names, o.(map[string]any)["name"].(string))
			}
			chain := strings.Join(names, " < ")
			if !strings.HasPrefix(chain, "sh < runc:[0:PARENT] < runc < runc < conmon < conmon < podman < script < bash") {
				t.Errorf("chain %s", chain)
			}
		}
		if !found {
			t.Error("no Terminal Shell in Container detection")
		}
	})

	t.Run("drill-down: the reverse shell's detection leads to the commands it ran", func(t *testing.T) {
		steps := map[string][]string{}
		for _, a := range jsonObjects(t, "replay", "-q", "-o", "json", "--drill", capFile) {
			dr, ok := a["drill"].(map[string]any)
			if !ok {
				t.Fatalf("%s has no drill key", a["rule"])
			}
			rule := a["rule"].(string)
			if rule == "Terminal Shell in Container" || rule == "Reverse Shell Redirects Standard Streams to a Socket" {
				if nb, na := len(dr["before"].([]any)), len(dr["after"].([]any)); nb != 10 || na != 10 {
					t.Errorf("%s: %d events before, %d after, want 10 each", rule, nb, na)
				}
			}
			var got []string
			for _, s := range dr["next"].([]any) {
				s := s.(map[string]any)
				got = append(got, fmt.Sprintf("%v%s[%v] %s %s", strings.Repeat(" ", int(s["depth"].(float64))), s["name"], s["pid"], s["kind"], s["object"]))
			}
			steps[rule] = got
		}
		for rule, want := range map[string][]string{
			// nc -e sh: the shell it became, then what the attacker typed
			"Reverse Shell Redirects Standard Streams to a Socket": {"exe[4112] exec exe", " sh[4117] open-read /etc/passwd",
				" sh[4117] open-read /etc/group", " exe[4119] exec exe /etc/shadow", " exe[4119] open-read /etc/shadow"},
			// the container shell: the shadow read, the dropped binary written and run
			"Terminal Shell in Container": {"sh[4026] open-write /dev/tty", "sh[4026] open-read /etc/passwd", " exe[4032] exec exe /etc/shadow",
				" exe[4032] open-read /etc/shadow", "sh[4026] open-read /etc/passwd", " sh[4042] mkdir /tmp/.x", "sh[4026] open-read /etc/passwd",
				" sh[4043] open-read /bin/busybox", " sh[4043] open-write /tmp/.x/id", "sh[4026] open-read /etc/passwd", " id[4044] exec id",
				" id[4044] open-read /etc/passwd", " id[4044] open-read /etc/group", "sh[4026] open-read /etc/passwd"},
		} {
			if diff := cmp.Diff(want, steps[rule]); diff != "" {
				t.Errorf("what came next after %s (-want +got):\n%s", rule, diff)
			}
		}
	})

	t.Run("io shows the commands the reverse shell received", func(t *testing.T) {
		var received []string
		for _, f := range jsonObjects(t, "timeline", "-q", "-o", "json", capFile, "io") {
			of := f["output_fields"].(map[string]any)
			if of["io.direction"] == "read" && of["fd.sport"] == float64(45555) && of["fd.is_server"] == false {
				received = append(received, of["evt.buffer"].(string))
			}
		}
		if diff := cmp.Diff([]string{"id\nuname -a\ncat /etc/shadow\nexit\n"}, received); diff != "" {
			t.Errorf("received (-want +got):\n%s", diff)
		}
	})

	t.Run("shells counts the shells started", func(t *testing.T) {
		var shells []string
		for _, f := range jsonObjects(t, "timeline", "-q", "-o", "json", capFile, "shells") {
			out := f["output"].(string)
			_, rest, _ := strings.Cut(out, "Notice shell ")
			name, _, _ := strings.Cut(rest, " ")
			shells = append(shells, name)
		}
		want := []string{
			"bash[3995]", // the scenario's script
			"bash[4000]", // bash -c 'echo 1000 > /proc/self/loginuid; exec script ...'
			"bash[4002]", // script's shell, which exec'd the interactive login shell
			"bash[4005]", // the inner script's shell, which exec'd podman exec -it
			"sh[4026]",   // the interactive shell in the container
			"sh[4082]",   // the listener's sh -c
			"exe[4112]",  // nc -e sh: busybox re-executing itself as sh
		}
		if diff := cmp.Diff(want, shells); diff != "" {
			t.Errorf("shells (-want +got):\n%s", diff)
		}
	})

	t.Run("the tree places every process under its real parent", func(t *testing.T) {
		seen := map[string]bool{}
		paths := map[string]string{}
		for _, n := range jsonObjects(t, "timeline", "-q", "-o", "json", capFile, "tree") {
			key := fmt.Sprintf("%s[%v]", n["name"], n["pid"])
			if seen[key] {
				t.Errorf("%s appears twice", key)
			}
			seen[key] = true
			paths[key] = n["path"].(string)
			if key == "sh[4026]" && !strings.HasPrefix(n["login"].(string), "login cloudsdk (uid 1000)") {
				t.Errorf("login of %s = %q", key, n["login"])
			}
			// The only root is the recorder: the snapshot holds it and
			// the scenario's parent, no other process of the machine.
			if n["depth"] == float64(0) && !strings.HasPrefix(key, "retrace[") {
				t.Errorf("%s is a root", key)
			}
		}
		for proc, want := range map[string]string{
			"sh[4026]":     "> bash > script > bash > script > podman > conmon > conmon > runc > runc > runc:[0:PARENT] > sh",
			"exe[4112]":    "> bash > podman > conmon > conmon > runc > runc > runc:[0:PARENT] > exe",
			"podman[4005]": "> bash > script > bash > script > podman",
		} {
			if !strings.HasSuffix(paths[proc], want) {
				t.Errorf("path of %s = %q, want it to end with %q", proc, paths[proc], want)
			}
		}
	})
}

// TestTimelineReportMax checks that --report-max bounds a view's table and
// page, says so, and leaves the line formats whole; and that a view written
// a line per finding creates no --out file when its options are wrong.
func TestTimelineReportMax(t *testing.T) {
	var caps []string
	for _, name := range []string{"reverse-shell", "persistence-host", "container-terminal-shell"} {
		caps = append(caps, filepath.Join(testutil.RepoRoot(), "testdata", "attacks", name+".scap.zst"))
	}
	all, _, err := runRetrace(t, append([]string{"timeline", "-q", "-o", "json"}, append(caps, "commands")...)...)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(all, []byte("\n"))
	if n <= 6 {
		t.Fatalf("%d commands; the test needs more than 6", n)
	}
	for _, tc := range []struct {
		format              string
		wantOut, wantStderr string
		wantLines           int // 0: not counted
	}{
		{"table", "the table shows the first 2,", "retrace: view commands holds its first 2 findings; 4 more are left out; 3 capture(s) reached the bound of 2 findings on their own", 0},
		{"html", `data-tab="detections">Findings <span class="n">6</span>`, "view commands holds its first 2 findings", 0},
		{"json", "", "", n},
		{"text", "", "", n},
	} {
		t.Run(tc.format, func(t *testing.T) {
			args := append([]string{"timeline", "-q", "-o", tc.format, "--report-max", "2"}, append(caps, "commands")...)
			out, stderr, err := runRetrace(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, []byte(tc.wantOut)) || !bytes.Contains(stderr, []byte(tc.wantStderr)) {
				t.Errorf("output lacks %q or stderr %q:\n%s\n%s", tc.wantOut, tc.wantStderr, out[max(0, len(out)-300):], stderr)
			}
			lines := 0
			for l := range strings.Lines(string(out)) {
				if !strings.HasPrefix(l, " ") { // provenance lines of text are indented
					lines++
				}
			}
			if tc.wantLines != 0 && lines != tc.wantLines {
				t.Errorf("%d lines, want every command's %d", lines, tc.wantLines)
			}
		})
	}
	out := filepath.Join(t.TempDir(), "out.json")
	if _, _, err := runRetrace(t, append([]string{"timeline", "-q", "-o", "json", "--path", "/x", "--out", out}, append(caps, "commands")...)...); err == nil || !strings.Contains(err.Error(), "--path applies to") {
		t.Errorf("--path with the commands view: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a run with wrong options left %s (%v)", out, err)
	}
}
