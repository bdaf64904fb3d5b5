package detect

import (
	"context"
	"errors"
	"fmt"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/replay"
)

// Extract replays the capture at path and writes to w what sysdig -w writes
// for a filter: the capture's header (machine, interfaces, users and the
// snapshot of processes and their fds), then the events that match the
// Detector's filter and Scope, unchanged and in order; the format does not
// apply. Container events and the capture's retrace metadata are always
// kept, so that the extract resolves container fields as its source does.
// w must be new; Extract does not close it. Result.Found counts the
// selected events.
func (d *Detector) Extract(ctx context.Context, path string, w *capture.Writer) (Result, error) {
	if d.opts.Filter == "" {
		return Result{}, errors.New("detect: Extract selects events with a filter, not rules")
	}
	wk := <-d.pool
	defer func() { d.pool <- wk }()
	res := Result{Info: infoOf(path, nil)}
	rd, err := capture.Open(path)
	if err != nil {
		return res, err
	}
	defer rd.Close()
	h := rd.Header()
	res.Info = infoOf(path, h)
	if err := w.WriteHeader(h); err != nil {
		return res, err
	}
	write := func(e *replay.Event) error {
		var flags uint32
		if e.StateOnly {
			flags = capture.FlagStateOnly
		}
		if err := w.WriteEvent(e.CPU, flags, e.Ev.Raw()); err != nil {
			return fmt.Errorf("extract event %d of %s: %w", e.Num, path, err)
		}
		return nil
	}
	sc := d.opts.Scope.Filter(d.reg, path)
	selected := sc.Wrap(func(e *replay.Event) error {
		if !wk.filter.matchesType(e) || !wk.filter.cond.Eval(e) {
			return nil
		}
		res.Found++
		return write(e)
	})
	var first, last uint64
	st, err := replay.ReplayReader(ctx, rd, replay.Options{}, func(e *replay.Event) error {
		if first == 0 {
			first = e.Ev.Ts()
		}
		last = e.Ev.Ts()
		switch e.Ev.Type() {
		case scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E:
			return write(e)
		}
		return selected(e)
	})
	if st != nil {
		res.Info.Events = st.Stats().Events
		res.Info.Notes = append(res.Info.Notes, boundNotes(st)...)
		res.Info.LeftOut += leftOut(st)
	}
	rst := rd.Stats()
	res.Info.Notes = append(res.Info.Notes, rst.LeftOut()...)
	res.Info.LeftOut += uint64(rst.ContainerFramesLeftOut)
	res.Info.Notes = append(res.Info.Notes, sc.Notes()...)
	if first != 0 {
		res.Info.Start, res.Info.End = nsTime(first), nsTime(last)
	}
	if md := h.Metadata; md != nil {
		w.SetMetadata(*md)
	}
	return res, err
}
