package capture

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/retrace-dev/retrace/capture/scap"
)

// DropTally adds up the drop markers of an event stream: the
// PPME_DROP_E events the recorder writes on a CPU before the first event
// after losing some, whose ratio is the number lost (docs/FORMAT.md,
// "Capture metadata"). Unlike the metadata's drop totals, which retrace
// writes when it closes a capture, the markers are there in every frame
// that was written, so a reader sees drops as it reaches them, and after a
// recorder crash too. Only retrace's captures use the markers so: in
// sysdig's, the same events mark its sampling mode and their ratio is the
// sampling ratio.
type DropTally struct {
	// Markers counts the drop markers, Lost the events they say were lost.
	Markers, Lost uint64
	// FirstTS and LastTS are the timestamps (ns) of the first and last
	// marker; FirstFrame and LastFrame the frames that hold them (-1 for
	// files without frames).
	FirstTS, LastTS       uint64
	FirstFrame, LastFrame int
}

// Add counts ev when it is a drop marker read from frame, and reports
// whether it was one.
func (d *DropTally) Add(ev *scap.Event, frame int) bool {
	if ev.Type() != scap.DropE {
		return false
	}
	var lost uint64 = 1
	if p := ev.Param(0); len(p) == 4 {
		lost = uint64(binary.LittleEndian.Uint32(p))
	}
	if d.Markers == 0 {
		d.FirstTS, d.FirstFrame = ev.Ts(), frame
	}
	d.Markers++
	d.Lost += lost
	d.LastTS, d.LastFrame = ev.Ts(), frame
	return true
}

// String says how many events the markers say were lost and where they
// fell, e.g. "240015 events lost at 12 drop markers, 2026-01-02T03:04:05Z
// to 2026-01-02T03:04:09Z, frames 3 to 40"; "" when there were none.
func (d *DropTally) String() string {
	if d.Markers == 0 {
		return ""
	}
	when := func(ts uint64) string { return time.Unix(0, int64(ts)).UTC().Format(time.RFC3339Nano) }
	s := fmt.Sprintf("%d events lost at %d drop markers, %s to %s", d.Lost, d.Markers, when(d.FirstTS), when(d.LastTS))
	if d.FirstFrame >= 0 {
		s += fmt.Sprintf(", frames %d to %d", d.FirstFrame, d.LastFrame)
	}
	return s
}
