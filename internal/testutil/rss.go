package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PeakRSS returns this process's peak resident set size in KiB (VmHWM of
// /proc/self/status).
func PeakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// peakRSSFileEnv names, in a child's environment, the file where
// [ReportPeakRSS] writes the child's peak RSS.
const peakRSSFileEnv = "RETRACE_TEST_PEAK_RSS_FILE"

// ReportPeakRSS writes this process's peak RSS to the file that
// [MeasurePeakRSS] named in its environment, if any. A test binary run as a
// child calls it just before it exits.
func ReportPeakRSS() {
	path := os.Getenv(peakRSSFileEnv)
	if path == "" {
		return
	}
	kib, err := PeakRSS()
	if err != nil {
		fmt.Fprintf(os.Stderr, "peak RSS: %v\n", err)
		return
	}
	if err := os.WriteFile(path, strconv.AppendInt(nil, kib, 10), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "peak RSS: %v\n", err)
	}
}

// MeasurePeakRSS makes cmd, a child that calls [ReportPeakRSS] before it
// exits, report its own peak RSS, and returns the function that reads it
// once cmd has ended; that function fails tb when the child reported
// none.
//
// The child's rusage cannot serve: Go starts children with vfork, and
// at execve Linux keeps the peak of the memory the child shared with its
// parent, so a child's ru_maxrss is never below the test process's own
// peak, and it follows what the test did before (generating input)
// rather than what the child does.
func MeasurePeakRSS(tb testing.TB, cmd *exec.Cmd) func() int64 {
	tb.Helper()
	f, err := os.CreateTemp(tb.TempDir(), "peak-rss-*")
	if err != nil {
		tb.Fatal(err)
	}
	f.Close()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, peakRSSFileEnv+"="+f.Name())
	return func() int64 {
		tb.Helper()
		b, err := os.ReadFile(f.Name())
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("%s: empty (did %s call ReportPeakRSS?)", f.Name(), filepath.Base(cmd.Path))
		}
		kib, perr := strconv.ParseInt(string(b), 10, 64)
		if err == nil && perr != nil {
			err = perr
		}
		if err != nil {
			tb.Fatalf("child's peak RSS: %v", err)
		}
		return kib
	}
}
