package rules_test

import (
	"os"
	"path/filepath"
	"strings"
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

// TestExpandPathsSymlinks checks that a directory's symlinks to rule files
// are followed (Kubernetes mounts ConfigMaps so), that a symlink loop and
// a directory without rule files are errors naming the directory.
func TestExpandPathsSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []string
		wantErr string
	}{
		{name: "symlink to a file", setup: func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "data.yaml")
			mustWrite(t, target)
			mustSymlink(t, target, filepath.Join(dir, "rules.yaml"))
		}, want: []string{"rules.yaml"}},
		{name: "symlink loop", setup: func(t *testing.T, dir string) {
			mustSymlink(t, filepath.Join(dir, "b.yaml"), filepath.Join(dir, "a.yaml"))
			mustSymlink(t, filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml"))
		}, wantErr: "too many levels of symbolic links"},
		{name: "empty directory", setup: func(t *testing.T, dir string) {}, wantErr: "no .yaml or .yml files in it"},
		{name: "only other files", setup: func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "notes.txt")) },
			wantErr: "no .yaml or .yml files in it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			got, err := rules.ExpandPaths([]string{dir})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, dir, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range tc.want {
				want = append(want, filepath.Join(dir, n))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

func mustWrite(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("[]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
