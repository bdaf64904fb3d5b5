//go:build linux && amd64

package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// crashChildEnv makes the test binary act as a recorder to be killed.
const crashChildEnv = "RETRACE_TEST_RECORD_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(pipeChildEnv) != "" {
		pipeChild()
	}
	if os.Getenv(netChildEnv) != "" {
		netChild()
	}
	if os.Getenv(uffdChildEnv) != "" {
		uffdChild()
	}
	if os.Getenv(pidfdChildEnv) != "" {
		pidfdChild()
	}
	if dir := os.Getenv(memfdChildEnv); dir != "" {
		memfdChild(dir)
	}
	if out := os.Getenv(rotateChildEnv); out != "" {
		rotateChild(out)
	}
	if out := os.Getenv(dropChildEnv); out != "" {
		dropChild(out)
	}
	if out := os.Getenv(crashChildEnv); out != "" {
		_, err := Record(context.Background(), Options{
			Output:      out,
			Snaplen:     80,
			OnlyCommand: true, // never the other engineers' processes
			Command:     []string{"/bin/sh", "-c", "while :; do cat /etc/hostname > /dev/null; done"},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The tests must not leave goroutines or file descriptors behind.
	testutil.Main(m)
}

func TestRecordSurvivesSIGKILL(t *testing.T) {
	needBPF(t)
	probeMu.Lock()
	defer probeMu.Unlock()
	out := filepath.Join(t.TempDir(), "killed.scap.zst")
	kill := startChild(t, crashChildEnv, out, "event frame", func() bool {
		st, err := os.Stat(out)
		return err == nil && st.Size() > 64<<10
	})
	time.Sleep(1500 * time.Millisecond)
	kill()

	r, err := capture.Open(out)
	if err != nil {
		t.Fatalf("open killed capture: %v", err)
	}
	defer r.Close()
	var n int
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		var te *capture.TruncatedError
		if errors.As(err, &te) {
			t.Logf("capture ends early as expected: %v", err)
			break
		}
		if err != nil {
			t.Fatalf("read killed capture after %d events: %v", n, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no events recovered from the killed recording")
	}
	if len(r.Header().Processes) == 0 {
		t.Error("killed capture has no process snapshot")
	}
	t.Logf("recovered %d events", n)
}
