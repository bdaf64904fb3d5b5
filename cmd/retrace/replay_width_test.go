package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of the given size and returns its
// terminal end.
func openPTY(t *testing.T, cols, rows uint16) *os.File {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("get pty number: %v", err)
	}
	tty, err := os.OpenFile(filepath.Join("/dev/pts", strconv.Itoa(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: rows}); err != nil {
		t.Fatalf("set pty size: %v", err)
	}
	return tty
}

func TestTerminalWidth(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name string
		w    func(t *testing.T) io.Writer
		want int
	}{
		{"buffer", func(*testing.T) io.Writer { return &bytes.Buffer{} }, 0},
		{"regular file", func(*testing.T) io.Writer { return file }, 0},
		{"terminal of 173 columns", func(t *testing.T) io.Writer { return openPTY(t, 173, 40) }, 173},
		{"terminal of unknown size", func(t *testing.T) io.Writer { return openPTY(t, 0, 0) }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := terminalWidth(tc.w(t)); got != tc.want {
				t.Errorf("terminalWidth = %d, want %d", got, tc.want)
			}
		})
	}
}
