package testutil

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// update is the -update flag of every test binary that links testutil: a
// flag registered twice panics, so packages use [Update] instead of their
// own.
var update = flag.Bool("update", false, "rewrite the golden files (and generated sections) the tests compare with")

// Update reports whether the tests run with -update, which asks them to
// rewrite their golden files from what they produce now. Tests that
// regenerate other data with it (fuzz seeds, documentation sections) call
// it; golden files go through [Golden].
func Update() bool { return *update }

// Golden returns the content of the golden file at path, to compare with
// got as the test sees fit. With -update it first writes got to path,
// creating the directory; a missing file fails the test with a note to run
// go test -update.
func Golden(tb testing.TB, path string, got []byte) []byte {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("write golden file: %v", err)
			return nil
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatalf("write golden file: %v", err)
			return nil
		}
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("read golden file: %v (run go test -update to create it)", err)
		return nil
	}
	if err != nil {
		tb.Fatalf("read golden file: %v", err)
		return nil
	}
	return want
}
