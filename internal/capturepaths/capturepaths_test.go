package capturepaths_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/capturepaths"
)

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestExpand checks files, directories, symlinks (followed, loops an
// error) and directories without captures (an error naming them).
func TestExpand(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []string
		wantErr string
	}{
		{name: "regular files", setup: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "a.scap"))
			write(t, filepath.Join(dir, "b.scap.zst"))
			write(t, filepath.Join(dir, "notes.txt"))
		}, want: []string{"a.scap", "b.scap.zst"}},
		{name: "symlink to a capture", setup: func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "real.scap")
			write(t, target)
			link(t, target, filepath.Join(dir, "c.scap"))
		}, want: []string{"c.scap"}},
		{name: "symlink to a directory is not a capture", setup: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "a.scap"))
			link(t, t.TempDir(), filepath.Join(dir, "d.scap"))
		}, want: []string{"a.scap"}},
		{name: "symlink loop", setup: func(t *testing.T, dir string) {
			link(t, filepath.Join(dir, "y.scap"), filepath.Join(dir, "x.scap"))
			link(t, filepath.Join(dir, "x.scap"), filepath.Join(dir, "y.scap"))
		}, wantErr: "too many levels of symbolic links"},
		{name: "empty directory", setup: func(t *testing.T, dir string) {}, wantErr: "no .scap, .scap.gz or .scap.zst files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			got, err := capturepaths.Expand([]string{dir})
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
