package report

import (
	"strconv"
	"time"
)

// Drill is a detection's drill-down: the events of its process around it,
// and what the process and its descendants did afterwards, each bounded in
// count.
type Drill struct {
	// Before and After are the process's events just before and just
	// after the detection's event (sysdig's lines); Event is that event's
	// own line.
	Before, After []ContextEvent
	Event         ContextEvent
	// Next is what the process and its descendants did from the
	// detection on, in time order: execs, files written, renamed,
	// deleted or read outside library directories, connections and
	// privilege changes.
	Next []Step
	// NextCut counts the steps left out once Next was full.
	NextCut int
}

// ContextEvent is one event of a drill-down's context, as sysdig prints it.
type ContextEvent struct {
	// Num is the event's evt.num in its capture.
	Num uint64
	// Time is the event's timestamp.
	Time time.Time
	// Line is the event's line in sysdig's default format.
	Line string
}

// Step is one thing a detection's process, or one of its descendants, did
// after the detection.
type Step struct {
	Activity
	// Pid and Name are the process that did it.
	Pid  int64
	Name string
	// Depth is 0 for the detection's process, 1 for its children, and so
	// on.
	Depth int
}

// appendDrillText appends d's drill-down as indented lines, each after a
// newline, escaped like alert lines.
func appendDrillText(dst []byte, d *Drill, opts Options) []byte {
	if d == nil {
		return dst
	}
	if len(d.Before)+len(d.After) > 0 || d.Event.Line != "" {
		dst = append(dst, "\n    context:"...)
		for _, evs := range [][]ContextEvent{d.Before, {d.Event}, d.After} {
			for _, e := range evs {
				if e.Line == "" {
					continue
				}
				mark := "\n      "
				if e.Num == d.Event.Num {
					mark = "\n    > "
				}
				dst = append(dst, mark...)
				dst = appendEscaped(dst, e.Line)
			}
		}
	}
	if len(d.Next) > 0 {
		dst = append(dst, "\n    what came next:"...)
		for _, s := range d.Next {
			dst = append(dst, "\n      "...)
			dst = s.Time.In(opts.zone()).AppendFormat(dst, "15:04:05.000000")
			dst = append(dst, ' ')
			for range min(s.Depth, 8) {
				dst = append(dst, "  "...)
			}
			dst = appendEscaped(dst, s.Name)
			dst = append(dst, '[')
			dst = strconv.AppendInt(dst, s.Pid, 10)
			dst = append(dst, "] "...)
			dst = appendEscaped(dst, s.Kind)
			dst = append(dst, ' ')
			dst = appendEscaped(dst, s.Object)
		}
		if d.NextCut > 0 {
			dst = append(dst, "\n      … "...)
			dst = strconv.AppendInt(dst, int64(d.NextCut), 10)
			dst = append(dst, " more not shown"...)
		}
	}
	return dst
}

// appendDrillJSON appends the member `"drill":{...},` for d.
func appendDrillJSON(dst []byte, d *Drill) []byte {
	if d == nil {
		return dst
	}
	events := func(dst []byte, evs []ContextEvent) []byte {
		dst = append(dst, '[')
		for i, e := range evs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"evt_num":`...)
			dst = strconv.AppendUint(dst, e.Num, 10)
			dst = append(dst, `,"line":`...)
			dst = appendValue(dst, e.Line)
			dst = append(dst, `,"time":`...)
			dst = appendValue(dst, e.Time.UTC().Format(time.RFC3339Nano))
			dst = append(dst, '}')
		}
		return append(dst, ']')
	}
	dst = append(dst, `"drill":{"after":`...)
	dst = events(dst, d.After)
	dst = append(dst, `,"before":`...)
	dst = events(dst, d.Before)
	dst = append(dst, `,"next":[`...)
	for i, s := range d.Next {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"depth":`...)
		dst = strconv.AppendInt(dst, int64(s.Depth), 10)
		dst = append(dst, `,"kind":`...)
		dst = appendValue(dst, s.Kind)
		dst = append(dst, `,"name":`...)
		dst = appendValue(dst, s.Name)
		dst = append(dst, `,"object":`...)
		dst = appendValue(dst, s.Object)
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, s.Pid, 10)
		dst = append(dst, `,"time":`...)
		dst = appendValue(dst, s.Time.UTC().Format(time.RFC3339Nano))
		dst = append(dst, '}')
	}
	dst = append(dst, `],"next_cut":`...)
	dst = strconv.AppendInt(dst, int64(d.NextCut), 10)
	return append(dst, "},"...)
}
