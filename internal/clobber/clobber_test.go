package clobber

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	capture := filepath.Join(dir, "trace.scap.zst")
	rules := filepath.Join(dir, "rules.yaml")
	for _, p := range []string{capture, rules} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link.scap.zst")
	if err := os.Symlink(capture, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.yaml")
	if err := os.Link(rules, hard); err != nil {
		t.Fatal(err)
	}
	inputs := append(Paths("capture", capture), Paths("rules file", rules)...)
	tests := []struct {
		name    string
		outputs []Path
		want    string // "" for no error
	}{
		{"new file", Paths("--out", filepath.Join(dir, "report.txt")), ""},
		{"no output", Paths("--out", ""), ""},
		{"same path", Paths("--out", capture),
			"--out " + capture + " is the capture " + capture + " (the same file): refusing to overwrite an input; write the output elsewhere"},
		{"unclean path", Paths("--out", dir+"/./trace.scap.zst"),
			"--out " + dir + "/./trace.scap.zst is the capture " + capture + " (the same file): refusing to overwrite an input; write the output elsewhere"},
		{"symlink", Paths("--out", link),
			"--out " + link + " is the capture " + capture + " (the same file, through a symlink or hard link): refusing to overwrite an input; write the output elsewhere"},
		{"hard link to a rules file", Paths("-o", hard),
			"-o " + hard + " is the rules file " + rules + " (the same file, through a symlink or hard link): refusing to overwrite an input; write the output elsewhere"},
		{"two outputs, new file", []Path{{"--out", dir + "/a.txt"}, {"-w", dir + "/a.txt"}},
			"-w " + dir + "/a.txt and --out " + dir + "/a.txt are the same file: name two different files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.outputs, inputs)
			got := ""
			if err != nil {
				got = err.Error()
				var ce *Error
				if !errors.As(err, &ce) {
					t.Errorf("error %T, want *Error", err)
				}
			}
			if got != tc.want {
				t.Errorf("Check:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestCheckMissingInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.scap")
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Check(Paths("-o", out), Paths("capture", filepath.Join(dir, "missing.scap"))); err != nil {
		t.Errorf("Check: %v, want nil (the missing input is the command's to report)", err)
	}
}
