//go:build linux && amd64

package record

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestRecordOutOfSpace records onto a nearly full tmpfs: the recording
// fails once with the write's error, saying how many events (and bytes)
// the capture keeps, and the capture reads as truncated with exactly
// those events.
func TestRecordOutOfSpace(t *testing.T) {
	needBPF(t)
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		testutil.SkipMissing(t, "mount a small tmpfs: %v", err)
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	if err := os.WriteFile(filepath.Join(dir, "fill"), make([]byte, 1900<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	probeMu.Lock()
	defer probeMu.Unlock()
	opts := Options{Output: filepath.Join(dir, "full.scap.zst"), Snaplen: 80, OnlyCommand: true,
		Command: []string{"/bin/sh", "-c", "for i in $(seq 1 3000); do cat /etc/passwd > /dev/null; done"}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := Record(ctx, opts)
	if err == nil || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Record: %v, want ENOSPC", err)
	}
	msg := err.Error()
	if strings.Count(msg, "no space left on device") != 1 || strings.Contains(msg, "\n") {
		t.Errorf("error says it more than once:\n%s", msg)
	}
	m := regexp.MustCompile(`; the capture keeps the (\d+) events of the frames written before it \((\d+) bytes; retrace replay reads it as truncated\)$`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("error does not say what was saved: %s", msg)
	}
	saved, _ := strconv.ParseInt(m[1], 10, 64)
	r, err := capture.Open(opts.Output)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int64
	for {
		if _, err = r.Next(); err != nil {
			break
		}
		n++
	}
	var te *capture.TruncatedError
	if errors.Is(err, io.EOF) || !errors.As(err, &te) {
		t.Errorf("reading the capture ended with %v, want a truncation", err)
	}
	if n != saved || saved == 0 {
		t.Errorf("read %d events, the error says %d were saved", n, saved)
	}
	t.Log(msg)
}
