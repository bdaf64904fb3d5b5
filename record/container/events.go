package container

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Sighting is what a runtime's container event said about a container.
type Sighting struct {
	Name, Image string
	// Labels are the container's labels (the event's attributes, which
	// podman fills with them); nil when none.
	Labels map[string]string
}

// Watcher follows podman's container events (podman events), so that a
// container removed before [Inspect] could ask about it (podman run --rm
// of a short command) still has a name and an image. Safe for concurrent
// use; [Watcher.Close] stops it.
type Watcher struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the event stream has ended

	mu      sync.Mutex
	seen    map[string]Sighting // by full container id
	changed chan struct{}       // closed and replaced when seen grows
	err     error               // why the stream ended, once done
}

// WatchPodman starts following podman's container events from since on
// (events podman logged shortly before the call count, so that none is
// lost while podman starts). It returns [ErrNoRuntime] without podman.
func WatchPodman(since time.Time) (*Watcher, error) {
	path, err := exec.LookPath("podman")
	if err != nil {
		return nil, ErrNoRuntime
	}
	cmd := exec.Command(path, "events", "--format", "json", "--filter", "type=container",
		"--since", since.UTC().Format(time.RFC3339Nano))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("podman events: %w", err)
	}
	stderr := &limitedBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("podman events: %w", err)
	}
	w := &Watcher{cmd: cmd, done: make(chan struct{}), seen: map[string]Sighting{}, changed: make(chan struct{})}
	go w.follow(out, stderr)
	return w, nil
}

// follow reads the event stream until it ends, then reaps podman.
func (w *Watcher) follow(out io.Reader, stderr *limitedBuffer) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		id, s, ok := parseEvent(sc.Bytes())
		if !ok {
			continue
		}
		w.mu.Lock()
		if _, known := w.seen[id]; !known {
			w.seen[id] = s
			close(w.changed)
			w.changed = make(chan struct{})
		}
		w.mu.Unlock()
	}
	err := w.cmd.Wait()
	if err == nil {
		err = sc.Err()
	}
	w.mu.Lock()
	if err != nil {
		w.err = fmt.Errorf("podman events: %w: %s", err, strings.TrimSpace(stderr.String()))
	} else {
		w.err = errors.New("podman events: the stream ended")
	}
	w.mu.Unlock()
	close(w.done)
}

// eventJSON is the part of a podman event (--format json) retrace reads.
type eventJSON struct {
	ID    string `json:"ID"`
	Name  string `json:"Name"`
	Image string `json:"Image"`
	Type  string `json:"Type"`
	// Attributes are the container's labels on create and init events.
	Attributes map[string]string `json:"Attributes"`
}

// parseEvent reads one line of podman events --format json.
func parseEvent(line []byte) (id string, s Sighting, ok bool) {
	var e eventJSON
	if err := json.Unmarshal(line, &e); err != nil || e.ID == "" || e.Type != "container" || e.Name == "" && e.Image == "" {
		return "", Sighting{}, false
	}
	s = Sighting{Name: e.Name, Image: e.Image}
	if len(e.Attributes) > 0 {
		s.Labels = e.Attributes
	}
	return e.ID, s, true
}

// Lookup returns what the events said about the container with this full
// id so far.
func (w *Watcher) Lookup(id string) (Sighting, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.seen[id]
	return s, ok
}

// Wait returns what the events said about the container with this full
// id, waiting for its first event until ctx is done or the stream ends.
func (w *Watcher) Wait(ctx context.Context, id string) (Sighting, bool) {
	for {
		w.mu.Lock()
		s, ok := w.seen[id]
		changed := w.changed
		w.mu.Unlock()
		if ok {
			return s, true
		}
		select {
		case <-changed:
		case <-w.done:
			return w.Lookup(id)
		case <-ctx.Done():
			return Sighting{}, false
		}
	}
}

// Err returns why the event stream ended, nil while it runs.
func (w *Watcher) Err() error {
	select {
	case <-w.done:
	default:
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close stops following the events and waits for podman to exit.
func (w *Watcher) Close() error {
	select {
	case <-w.done:
	default:
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	return nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
