package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCaptureArguments checks that replay, timeline, events and export
// take a pattern, a list file and a list on stdin as the same captures
// typed one by one, and that a pattern matching nothing is an error naming
// it.
func TestCaptureArguments(t *testing.T) {
	const dir = "../../testdata/attacks"
	files := []string{dir + "/shadow-read-container.scap.zst", dir + "/shadow-read-host.scap.zst"}
	list := filepath.Join(t.TempDir(), "captures.txt")
	if err := os.WriteFile(list, []byte("# the two shadow reads\n"+strings.Join(files, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (string, error) {
		root := newRootCmd()
		var o, e bytes.Buffer
		root.SetOut(&o)
		root.SetErr(&e)
		root.SetIn(strings.NewReader(stdin))
		root.SetArgs(args)
		err := root.ExecuteContext(context.Background())
		return o.String(), err
	}
	commands := map[string]func(captures ...string) []string{
		"replay": func(c ...string) []string { return append([]string{"replay", "-q", "-o", "json"}, c...) },
		"timeline": func(c ...string) []string {
			return append(append([]string{"timeline", "-q", "-o", "json"}, c...), "commands")
		},
		"events": func(c ...string) []string {
			return append(append([]string{"events"}, c...), "evt.type=openat", "and", "fd.name=/etc/shadow")
		},
	}
	for name, argv := range commands {
		t.Run(name, func(t *testing.T) {
			want, err := run("", argv(files...)...)
			if err != nil || want == "" {
				t.Fatalf("files one by one: %q, %v", want, err)
			}
			for _, tc := range []struct {
				how   string
				stdin string
				args  []string
			}{
				{"pattern", "", []string{dir + "/shadow-read-*.scap.zst"}},
				{"list file", "", []string{"@" + list}},
				{"stdin", strings.Join(files, "\n"), []string{"-"}},
			} {
				got, err := run(tc.stdin, argv(tc.args...)...)
				if err != nil {
					t.Fatalf("%s: %v", tc.how, err)
				}
				if got != want {
					t.Errorf("%s: output differs from the files one by one:\n%s\nwant:\n%s", tc.how, got, want)
				}
			}
			_, err = run("", argv(dir+"/nothing-*.scap.zst")...)
			if err == nil || !strings.Contains(err.Error(), `capture pattern "`+dir+`/nothing-*.scap.zst" matches no file`) {
				t.Errorf("pattern matching nothing: %v", err)
			}
		})
	}
	t.Run("export", func(t *testing.T) {
		a, b := t.TempDir(), t.TempDir()
		if _, err := run("", append([]string{"export", "-q", "-o", a}, files...)...); err != nil {
			t.Fatal(err)
		}
		if _, err := run(strings.Join(files, "\n"), "export", "-q", "-o", b, "-"); err != nil {
			t.Fatal(err)
		}
		if diff := diffTrees(t, a, b); diff != "" {
			t.Error(diff)
		}
	})
}

// diffTrees describes how the files below a and b differ ("" if not).
func diffTrees(t *testing.T, a, b string) string {
	t.Helper()
	read := func(root string) map[string]string {
		m := map[string]string{}
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			m[rel] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ma, mb := read(a), read(b)
	if len(ma) == 0 {
		return "no files written"
	}
	for k, v := range ma {
		if mb[k] != v {
			return "file " + k + " differs or is missing"
		}
	}
	if len(ma) != len(mb) {
		return "different file sets"
	}
	return ""
}
