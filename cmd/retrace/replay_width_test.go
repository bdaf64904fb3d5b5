package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/progress"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// openPTY opens a pseudo-terminal of the given size and returns its
// terminal end.
func openPTY(t *testing.T, cols, rows uint16) *os.File {
	t.Helper()
	_, tty := openPTYPair(t, cols, rows)
	return tty
}

// openPTYPair opens a pseudo-terminal of the given size and returns its
// master end (what the terminal shows is read there) and terminal end.
func openPTYPair(t *testing.T, cols, rows uint16) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testutil.SkipMissing(t, "no pseudo-terminals here: %v", err)
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
	tty, err = os.OpenFile(filepath.Join("/dev/pts", strconv.Itoa(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testutil.SkipMissing(t, "open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: rows}); err != nil {
		t.Fatalf("set pty size: %v", err)
	}
	return master, tty
}

// TestFilterLinesEscapedOnTerminal checks that -F lines printed to a
// terminal show control characters from the capture as escapes, and that
// the same lines written to a file keep the bytes, as sysdig prints them.
func TestFilterLinesEscapedOnTerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "esc.scap.zst")
	w, err := capture.Create(path, capture.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(&capture.Header{}); err != nil {
		t.Fatal(err)
	}
	ev := scap.AppendEvent(nil, 1e18, 7, scap.SyscallOpenX, scap.EncInt64(3), scap.EncString("/tmp/\x1b]0;owned\x07\x1b[2J"),
		scap.EncUint32(1), scap.EncUint32(0), scap.EncUint32(0), scap.EncUint64(0))
	if err := w.WriteEvent(0, 0, ev); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	args := []string{"replay", "-q", "-F", "evt.type=open", "--format", "%fd.name", path}
	master, tty := openPTYPair(t, 120, 40)
	root := newRootCmd()
	root.SetOut(tty)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if err := master.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		testutil.SkipMissing(t, "no read deadline on the pty: %v", err)
	}
	buf := make([]byte, 4096)
	n, err := master.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(buf[:n])), `/tmp/\x1b]0;owned\a\x1b[2J`; got != want {
		t.Errorf("terminal shows %q, want %q", got, want)
	}
	out, _, err := runRetrace(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "/tmp/\x1b]0;owned\x07\x1b[2J\n"; got != want {
		t.Errorf("a pipe gets %q, want the bytes %q", got, want)
	}
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
			if got := progress.TerminalWidth(tc.w(t)); got != tc.want {
				t.Errorf("terminalWidth = %d, want %d", got, tc.want)
			}
		})
	}
}
