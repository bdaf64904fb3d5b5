package main

import (
	"bytes"
	"context"
	"encoding/json"
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
