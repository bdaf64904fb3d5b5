package capture_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

const crashChildEnv = "RETRACE_CAPTURE_CRASH_CHILD"

// crashBaseTS is the timestamp of the child's first event; event i has
// timestamp crashBaseTS+i, so the parent can check that it got a prefix.
const crashBaseTS = 1_700_000_000_000_000_000

// crashChild writes events to path forever, in small frames, and reports on
// stdout how many events are in complete frames once a few frames are out.
func crashChild(path string) {
	w, err := capture.Create(path, capture.WriterOptions{FrameSize: 8 << 10, SyncInterval: -1,
		Metadata: &capture.Metadata{RecorderVersion: "crash-test"}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var ev []byte
	reported := false
	for i := 0; ; i++ {
		ev = scap.AppendEvent(ev[:0], crashBaseTS+uint64(i), 42, scap.SyscallWriteX,
			scap.EncInt64(5), []byte("hello"), scap.EncInt64(1), scap.EncUint32(5))
		if err := w.WriteEvent(uint16(i%2), 0, ev); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if st := w.Stats(); !reported && st.Frames >= 20 {
			fmt.Printf("ready %d\n", st.Flushed)
			reported = true
		}
	}
}

// TestCrashSafety re-executes the test binary as a writer, kills it with
// SIGKILL in the middle of writing, and checks that the reader returns every
// event of every complete frame, in order, and then a *TruncatedError.
func TestCrashSafety(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.scap.zst")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	written, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "ready ")))
	time.Sleep(20 * time.Millisecond) // let it write more frames and be mid-frame
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", err)
	}

	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n uint64
	for {
		ev, err := r.Next()
		if err == io.EOF {
			t.Fatal("reader reached a clean end in a file whose writer was killed")
		}
		var te *capture.TruncatedError
		if errors.As(err, &te) {
			if te.Events != int64(n) {
				t.Errorf("TruncatedError says %d events, reader returned %d", te.Events, n)
			}
			want := fmt.Sprintf("%s: truncated at offset %d (frame %d): %d events recovered", path, te.Offset, te.Frame, n)
			if err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			fi, _ := os.Stat(path)
			t.Logf("file of %d bytes: %v", fi.Size(), err)
			checkCompleteFrames(t, path, te.Offset, n)
			break
		}
		if err != nil {
			t.Fatalf("after %d events: %v", n, err)
		}
		if ev.Ts() != crashBaseTS+n {
			t.Fatalf("event %d has timestamp %d, want %d: events lost or reordered", n, ev.Ts(), crashBaseTS+n)
		}
		n++
	}
	if n < uint64(written) {
		t.Errorf("recovered %d events, the child had written %d in complete frames before the kill", n, written)
	}
	if st := r.Stats(); !st.Truncated || st.Frames < 20 {
		t.Errorf("stats %+v", st)
	}
}

// checkCompleteFrames decompresses the complete frames of path (the bytes
// before the truncation offset) with the zstd command, an independent
// decoder, and checks that they hold exactly the events the reader
// returned.
func checkCompleteFrames(t *testing.T, path string, offset int64, events uint64) {
	t.Helper()
	zstd, ok := testutil.OptionalTool(t, "zstd")
	if !ok {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(zstd, "-q", "-d", "-c")
	cmd.Stdin = bytes.NewReader(b[:offset])
	plain, err := cmd.Output()
	if err != nil {
		t.Fatalf("zstd -d of the complete frames: %v", err)
	}
	r, err := capture.NewReader(bytes.NewReader(plain), "complete frames")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n uint64
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("complete frames: %v", err)
		}
		n++
	}
	if n != events {
		t.Errorf("the complete frames hold %d events, the reader returned %d", n, events)
	}
}
