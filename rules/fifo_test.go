package rules_test

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/rules"
)

// TestLoadFIFO loads a FIFO without a writer as a rules file: the load
// must not block in open(2) and must name the file and what it is.
func TestLoadFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rules.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rules.Load([]string{fifo}, largeOptions())
		done <- err
	}()
	select {
	case err := <-done:
		checkSizeError(t, err, fifo, "not a rules file: a named pipe (FIFO)")
	case <-time.After(10 * time.Second):
		t.Fatal("loading a FIFO without a writer blocked")
	}
}
