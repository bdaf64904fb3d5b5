package suite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/replay/report"
)

func TestUpdate(t *testing.T) {
	path := filepath.Join("testdata", "update-input.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data, path, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	shell := det(10, "Shell", "Notice", 10, "sh -c id", nil)
	read := det(30, "Read", "Warning", 12, "cat /etc/shadow", map[string]any{"fd.name": "/etc/shadow"})
	noise := det(40, "Noise", "Debug", 13, "runc init", map[string]any{"fd.name": nil})
	got := map[string][]report.Detection{
		"counts":             {shell, shell, noise},
		"alerts":             {shell, read, noise},
		"fresh":              {read, noise},
		"nothing fired":      nil,
		"absent and partial": {shell, read, noise},
	}
	results := make([]Result, len(s.Cases))
	for i, c := range s.Cases {
		results[i] = Result{Case: c, Detections: got[c.Name], Diff: Compare(c, got[c.Name])}
	}
	out, err := s.Update(results)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "update-output.yaml", string(out))

	// The rewritten suite passes with the same detections, except where an
	// absent rule fired (Update does not bless it), and is stable.
	s2, err := Parse(out, path, ParseOptions{})
	if err != nil {
		t.Fatalf("parse updated suite: %v", err)
	}
	for i, c := range s2.Cases {
		d := Compare(c, got[c.Name])
		wantPass := c.Name != "absent and partial" && c.Skip == ""
		if c.Skip != "" {
			continue
		}
		if d.Empty() != wantPass {
			t.Errorf("case %q after update: pass=%v, want %v\n%s", c.Name, d.Empty(), wantPass, FormatDiff(&d))
		}
		results[i] = Result{Case: c, Detections: got[c.Name]}
	}
	again, err := s2.Update(results)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Errorf("a second update changed the suite:\n%s", again)
	}
}
