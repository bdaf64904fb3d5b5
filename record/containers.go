//go:build linux && amd64

package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retrace-dev/retrace/capture/container"
	rcontainer "github.com/retrace-dev/retrace/record/container"
)

// How container lookups are retried and how long the writer waits for them.
const (
	// lookupAttempts bounds the runtime CLI runs per container.
	lookupAttempts = 5
	// lookupBackoff is the pause before the first retry, doubled for each
	// further one up to maxLookupBackoff.
	lookupBackoff    = 100 * time.Millisecond
	maxLookupBackoff = time.Second
	// lookupSlots bounds the runtime CLIs running at once.
	lookupSlots = 4
	// lookupHold is how long, from the moment a container is first seen,
	// the reorder window keeps its events back so that its container event
	// comes first. When a lookup takes longer, what is known by then (the
	// name and image podman's events gave, else the id) is written in its
	// place, and the complete event follows where the writer is when the
	// lookup ends.
	lookupHold = 3 * time.Second
)

// containerLookup is a finished lookup of a container's metadata.
type containerLookup struct {
	m    container.Match
	info *container.Info // at least the match's id and type
	err  error           // why info is incomplete; nil when it is not
}

// containerResolver looks containers up in their runtime off the event
// loop: start never blocks, and each lookup, retried with backoff, ends
// with one containerLookup on results (unless the resolver is closed
// first). A podman event watcher, started by the first lookup of a podman
// container, names containers removed before podman inspect could see
// them. start, close and takeWatchErr belong to the event loop's
// goroutine.
type containerResolver struct {
	ctx     context.Context
	cancel  context.CancelFunc
	results chan containerLookup
	slots   chan struct{}
	wg      sync.WaitGroup
	// since is where the podman event watcher starts reading.
	since     time.Time
	watchOnce sync.Once
	watcher   atomic.Pointer[rcontainer.Watcher]
	watchErr  atomic.Pointer[error] // why the watcher did not start, until logged
	// inspect and watch are the runtime lookups; hold and backoff are
	// lookupHold and lookupBackoff (tests replace them all).
	inspect func(context.Context, container.Match) (*container.Info, error)
	// bundle reads what a podman container's bundle says, kept for the
	// case podman inspect cannot answer (nil: none).
	bundle  func(fullID string) (*container.Info, bool)
	watch   func(since time.Time) (*rcontainer.Watcher, error)
	hold    time.Duration
	backoff time.Duration
}

func newContainerResolver(since time.Time, rt rcontainer.Runtimes) *containerResolver {
	ctx, cancel := context.WithCancel(context.Background())
	return &containerResolver{
		ctx: ctx, cancel: cancel, since: since,
		results: make(chan containerLookup, 64),
		slots:   make(chan struct{}, lookupSlots),
		inspect: rt.Inspect,
		bundle:  rt.PodmanBundle,
		watch:   rcontainer.WatchPodman,
		hold:    lookupHold,
		backoff: lookupBackoff,
	}
}

// start looks m up in the background.
func (r *containerResolver) start(m container.Match) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		var w *rcontainer.Watcher
		var base *container.Info
		if m.Type == container.TypePodman {
			if r.bundle != nil {
				base, _ = r.bundle(m.FullID)
			}
			w = r.podmanEvents()
		}
		l := r.lookup(m, w, base)
		if r.ctx.Err() != nil {
			return // closed: the session writes what it knows
		}
		select {
		case r.results <- l:
		case <-r.ctx.Done():
		}
	}()
}

// lookup inspects m, retrying with backoff. A container its runtime no
// longer knows gets the name and image podman's events gave it, and what
// its bundle said (base, possibly nil).
func (r *containerResolver) lookup(m container.Match, w *rcontainer.Watcher, base *container.Info) containerLookup {
	delay := r.backoff
	var err error
	for attempt := 1; ; attempt++ {
		var info *container.Info
		info, err = r.inspectOnce(m)
		if err == nil {
			return containerLookup{m: m, info: info}
		}
		if errors.Is(err, rcontainer.ErrNoRuntime) || r.ctx.Err() != nil {
			break
		}
		var ie *rcontainer.InspectError
		if w != nil && errors.As(err, &ie) && ie.NotFound() {
			ctx, cancel := context.WithTimeout(r.ctx, delay)
			s, ok := w.Wait(ctx, m.FullID)
			cancel()
			if ok {
				return containerLookup{m: m, info: withBundle(fromSighting(m, s), base),
					err: fmt.Errorf("%w (name and image from podman's events)", err)}
			}
		}
		if attempt == lookupAttempts {
			err = fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			break
		}
		select {
		case <-time.After(delay):
		case <-r.ctx.Done():
		}
		delay = min(2*delay, maxLookupBackoff)
	}
	return containerLookup{m: m, info: withBundle(known(m, w), base), err: err}
}

// withBundle adds to info, a container its runtime did not describe, what
// its bundle said (base, possibly nil): privilege, mounts, creation time.
func withBundle(info, base *container.Info) *container.Info {
	if base == nil {
		return info
	}
	info.Privileged, info.PrivilegedKnown = base.Privileged, base.PrivilegedKnown
	info.Mounts, info.MountsText = base.Mounts, base.MountsText
	if info.CreatedTime == 0 {
		info.CreatedTime = base.CreatedTime
	}
	return info
}

// known is what the recorder knows of a container without its runtime's
// answer: what podman's events said (w may be nil), else the id and type
// its cgroups give.
func known(m container.Match, w *rcontainer.Watcher) *container.Info {
	if w != nil {
		if s, ok := w.Lookup(m.FullID); ok {
			return fromSighting(m, s)
		}
	}
	return bareContainer(m)
}

// podmanEvents returns the podman event watcher, starting it the first
// time; nil when it could not start.
func (r *containerResolver) podmanEvents() *rcontainer.Watcher {
	r.watchOnce.Do(func() {
		if r.watch == nil || r.ctx.Err() != nil {
			return
		}
		w, err := r.watch(r.since)
		switch {
		case err == nil:
			r.watcher.Store(w)
		case !errors.Is(err, rcontainer.ErrNoRuntime):
			r.watchErr.Store(&err)
		}
	})
	return r.watcher.Load()
}

// takeWatchErr returns, once, why the podman event watcher did not start.
func (r *containerResolver) takeWatchErr() error {
	if p := r.watchErr.Swap(nil); p != nil {
		return *p
	}
	return nil
}

// inspectOnce runs one runtime lookup in one of the slots.
func (r *containerResolver) inspectOnce(m container.Match) (*container.Info, error) {
	select {
	case r.slots <- struct{}{}:
	case <-r.ctx.Done():
		return nil, r.ctx.Err()
	}
	defer func() { <-r.slots }()
	return r.inspect(r.ctx, m)
}

// close abandons the lookups under way and stops the event watcher.
func (r *containerResolver) close() {
	r.cancel()
	r.wg.Wait()
	if w := r.watcher.Load(); w != nil {
		w.Close()
	}
}

// bareContainer is what the recorder knows of a container its runtime did
// not describe: the id and type its cgroups give.
func bareContainer(m container.Match) *container.Info {
	return &container.Info{ID: m.ID, FullID: m.FullID, Type: m.Type}
}

// fromSighting is a container as its runtime's events named it.
func fromSighting(m container.Match, s rcontainer.Sighting) *container.Info {
	info := bareContainer(m)
	info.Name, info.Image, info.Labels = s.Name, s.Image, s.Labels
	ref := container.ParseImage(s.Image)
	info.ImageRepo, info.ImageTag, info.ImageDigest = ref.Repository, ref.Tag, ref.Digest
	return info
}

// containerState is where the recorder is with one container.
type containerState struct {
	m container.Match
	// ts is the timestamp of its container event: just before the first
	// event seen in it.
	ts uint64
	// holdUntil is when the reorder window stops waiting for its lookup.
	holdUntil time.Time
	// written is the JSON of the container event written early, when the
	// lookup outlasted the hold; nil before.
	written []byte
	// info is what its last container event said (nil before one was
	// written): a new file of a rotated set starts with it.
	info *container.Info
}

// seeContainer notes a container seen in an event at ts (or in the
// snapshot) and starts its lookup the first time.
func (s *session) seeContainer(m container.Match, ts uint64) {
	if _, ok := s.ctrs[m.FullID]; ok {
		return
	}
	st := &containerState{m: m, ts: ts, holdUntil: time.Now().Add(s.resolver.hold)}
	s.ctrs[m.FullID] = st
	s.pending[m.FullID] = st
	s.resolver.start(m)
}

// finishContainer writes a looked-up container: its container event, at
// its place in the event order unless the writer has gone past it (and
// not again if the early one said the same), and its metadata record.
func (s *session) finishContainer(l containerLookup) {
	st, ok := s.pending[l.m.FullID]
	if !ok {
		return
	}
	delete(s.pending, l.m.FullID)
	if err := s.resolver.takeWatchErr(); err != nil {
		fmt.Fprintf(s.log, "retrace record: %v (containers removed before their lookup lack names)\n", err)
	}
	if l.err != nil {
		fmt.Fprintf(s.log, "retrace record: container %s: %v\n", l.m.ID, l.err)
	}
	if !bytes.Equal(l.info.AppendJSON(nil), st.written) {
		ts := max(st.ts, s.win.last)
		s.win.push(0, ts, l.info.AppendEvent(nil, ts))
	}
	st.info = l.info
	s.w.AddContainer(*l.info)
}

// holdContainers sets the reorder window's hold at the earliest container
// event still to come whose lookup has not run out of time, and writes, in
// its place, what is known of a container whose lookup has.
func (s *session) holdContainers() {
	var hold uint64
	now := time.Now()
	for _, st := range s.pending {
		if now.Before(st.holdUntil) {
			if hold == 0 || st.ts < hold {
				hold = max(st.ts, 1)
			}
			continue
		}
		if st.written == nil {
			info := known(st.m, s.resolver.watcher.Load())
			st.written, st.info = info.AppendJSON(nil), info
			ts := max(st.ts, s.win.last)
			s.win.push(0, ts, info.AppendEvent(nil, ts))
		}
	}
	s.win.holdFrom(hold)
}

// finishContainers, when the recording stops, waits up to lookupHold for
// the lookups under way, then writes the containers whose lookup did not
// end with what is known of them.
func (s *session) finishContainers() {
	deadline := time.After(s.resolver.hold)
	for waiting := true; waiting && len(s.pending) > 0; {
		select {
		case l := <-s.resolver.results:
			s.finishContainer(l)
		case <-deadline:
			waiting = false
		}
	}
	s.resolver.close()
	for drained := false; !drained; {
		select {
		case l := <-s.resolver.results:
			s.finishContainer(l)
		default:
			drained = true
		}
	}
	for _, st := range s.pending {
		s.finishContainer(containerLookup{m: st.m, info: known(st.m, s.resolver.watcher.Load()),
			err: errors.New("lookup unfinished when the recording stopped")})
	}
}
