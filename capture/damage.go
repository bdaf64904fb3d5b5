package capture

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DamageKind says what is wrong with a stretch of a capture.
type DamageKind int

// Kinds of [Damage].
const (
	// DamageFrame is an unreadable frame, or unreadable bytes between two
	// good frames: a bad header, length or checksum, zeros, garbage.
	DamageFrame DamageKind = iota + 1
	// DamageBlock is a bad scap block inside a frame that decompressed:
	// the rest of the frame is lost.
	DamageBlock
	// DamageMetadata is a retrace skippable frame whose payload does not
	// decode; no events are lost.
	DamageMetadata
	// DamageDuplicate is a data frame that repeats an earlier one; its
	// events are not read twice.
	DamageDuplicate
	// DamageOrder is a data frame whose first event is older than the
	// previous frame's last: frames were reordered.
	DamageOrder
	// DamageIndex is a disagreement between the frame index and the frames
	// of the file.
	DamageIndex
)

// String returns a short name of the kind.
func (k DamageKind) String() string {
	switch k {
	case DamageFrame:
		return "bad frame"
	case DamageBlock:
		return "bad block"
	case DamageMetadata:
		return "bad metadata frame"
	case DamageDuplicate:
		return "duplicate frame"
	case DamageOrder:
		return "frame out of order"
	case DamageIndex:
		return "index mismatch"
	}
	return "damage"
}

// Damage is one problem a [Reader] found in a .scap.zst file and read past:
// the events of every intact frame around it are still returned.
type Damage struct {
	Kind DamageKind
	// Frame is the index of the damaged frame counting every frame of the
	// file from 0, skippable ones included (as retrace info counts them),
	// or -1 when no frame of the file is concerned (an index entry that
	// matches none).
	Frame int
	// Offset and End delimit the file bytes that were not used:
	// [Offset, End). End equals Offset for damage that cost no bytes
	// (frames out of order, index mismatches).
	Offset, End int64
	// Events is the number of events lost, and FirstTS and LastTS (ns
	// since the epoch) their time range, when EventsKnown: the frame index
	// at the end of the file says how many events the lost frames held.
	Events          uint64
	EventsKnown     bool
	FirstTS, LastTS uint64
	// Err is the *CorruptError or *TruncatedError that says what is wrong.
	Err error

	partial    bool   // DamageBlock: events before the bad block were read
	readBefore uint64 // events of the frame read before the bad block
}

// Lost reports whether events were or may have been lost.
func (d Damage) Lost() bool {
	switch d.Kind {
	case DamageFrame, DamageBlock:
		return !d.EventsKnown || d.Events > 0
	case DamageIndex:
		return d.Frame < 0
	}
	return false
}

// String describes the damage in one line, without the file name.
func (d Damage) String() string {
	var b strings.Builder
	if d.Frame >= 0 {
		fmt.Fprintf(&b, "frame %d at offset %d", d.Frame, d.Offset)
	} else {
		fmt.Fprintf(&b, "offset %d", d.Offset)
	}
	var facts []string
	if d.End > d.Offset {
		facts = append(facts, fmt.Sprintf("bytes %d-%d skipped", d.Offset, d.End))
	}
	switch {
	case d.EventsKnown && d.Events > 0:
		facts = append(facts, fmt.Sprintf("%d events lost, %s to %s", d.Events, tsString(d.FirstTS), tsString(d.LastTS)))
	case d.EventsKnown:
		facts = append(facts, "no events lost")
	case d.Lost():
		facts = append(facts, "events lost: unknown")
	}
	if len(facts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(facts, ", "))
	}
	reason := d.Kind.String()
	var ce *CorruptError
	var te *TruncatedError
	switch {
	case errors.As(d.Err, &ce):
		reason = ce.Reason
		if ce.Err != nil {
			reason += ": " + ce.Err.Error()
		}
	case errors.As(d.Err, &te):
		reason = "frame cut short"
	case d.Err != nil:
		reason = d.Err.Error()
	}
	b.WriteString(": ")
	b.WriteString(reason)
	return b.String()
}

func tsString(ts uint64) string {
	return time.Unix(0, int64(ts)).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// DamagedError is what [Reader.Next] returns at the end of a .scap.zst file
// that had damage, instead of io.EOF (or of the *TruncatedError when the
// file also ends early): every event of every intact frame was returned
// before it. errors.As finds the *CorruptError of each damage and the
// *TruncatedError in it.
type DamagedError struct {
	File string
	// Damage lists the problems in file order of detection.
	Damage []Damage
	// Events is the number of events recovered.
	Events int64
	// Truncated is set when the file also ends early.
	Truncated *TruncatedError
}

// Error formats the error as "FILE: N events recovered around K damaged
// places: frame F at offset O (...): reason; ...".
func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d events recovered around %d damaged place", e.File, e.Events, len(e.Damage))
	if len(e.Damage) != 1 {
		b.WriteString("s")
	}
	for i, d := range e.Damage {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(d.String())
	}
	if e.Truncated != nil {
		fmt.Fprintf(&b, "; then truncated at offset %d (frame %d)", e.Truncated.Offset, e.Truncated.Frame)
	}
	return b.String()
}

// Unwrap returns the errors of the damage and the truncation.
func (e *DamagedError) Unwrap() []error {
	var errs []error
	for _, d := range e.Damage {
		if d.Err != nil {
			errs = append(errs, d.Err)
		}
	}
	if e.Truncated != nil {
		errs = append(errs, e.Truncated)
	}
	return errs
}
