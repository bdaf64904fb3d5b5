package detect

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeForms lists every form ParseTimeSpec accepts, for its error message.
const timeForms = `RFC 3339 (2024-05-01T10:00:00Z, 2024-05-01T10:00:00.5+02:00), ` +
	`retrace's own output (2024-05-01T10:00:00.123456789+0000), a date and time in --tz ` +
	`(2024-05-01 10:00:00, 2024-05-01T10:00), a date (2024-05-01), a time of day on the capture's ` +
	`date (10:00:00.25, 10:00), Unix seconds (1714557600.5), Unix nanoseconds (1714557600123456789), ` +
	`or an offset from the capture's first event (+30s, +1h2m) or last event (-5m)`

// timeKind says how a TimeSpec resolves.
type timeKind uint8

const (
	timeUnset     timeKind = iota
	timeAbsolute           // ns is the time
	timeOfDay              // offset is the time since midnight, in loc, on the capture's date
	timeFromStart          // offset after the capture's first event
	timeFromEnd            // offset before the capture's last event
)

// TimeSpec is a time given on the command line. Absolute times stand for
// themselves; times of day and offsets resolve against each capture's
// first and last events. The zero TimeSpec is unset.
type TimeSpec struct {
	kind   timeKind
	ns     uint64
	offset time.Duration
	loc    *time.Location
	text   string
}

// AbsoluteTime returns the TimeSpec of ns nanoseconds since the epoch.
func AbsoluteTime(ns uint64) TimeSpec { return TimeSpec{kind: timeAbsolute, ns: ns} }

// IsSet reports whether t was given.
func (t TimeSpec) IsSet() bool { return t.kind != timeUnset }

// String returns the time as it was typed.
func (t TimeSpec) String() string { return t.text }

// needsEnd reports whether resolving t needs the capture's last event.
func (t TimeSpec) needsEnd() bool { return t.kind == timeFromEnd }

// Resolve returns t in nanoseconds since the epoch for a capture whose
// first and last events are at start and end (end is used only by offsets
// from the end). An unset TimeSpec resolves to 0.
func (t TimeSpec) Resolve(start, end uint64) uint64 {
	switch t.kind {
	case timeAbsolute:
		return t.ns
	case timeFromStart:
		return start + uint64(t.offset)
	case timeFromEnd:
		if uint64(t.offset) > end {
			return 0
		}
		return end - uint64(t.offset)
	case timeOfDay:
		first := time.Unix(0, int64(start)).In(t.loc)
		y, m, d := first.Date()
		at := time.Date(y, m, d, 0, 0, 0, 0, t.loc).Add(t.offset)
		// A capture that runs past midnight: the time of day on its
		// second day when the first day's has passed before it began.
		if uint64(at.UnixNano()) < start && end != 0 && uint64(at.Add(24*time.Hour).UnixNano()) <= end {
			at = at.Add(24 * time.Hour)
		}
		return uint64(max(at.UnixNano(), 0))
	}
	return 0
}

// ParseTimeSpec parses a time given to the flag named flag (for errors):
// every form retrace prints times in, RFC 3339, Unix seconds or
// nanoseconds, a time of day, or an offset from the capture's start (+) or
// end (-). Times without a zone are in loc. An empty s gives an unset spec.
func ParseTimeSpec(flag, s string, loc *time.Location) (TimeSpec, error) {
	if s == "" {
		return TimeSpec{}, nil
	}
	bad := func(why string) (TimeSpec, error) {
		return TimeSpec{}, fmt.Errorf("parse --%s %q: %s; want %s", flag, s, why, timeForms)
	}
	t := TimeSpec{text: s, loc: loc}
	if s[0] == '+' || s[0] == '-' {
		d, err := time.ParseDuration(s[1:])
		if err != nil || d < 0 {
			return bad("bad offset")
		}
		t.kind, t.offset = timeFromStart, d
		if s[0] == '-' {
			t.kind = timeFromEnd
		}
		return t, nil
	}
	if isDigits(strings.Replace(s, ".", "", 1)) {
		whole, frac, hasFrac := strings.Cut(s, ".")
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil {
			return bad("bad Unix time")
		}
		t.kind = timeAbsolute
		switch {
		case !hasFrac && len(whole) >= 16:
			t.ns = w // nanoseconds, as %evt.rawtime prints them
		case w > 1<<33:
			return bad("bad Unix time")
		default:
			ns, _ := strconv.ParseUint((frac + "000000000")[:9], 10, 64)
			t.ns = w*1e9 + ns
		}
		return t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02 15:04:05.999999999 -0700",
		"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if at, err := time.ParseInLocation(layout, s, loc); err == nil {
			if at.Before(time.Unix(0, 0)) {
				return bad("before 1970")
			}
			t.kind, t.ns = timeAbsolute, uint64(at.UnixNano())
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05.999999999", "15:04"} {
		if at, err := time.Parse(layout, s); err == nil {
			t.kind = timeOfDay
			t.offset = time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute +
				time.Duration(at.Second())*time.Second + time.Duration(at.Nanosecond())
			return t, nil
		}
	}
	return bad("not a time")
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// After reports whether t is known to be after u: both are absolute times
// and t is the later (relative times depend on each capture).
func (t TimeSpec) After(u TimeSpec) bool {
	return t.kind == timeAbsolute && u.kind == timeAbsolute && t.ns > u.ns
}
