//go:build linux && amd64

package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
	rcontainer "github.com/retrace-dev/retrace/record/container"
)

const testCtrID = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"

var testMatch = container.Match{ID: testCtrID[:12], FullID: testCtrID, Type: container.TypePodman}

// containerTestSession is a session whose container lookups are inspect,
// with a short hold and backoff, writing nowhere; log gets its warnings.
func containerTestSession(t *testing.T, inspect func(context.Context, container.Match) (*container.Info, error), hold time.Duration) (*session, *bytes.Buffer) {
	t.Helper()
	w, err := capture.NewWriter(io.Discard, "t.scap.zst", capture.WriterOptions{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	r := newContainerResolver(time.Now(), rcontainer.Runtimes{})
	r.inspect, r.watch, r.hold, r.backoff = inspect, nil, hold, time.Millisecond
	s := &session{w: w, log: log, win: newReorderWindow(100, 1<<20), tids: map[int64]string{},
		ctrs: map[string]*containerState{}, pending: map[string]*containerState{}, resolver: r}
	t.Cleanup(func() {
		r.close()
		w.Close()
	})
	return s, log
}

// written is one event the window released: a container event's
// container, or another event's timestamp.
type written struct {
	ts   uint64
	info *container.Info
}

// release runs the event loop's hold and release and returns what came
// out.
func (s *session) releaseForTest(t *testing.T, flush bool) []written {
	t.Helper()
	var out []written
	s.holdContainers()
	err := s.win.release(1<<62, flush, func(cpu uint16, raw []byte) error {
		var ev scap.Event
		if err := ev.Decode(raw, false); err != nil {
			return err
		}
		w := written{ts: ev.Ts()}
		if info, ok := container.FromEvent(&ev); ok {
			w.info = info
		}
		out = append(out, w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func closeEvent(ts uint64) []byte {
	return scap.AppendEvent(nil, ts, 42, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3))
}

func webInfo(m container.Match) *container.Info {
	return &container.Info{ID: m.ID, FullID: m.FullID, Type: m.Type, Name: "web", Image: "nginx:1.25", ImageRepo: "nginx", ImageTag: "1.25", PrivilegedKnown: true}
}

func TestContainerEventBeforeItsEvents(t *testing.T) {
	s, _ := containerTestSession(t, func(ctx context.Context, m container.Match) (*container.Info, error) {
		time.Sleep(20 * time.Millisecond)
		return webInfo(m), nil
	}, time.Minute)
	s.seeContainer(testMatch, 999)
	s.win.push(0, 1000, closeEvent(1000))
	s.win.push(0, 1001, closeEvent(1001))
	if got := s.releaseForTest(t, false); len(got) != 0 {
		t.Fatalf("released %d events while the lookup runs, want none", len(got))
	}
	s.finishContainer(<-s.resolver.results)
	got := s.releaseForTest(t, true)
	want := []written{{999, webInfo(testMatch)}, {1000, nil}, {1001, nil}}
	want[0].info.Finish()
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(written{})); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
}

func TestContainerLookupOutlastingTheHold(t *testing.T) {
	answer := make(chan struct{})
	s, _ := containerTestSession(t, func(ctx context.Context, m container.Match) (*container.Info, error) {
		<-answer
		return webInfo(m), nil
	}, 10*time.Millisecond)
	s.seeContainer(testMatch, 999)
	s.win.push(0, 1000, closeEvent(1000))
	time.Sleep(20 * time.Millisecond)
	got := s.releaseForTest(t, false)
	close(answer)
	s.finishContainer(<-s.resolver.results)
	got = append(got, s.releaseForTest(t, true)...)
	bare := &container.Info{ID: testMatch.ID, FullID: testCtrID, Type: container.TypePodman}
	full := webInfo(testMatch)
	full.Finish()
	want := []written{{999, bare}, {1000, nil}, {1000, full}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(written{})); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
}

func TestContainerLookupRetries(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		wantAttempts int32
		wantLog      string
	}{
		{"runtime error: retried, stderr logged", &rcontainer.InspectError{Runtime: "podman", ID: testCtrID, Stderr: "Error: database is locked", Err: errors.New("exit status 125")},
			lookupAttempts, "retrace record: container 697956520d89: podman inspect 697956520d89: exit status 125: Error: database is locked (gave up after 5 attempts)\n"},
		{"no runtime CLI: not retried", rcontainer.ErrNoRuntime,
			1, "retrace record: container 697956520d89: container runtime CLI not found\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var attempts atomic.Int32
			s, log := containerTestSession(t, func(ctx context.Context, m container.Match) (*container.Info, error) {
				attempts.Add(1)
				return &container.Info{ID: m.ID, FullID: m.FullID, Type: m.Type}, tc.err
			}, time.Minute)
			s.seeContainer(testMatch, 999)
			s.finishContainer(<-s.resolver.results)
			if n := attempts.Load(); n != tc.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tc.wantAttempts)
			}
			if log.String() != tc.wantLog {
				t.Errorf("log %q, want %q", log.String(), tc.wantLog)
			}
			got := s.releaseForTest(t, true)
			want := []written{{999, &container.Info{ID: testMatch.ID, FullID: testCtrID, Type: container.TypePodman}}}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(written{})); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSeeContainerNeverBlocks starts lookups that never answer: the event
// loop goes on, and stopping writes what is known.
func TestSeeContainerNeverBlocks(t *testing.T) {
	s, log := containerTestSession(t, func(ctx context.Context, m container.Match) (*container.Info, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}, 10*time.Millisecond)
	start := time.Now()
	const n = 100
	for i := range n {
		id := fmt.Sprintf("%064x", i)
		s.seeContainer(container.Match{ID: id[:12], FullID: id, Type: container.TypePodman}, uint64(1000+i))
		s.seeContainer(container.Match{ID: id[:12], FullID: id, Type: container.TypePodman}, uint64(2000+i)) // seen again: nothing new
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("seeing %d containers took %v", n, d)
	}
	s.finishContainers()
	got := s.releaseForTest(t, true)
	if len(got) != n {
		t.Fatalf("%d events written, want %d", len(got), n)
	}
	for i, w := range got {
		if w.ts != uint64(1000+i) || w.info == nil || w.info.Name != "" {
			t.Errorf("event %d: %+v, want the bare container event at %d", i, w, 1000+i)
		}
	}
	if c := strings.Count(log.String(), "lookup unfinished when the recording stopped"); c != n {
		t.Errorf("%d unfinished lookups logged, want %d:\n%s", c, n, log)
	}
}

// TestContainerLookupKeepsBundle checks that a podman container removed
// before podman inspect answers keeps what its bundle, read at first
// sight, said: privilege and mounts.
func TestContainerLookupKeepsBundle(t *testing.T) {
	s, _ := containerTestSession(t, func(ctx context.Context, m container.Match) (*container.Info, error) {
		return &container.Info{ID: m.ID, FullID: m.FullID, Type: m.Type}, rcontainer.ErrNoRuntime
	}, time.Minute)
	mounts := []container.Mount{{Source: "/tmp", Dest: "/x", Propagation: "rprivate"}}
	s.resolver.bundle = func(fullID string) (*container.Info, bool) {
		return &container.Info{Privileged: true, PrivilegedKnown: true, Mounts: mounts, MountsText: "/tmp:/x::false:rprivate", CreatedTime: 1700000000}, true
	}
	s.seeContainer(testMatch, 999)
	s.finishContainer(<-s.resolver.results)
	got := s.releaseForTest(t, true)
	want := []written{{999, &container.Info{ID: testMatch.ID, FullID: testCtrID, Type: container.TypePodman,
		Privileged: true, PrivilegedKnown: true, Mounts: mounts, MountsText: "/tmp:/x::false:rprivate", CreatedTime: 1700000000}}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(written{})); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
}
