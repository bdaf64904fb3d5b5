package replay

import "github.com/retrace-dev/retrace/engine"

// captureFields returns the capture.* fields, retrace's own (neither
// sysdig nor Falco has them; docs/COMPATIBILITY.md, REPLAY-CAPTURE-FIELDS):
// where an event's bytes are, so that each line or alert of a replay over
// many captures can be traced back to them.
func captureFields() []def {
	return []def{
		{name: "capture.file", typ: engine.TypeString,
			desc: "Capture file that holds the event, as retrace was given it (of a rotated set, the file that holds the event). A retrace field.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Capture == "" {
					return d
				}
				return str(d, sb(e.Capture))
			}},
		{name: "capture.frame", typ: engine.TypeUint64,
			desc: "Frame of capture.file that holds the event, counted from 0 over every zstd frame of the file as retrace's damage reports count them; missing for .scap and .scap.gz files, which have no frames. A retrace field.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Capture == "" || e.Frame < 0 {
					return d
				}
				return num(d, uint64(e.Frame))
			}},
	}
}
