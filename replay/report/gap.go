package report

import "strconv"

// Gap says that a detection's event uses state from before events lost to
// damage (docs/FORMAT.md, "Replay after a gap").
type Gap struct {
	// Stale names the parts of the state that are older than a gap:
	// "process" (the event's thread and its process attributes), "fd"
	// (the event's fd).
	Stale []string
	// Frames are the damaged frames since that state was known.
	Frames []int
	// EventsLost is the number of events they lost, when EventsLostKnown.
	EventsLost      uint64
	EventsLostKnown bool
}

// appendGapJSON appends the "gap" key of d, when it has one.
func appendGapJSON(dst []byte, d *Detection) []byte {
	g := d.Gap
	if g == nil {
		return dst
	}
	dst = append(dst, `"gap":{"events_lost":`...)
	dst = strconv.AppendUint(dst, g.EventsLost, 10)
	dst = append(dst, `,"events_lost_known":`...)
	dst = strconv.AppendBool(dst, g.EventsLostKnown)
	dst = append(dst, `,"frames":[`...)
	for i, f := range g.Frames {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(f), 10)
	}
	dst = append(dst, `],"stale":[`...)
	for i, s := range g.Stale {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = appendEscaped(dst, s)
		dst = append(dst, '"')
	}
	return append(dst, "]},"...)
}

// AppendGapText appends the text note of d's gap: "gap: process, fd
// state from before frame 49 (6960 events lost): fields may be stale".
func AppendGapText(dst []byte, g *Gap) []byte {
	dst = append(dst, "gap: "...)
	for i, s := range g.Stale {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, s...)
	}
	dst = append(dst, " state from before frame"...)
	if len(g.Frames) > 1 {
		dst = append(dst, 's')
	}
	for i, f := range g.Frames {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(f), 10)
	}
	if g.EventsLostKnown {
		dst = append(dst, " ("...)
		dst = strconv.AppendUint(dst, g.EventsLost, 10)
		dst = append(dst, " events lost)"...)
	} else {
		dst = append(dst, " (events lost: unknown)"...)
	}
	return append(dst, ": fields may be stale"...)
}
