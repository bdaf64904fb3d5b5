package record

import "container/heap"

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

// push adds an event; ev is copied.
func (r *reorderWindow) push(cpu uint16, ts uint64, ev []byte) {
	r.seq++
	heap.Push(&r.h, pendingEvent{ts: ts, seq: r.seq, cpu: cpu, ev: append([]byte(nil), ev...)})
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
		heap.Pop(&r.h)
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

type eventHeap []pendingEvent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(pendingEvent)) }
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = pendingEvent{}
	*h = old[:n-1]
	return x
}
