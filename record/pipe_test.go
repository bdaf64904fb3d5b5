//go:build linux && amd64

package record

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pipeChildEnv makes the test binary create two pipes (pipe, then pipe2
// with O_CLOEXEC|O_NONBLOCK) and print "fd1 fd2 ino" for each.
const pipeChildEnv = "RETRACE_TEST_PIPE_CHILD"

func pipeChild() {
	var fds [2]int32
	if _, _, e := unix.RawSyscall(unix.SYS_PIPE, uintptr(unsafe.Pointer(&fds)), 0, 0); e != 0 {
		fmt.Fprintln(os.Stderr, "pipe:", e)
		os.Exit(1)
	}
	report(fds)
	if _, _, e := unix.RawSyscall(unix.SYS_PIPE2, uintptr(unsafe.Pointer(&fds)), unix.O_CLOEXEC|unix.O_NONBLOCK, 0); e != 0 {
		fmt.Fprintln(os.Stderr, "pipe2:", e)
		os.Exit(1)
	}
	report(fds)
	os.Exit(0)
}

func report(fds [2]int32) {
	var st unix.Stat_t
	if err := unix.Fstat(int(fds[0]), &st); err != nil {
		fmt.Fprintln(os.Stderr, "fstat:", err)
		os.Exit(1)
	}
	fmt.Printf("%d %d %d\n", fds[0], fds[1], st.Ino)
}

// PPM_O_* bits of pipe2's flags.
const (
	ppmONonblock = 1 << 6
	ppmOCloexec  = 1 << 12
)

func TestRecordPipes(t *testing.T) {
	var out bytes.Buffer
	t.Setenv(pipeChildEnv, "1")
	c := recordRun(t, Options{CommandStdout: &out}, os.Args[0], "-test.run=^$")
	var want [2][3]int64
	if n, err := fmt.Sscanf(out.String(), "%d %d %d\n%d %d %d\n",
		&want[0][0], &want[0][1], &want[0][2], &want[1][0], &want[1][1], &want[1][2]); err != nil || n != 6 {
		t.Fatalf("child output %q: %v", out.String(), err)
	}
	for i, name := range []string{"pipe", "pipe2"} {
		t.Run(name, func(t *testing.T) {
			evs := c.find(name, true, func(e event) bool {
				return e.int("fd1") == want[i][0] && e.int("fd2") == want[i][1] && e.int("ino") == want[i][2]
			})
			if len(evs) != 1 {
				t.Fatalf("%s exits with fds %d, %d and inode %d: %d, want 1", name, want[i][0], want[i][1], want[i][2], len(evs))
			}
			if res := evs[0].int("res"); res != 0 {
				t.Errorf("res = %d", res)
			}
			if name == "pipe2" {
				if f := evs[0].uint("flags"); f != ppmOCloexec|ppmONonblock {
					t.Errorf("pipe2 flags %#x, want O_CLOEXEC|O_NONBLOCK (%#x)", f, ppmOCloexec|ppmONonblock)
				}
			}
		})
	}
}
