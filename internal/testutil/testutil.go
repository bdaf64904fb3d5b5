package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot returns the repository's top directory (the one holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns the ../shared reference directory beside the repository,
// or skips the test with a clear message when it is absent (a user's clone).
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("RETRACE_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Skipf("reference data not found at %s (set RETRACE_SHARED); skipping compatibility test", dir)
	}
	return dir
}

// SharedFile returns a path below SharedDir, skipping when the directory is absent.
func SharedFile(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{SharedDir(tb)}, elem...)...)
}

// NeedRoot skips the test unless it runs as root.
func NeedRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root; skipping")
	}
}

// NeedTool returns the path of an executable, or skips the test when it is
// not installed (make deps installs the ones the tests use).
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Skipf("%s not installed (run make deps as root); skipping", name)
	}
	return p
}

// Captures lists the .scap files of ../shared/captures, skipping when absent.
func Captures(tb testing.TB) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(SharedDir(tb), "captures", "*.scap"))
	if err != nil || len(m) == 0 {
		tb.Skip("no captures in ../shared/captures; skipping")
	}
	return m
}
