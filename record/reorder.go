package record

// pendingEvent is one event waiting in the reorder window.
type pendingEvent struct {
	cpu uint16
	ev  []byte
}

// heapEntry orders pending events; it holds no pointers, so that heap moves
// are plain copies (no GC write barriers).
type heapEntry struct {
	ts   uint64
	seq  uint64
	slot uint32 // index in reorderWindow.slots
}

// reorderWindow puts events from the shared ring buffer (reserve order,
// nearly sorted) back into timestamp order. Events are held until the
// newest timestamp seen (or now) is window ns past them, or until max events
// are held; events that arrive later than that are written at once (they are
// counted as late). A hold (see [reorderWindow.holdFrom]) keeps events
// back beyond the window while something that belongs before them, a
// container event whose lookup is under way, is still to come. Not safe
// for concurrent use.
type reorderWindow struct {
	h      eventHeap
	slots  []pendingEvent
	free   []uint32
	seq    uint64
	window uint64
	max    int
	newest uint64
	hold   uint64 // events from this timestamp on wait; 0 for none
	late   uint64
	last   uint64 // timestamp of the last event released
}

func newReorderWindow(window uint64, max int) *reorderWindow {
	return &reorderWindow{window: window, max: max}
}

// push adds an event. ev is kept, not copied: the caller must not reuse it.
func (r *reorderWindow) push(cpu uint16, ts uint64, ev []byte) {
	r.seq++
	var slot uint32
	if n := len(r.free); n > 0 {
		slot = r.free[n-1]
		r.free = r.free[:n-1]
		r.slots[slot] = pendingEvent{cpu: cpu, ev: ev}
	} else {
		slot = uint32(len(r.slots))
		r.slots = append(r.slots, pendingEvent{cpu: cpu, ev: ev})
	}
	r.h.push(heapEntry{ts: ts, seq: r.seq, slot: slot})
	if ts > r.newest {
		r.newest = ts
	}
}

// holdFrom makes release keep events from ts on, however old, until it is
// called again (with 0: no hold). The size bound still applies.
func (r *reorderWindow) holdFrom(ts uint64) { r.hold = ts }

// release hands fn every event older than the window and the hold (or all
// when flush), oldest first, and any beyond the size bound.
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
	for len(r.h) > 0 {
		top := r.h[0]
		held := top.ts > limit || r.hold != 0 && top.ts >= r.hold
		if !flush && held && len(r.h) <= r.max {
			break
		}
		r.h.pop()
		if top.ts < r.last {
			r.late++
		} else {
			r.last = top.ts
		}
		p := r.slots[top.slot]
		r.slots[top.slot] = pendingEvent{}
		r.free = append(r.free, top.slot)
		if err := fn(p.cpu, p.ev); err != nil {
			return err
		}
	}
	return nil
}

// eventHeap is a binary min-heap on (ts, seq).
type eventHeap []heapEntry

func (h eventHeap) less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(e heapEntry) {
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

func (h *eventHeap) pop() heapEntry {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
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
