package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// OpenCheckpointSink opens where checkpoint lines go while recording
// (WriterOptions.Checkpoints): a file, appended to, or an http:// or
// https:// URL that receives each line in a POST request. A URL sink never
// blocks the writer: lines wait in a queue of up to 1024 for a background
// goroutine that sends them in order, each with a 10 s timeout; a line it
// cannot send or queue is an error that Close returns. Close waits up to
// 10 s for the queue to drain.
func OpenCheckpointSink(target string) (io.WriteCloser, error) {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		s := &httpSink{url: target, lines: make(chan []byte, 1024), done: make(chan struct{}), client: &http.Client{Timeout: 10 * time.Second}}
		go s.run()
		return s, nil
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint sink: %w", err)
	}
	return &fileSink{f: f}, nil
}

// fileSink appends lines to a file and syncs after each, so that a line
// is on disk (possibly another host's, over a network file system) before
// the recording goes on.
type fileSink struct{ f *os.File }

func (s *fileSink) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err == nil {
		err = s.f.Sync()
	}
	return n, err
}

func (s *fileSink) Close() error { return s.f.Close() }

type httpSink struct {
	url    string
	client *http.Client
	lines  chan []byte
	done   chan struct{}
	mu     sync.Mutex
	err    error
	closed bool
}

func (s *httpSink) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *httpSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	select {
	case s.lines <- bytes.Clone(p):
		return len(p), nil
	default:
		err := fmt.Errorf("checkpoint sink %s: queue full", s.url)
		if s.err == nil {
			s.err = err
		}
		return 0, err
	}
}

func (s *httpSink) run() {
	defer close(s.done)
	for line := range s.lines {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url, bytes.NewReader(line))
		if err != nil {
			s.fail(err)
			continue
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.client.Do(req)
		if err != nil {
			s.fail(fmt.Errorf("checkpoint sink: %w", err))
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			s.fail(fmt.Errorf("checkpoint sink %s: %s", s.url, resp.Status))
		}
	}
}

func (s *httpSink) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.lines)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.fail(errors.New("checkpoint sink: lines still queued after 10 s"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
