package detect

import (
	"context"
	"errors"

	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// Visit is called by [Detector.Events] with every event the rules see, the
// capture it comes from, and the detections the rules found on it (nil
// when none). e and found are valid only during the call.
type Visit func(info report.CaptureInfo, e *replay.Event, found []*report.Detection) error

// Events replays the capture at path like [Detector.Capture] and calls
// visit, from the calling goroutine and in the capture's order, with every
// event the rules see (the Detector's [Visibility]: not state-only, not
// skipped) and the detections of the rules on it. Options.Scope and
// Options.Encode do not apply. An error from visit stops the replay and is
// returned. It needs rules, not a filter.
func (d *Detector) Events(ctx context.Context, path string, visit Visit) (Result, error) {
	if d.opts.Filter != "" {
		return Result{}, errors.New("detect: Events runs rules, not a filter")
	}
	w := <-d.pool
	defer func() { d.pool <- w }()
	var res Result
	var found []*report.Detection
	newHandler := func(info report.CaptureInfo) replay.Handler {
		return func(e *replay.Event) error {
			if e.StateOnly || d.vis.Skips(e.Ev) {
				return nil
			}
			found = found[:0]
			for _, r := range w.rs.Match(e) {
				found = append(found, w.detection(r, e, info.File, info.Hostname))
			}
			res.Found += uint64(len(found))
			if len(found) == 0 {
				return visit(info, e, nil)
			}
			return visit(info, e, found)
		}
	}
	info, err := ReplayCapture(ctx, path, d.opts.Progress, d.opts.Scope.Clock, newHandler)
	res.Info = info
	return res, err
}
