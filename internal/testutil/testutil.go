package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run in CI (the environment variable CI is
// "true", as .ci/run and CI services set it).
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipMissing skips the test because something it needs from the machine is
// missing: root, a tool, a kernel feature (BPF, BTF, overlayfs), podman, or
// the ../shared reference data. In CI it fails the test instead, so that a
// broken install step cannot pass as green. Skips for other reasons (-short,
// a flag that regenerates test data) call Skip directly.
func SkipMissing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("%s (in CI a missing requirement fails the test)", msg)
		return
	}
	tb.Skip(msg + "; skipping")
}

// RepoRoot returns the repository's top directory (the one holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns the ../shared reference directory beside the repository
// (or $RETRACE_SHARED), or skips the test with a clear message when it is
// absent (a user's clone); see [SkipMissing].
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("RETRACE_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		SkipMissing(tb, "reference data not found at %s (set RETRACE_SHARED)", dir)
	}
	return dir
}

// SharedFile returns a path below SharedDir, skipping when the directory is absent.
func SharedFile(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{SharedDir(tb)}, elem...)...)
}

// NeedRoot skips the test unless it runs as root; see [SkipMissing].
func NeedRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		SkipMissing(tb, "needs root")
	}
}

// NeedTool returns the path of an executable, or skips the test when it is
// not installed (make deps installs the ones the tests use); see
// [SkipMissing].
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipMissing(tb, "%s not installed (run make deps as root)", name)
	}
	return p
}

// OptionalTool returns the path of an executable a test uses for an extra
// cross-check, and whether it is installed. Outside CI a missing tool is
// logged and the test goes on without the check; in CI it fails the test.
func OptionalTool(tb testing.TB, name string) (string, bool) {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p, true
	}
	msg := fmt.Sprintf("%s not installed (run make deps as root)", name)
	if InCI() {
		tb.Fatalf("%s (in CI a missing requirement fails the test)", msg)
		return "", false
	}
	tb.Logf("%s; cross-check skipped", msg)
	return "", false
}

// Captures lists the .scap files of ../shared/captures, skipping when absent
// (see [SkipMissing]).
func Captures(tb testing.TB) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(SharedDir(tb), "captures", "*.scap"))
	if err != nil || len(m) == 0 {
		SkipMissing(tb, "no captures in %s", filepath.Join(SharedDir(tb), "captures"))
	}
	return m
}
