package replay

// Gap is a stretch of a capture whose events were lost to damage (see
// docs/FORMAT.md, "Replay after a gap"): the state after it may be wrong
// wherever it comes from before it.
type Gap struct {
	// Frame is the damaged frame (as retrace info counts frames), Offset
	// its file offset.
	Frame  int
	Offset int64
	// Events is the number of events lost, when EventsKnown.
	Events      uint64
	EventsKnown bool
}

// Stale says which parts of the state an event's fields come from that
// are older than a gap, and since which gap.
type Stale struct {
	// Process is set when the event's thread (its process attributes) is
	// from before a gap, or was first seen after one.
	Process bool
	// FD is set when the event's fd is from before a gap.
	FD bool
	// Since is the index, in [State.Gaps], of the first gap the stale
	// state predates.
	Since int
}

// Any reports whether some state is stale.
func (st Stale) Any() bool { return st.Process || st.FD }

// MarkGap records that events were lost here: every thread and fd in the
// table, and every thread first seen from now on, has state from before
// a gap until an event refreshes it.
func (s *State) MarkGap(g Gap) {
	s.gaps = append(s.gaps, g)
	s.fdPool.epoch = uint32(len(s.gaps))
}

// Gaps returns the gaps marked so far, in capture order.
func (s *State) Gaps() []Gap { return s.gaps }

// epoch is the number of gaps so far: state stamped with a smaller epoch
// is from before a gap.
func (s *State) epoch() uint32 { return s.fdPool.epoch }

// Stale reports which of the state the event uses is from before a gap.
func (e *Event) Stale() Stale {
	s := e.state
	now := s.epoch()
	if now == 0 {
		return Stale{}
	}
	st := Stale{Since: int(now)}
	if t := e.Thread; t != nil && t.gapEpoch < now {
		st.Process, st.Since = true, int(t.gapEpoch)
	}
	if f := e.FD; f != nil && f.epoch < now {
		st.FD = true
		st.Since = min(st.Since, int(f.epoch))
	}
	if !st.Any() {
		st.Since = 0
	}
	return st
}
