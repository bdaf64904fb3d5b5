package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/rules"
)

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.yaml", "a.yml", "c.txt", "10-x.yaml", "02-y.YAML"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("[]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "c.txt") // a file named explicitly is loaded whatever its name
	got, err := rules.ExpandPaths([]string{single, dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{single}
	for _, n := range []string{"02-y.YAML", "10-x.yaml", "a.yml", "b.yaml"} {
		want = append(want, filepath.Join(dir, n))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if _, err := rules.ExpandPaths([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Errorf("no error for a missing path")
	}
	_, err = rules.Load([]string{filepath.Join(dir, "missing.yaml")}, testOptions(t))
	if e := firstError(t, err); e.Code != rules.CodeReadFile {
		t.Errorf("missing file: code %s", e.Code)
	}
}
