package testutil

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main runs the package's tests and exits with their status, as a TestMain
// that calls it:
//
//	func TestMain(m *testing.M) { testutil.Main(m) }
//
// When the tests pass, the run fails if they left goroutines running
// (go.uber.org/goleak) or file descriptors open (/proc/self/fd) that were
// not there before them. Fuzzing runs (-test.fuzz) are not checked.
func Main(m *testing.M) {
	ignore := goleak.IgnoreCurrent()
	before := openFDs()
	code := m.Run()
	if code == 0 && !fuzzing() {
		if err := goleak.Find(ignore); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: the tests leaked goroutines: %v\n", err)
			code = 1
		}
		if leaked := leakedFDs(before); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: the tests leaked file descriptors:\n\t%s\n", strings.Join(leaked, "\n\t"))
			code = 1
		}
	}
	os.Exit(code)
}

// fuzzing reports whether the test binary runs a fuzz target (the fuzzing
// engine keeps its own goroutines and files).
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// runtimeFD matches the descriptors the Go runtime opens for itself on
// first use (the network poller's epoll and wake-up eventfd).
func runtimeFD(target string) bool {
	return target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]"
}

// profileFD reports whether target is the output of a profile the test
// binary writes after the tests (-test.cpuprofile, -test.trace, ...).
func profileFD(target string) bool {
	for _, name := range []string{"test.cpuprofile", "test.memprofile", "test.blockprofile", "test.mutexprofile", "test.trace"} {
		f := flag.Lookup(name)
		if f == nil || f.Value.String() == "" {
			continue
		}
		p := f.Value.String()
		if d := flag.Lookup("test.outputdir"); d != nil && d.Value.String() != "" && !filepath.IsAbs(p) {
			p = filepath.Join(d.Value.String(), p)
		}
		if abs, err := filepath.Abs(p); err == nil && abs == target {
			return true
		}
	}
	return false
}

// leakedFDs returns "fd -> target" for each descriptor open now that was
// not open (to the same target) before, waiting up to a second for
// descriptors that goroutines are still closing.
func leakedFDs(before map[int]string) []string {
	var leaked []string
	for deadline := time.Now().Add(time.Second); ; time.Sleep(50 * time.Millisecond) {
		leaked = leaked[:0]
		for fd, target := range openFDs() {
			if prev, ok := before[fd]; (ok && prev == target) || runtimeFD(target) || profileFD(target) {
				continue
			}
			leaked = append(leaked, strconv.Itoa(fd)+" -> "+target)
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
	}
	slices.Sort(leaked)
	return leaked
}

// openFDs returns the process's open file descriptors and what they refer
// to, leaving out the one that reads the list. It is empty where /proc is
// not mounted.
func openFDs() map[int]string {
	const dir = "/proc/self/fd"
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil
	}
	fds := make(map[int]string, len(names))
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || uintptr(fd) == f.Fd() {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, n))
		if err != nil {
			continue // closed meanwhile
		}
		fds[fd] = target
	}
	return fds
}
