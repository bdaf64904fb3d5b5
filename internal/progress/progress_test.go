package progress

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the drawing goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStartDrawsAndErases(t *testing.T) {
	var read atomic.Int64
	read.Store(512 << 10)
	var buf syncBuffer
	stop := Start(&buf, func() (int64, int64) { return read.Load(), 1 << 20 }, Options{Label: "f.scap", Tick: time.Millisecond})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "50%") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	out := buf.String()
	for _, want := range []string{"f.scap", "50%", "512 KiB", "1.0 MiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\r") {
		t.Errorf("bar not erased at the end: %q", out[max(len(out)-40, 0):])
	}
}

func TestStartDelayDrawsNothingForQuickWork(t *testing.T) {
	var buf syncBuffer
	stop := Start(&buf, func() (int64, int64) { return 1, 2 }, Options{Delay: time.Hour, Tick: time.Millisecond})
	time.Sleep(20 * time.Millisecond)
	stop()
	if buf.String() != "" {
		t.Errorf("drew %q before the delay", buf.String())
	}
}

func TestLine(t *testing.T) {
	var buf bytes.Buffer
	l := NewLine(&buf)
	l.Clear()
	if buf.Len() != 0 {
		t.Errorf("Clear of an undrawn line wrote %q", buf.String())
	}
	l.Set("12 events/s")
	l.Set("13 events/s")
	l.Clear()
	if want := "\r12 events/s\x1b[K\r13 events/s\x1b[K\r\x1b[K"; buf.String() != want {
		t.Errorf("line wrote %q, want %q", buf.String(), want)
	}
}
