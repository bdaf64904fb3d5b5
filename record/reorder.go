package record

// pendingEvent is one event waiting in the reorder window.
type pendingEvent struct {
	ts  uint64
	seq uint64
	cpu uint16
	ev  []byte
}

// reorderWindow puts events from the shared ring buffer (reserve order,
// nearly sorted) back into timestamp order. Events are held until the
// newest timestamp seen is window ns past them, or until max events are
// held; events that arrive later than that are written at once (they are
// counted as late). Not safe for concurrent use.
type reorderWindow struct {
	h      eventHeap
	seq    uint64
	window uint64
	max    int
	newest uint64
	late   uint64
	last   uint64 // timestamp of the last event released
}

func newReorderWindow(window uint64, max int) *reorderWindow {
	return &reorderWindow{window: window, max: max}
}

// push adds an event. ev is kept, not copied: the caller must not reuse it.
func (r *reorderWindow) push(cpu uint16, ts uint64, ev []byte) {
	r.seq++
	r.h.push(pendingEvent{ts: ts, seq: r.seq, cpu: cpu, ev: ev})
	if ts > r.newest {
		r.newest = ts
	}
}

// release hands fn every event older than the window (or all when flush),
// oldest first, and any beyond the size bound.
func (r *reorderWindow) release(now uint64, flush bool, fn func(cpu uint16, ev []byte) error) error {
	limit := now
	if r.newest > limit {
		limit = r.newest
	}
	if limit > r.window {
		limit -= r.window
	} else {
		limit = 0
	}
	for r.h.Len() > 0 {
		top := r.h[0]
		if !flush && top.ts > limit && r.h.Len() <= r.max {
			break
		}
		r.h.pop()
		if top.ts < r.last {
			r.late++
		} else {
			r.last = top.ts
		}
		if err := fn(top.cpu, top.ev); err != nil {
			return err
		}
	}
	return nil
}

func (r *reorderWindow) len() int { return r.h.Len() }

// eventHeap is a binary min-heap on (ts, seq), typed to avoid the
// per-event boxing of container/heap.
type eventHeap []pendingEvent

func (h eventHeap) Len() int { return len(h) }

func (h eventHeap) less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(e pendingEvent) {
	*h = append(*h, e)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *eventHeap) pop() pendingEvent {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = pendingEvent{}
	a = a[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && a.less(l, m) {
			m = l
		}
		if r < n && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
