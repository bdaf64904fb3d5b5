//go:build linux && amd64

package record

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// memfdChildEnv makes the test binary copy /bin/sh into a memfd and exec it
// (as runc does with its cloned binary); the shell then runs a copy of
// /bin/true that it deleted after opening it, through /proc/self/fd. The
// variable's value is the directory for that copy.
const memfdChildEnv = "RETRACE_TEST_MEMFD_CHILD"

// memfdName is the memfd's name: runc's, which upstream exceptions name.
const memfdName = "runc_cloned:/proc/self/exe"

func memfdChild(dir string) {
	die := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
	sh, err := os.ReadFile("/bin/sh")
	if err != nil {
		die("read /bin/sh", err)
	}
	fd, err := unix.MemfdCreate(memfdName, 0)
	if err != nil {
		die("memfd_create", err)
	}
	if _, err := unix.Write(fd, sh); err != nil {
		die("write memfd", err)
	}
	deleted := filepath.Join(dir, "deleted-true")
	script := fmt.Sprintf("cp /bin/true %[1]s && exec 7<%[1]s && rm %[1]s && exec /proc/self/fd/7", deleted)
	err = unix.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), []string{"sh", "-c", script}, os.Environ())
	die("exec memfd", err)
}

// TestRecordMemfdAndDeletedExe checks the executable paths of an exec from a
// memfd (memfd:NAME, with EXE_FROM_MEMFD) and of a deleted file (its path,
// without " (deleted)"), as libs' modern BPF driver writes them, in the
// events and in the replayed proc.exepath.
func TestRecordMemfdAndDeletedExe(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(memfdChildEnv, dir)
	c := recordRun(t, Options{OnlyCommand: true}, os.Args[0], "-test.run=^$")
	const exeFromMemfd = 1 << 2
	deleted := filepath.Join(dir, "deleted-true")
	var sawMemfd, sawDeleted bool
	for _, e := range c.find("execve", true, func(e event) bool { return e.int("res") == 0 }) {
		switch p := e.str("trusted_exepath"); {
		case strings.HasPrefix(p, "memfd:") || e.list("args") != nil && e.list("args")[0] == "-c":
			sawMemfd = true
			if p != "memfd:"+memfdName {
				t.Errorf("exec from the memfd: trusted_exepath %q, want %q", p, "memfd:"+memfdName)
			}
			if e.uint("flags")&exeFromMemfd == 0 {
				t.Errorf("exec from the memfd: flags %#x lack EXE_FROM_MEMFD", e.uint("flags"))
			}
		case strings.HasPrefix(p, dir) || e.str("filename") == "/proc/self/fd/7":
			sawDeleted = true
			if p != deleted {
				t.Errorf("exec of a deleted file: trusted_exepath %q, want %q", p, deleted)
			}
		}
	}
	if !sawMemfd || !sawDeleted {
		t.Fatalf("exec from the memfd seen %v, of the deleted file %v", sawMemfd, sawDeleted)
	}
	got := replayFields(t, c.path, "evt.type = execve and evt.dir = < and evt.res = SUCCESS", []string{"proc.exepath"})
	for _, want := range []string{"memfd:" + memfdName, deleted} {
		if !slices.Contains(got, want) {
			t.Errorf("no exec with proc.exepath %s among the replayed execs %q", want, got)
		}
	}
	if slices.Contains(got, "/") {
		t.Errorf("a replayed exec has proc.exepath \"/\": %q", got)
	}
}
