package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FileTree returns the files below dir, by slash path relative to it, with
// their bytes: what a test compares between two runs that write a tree.
func FileTree(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
