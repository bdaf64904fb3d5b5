package timeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/retrace-dev/retrace/internal/merge"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// This file writes a view a line per finding without holding every
// finding: each capture's findings, sorted, are encoded by the worker that
// replayed it into a run, held in memory while every capture has its own
// worker and otherwise appended to that worker's temporary file; the runs
// are then merged (internal/merge, which replay/detect's merge by time
// uses too).

// Lines is [Run] for a view written a line per finding (text, JSON lines):
// encode turns a finding into its line, in the worker that replayed the
// finding's capture (it must be safe for concurrent use), and emit gets
// the lines in the view's order over all captures, ties in capture order.
// Lines waiting for the merge are kept in files in tempDir (empty: the
// system's temporary directory), so memory does not grow with the number
// of captures. Options.MaxFindings does not apply. The report returned
// has the captures and notes but no findings; it is nil when opts are not
// valid. The tree view is not written a line per finding.
func Lines(ctx context.Context, paths []string, opts Options, tempDir string, encode func(dst []byte, d *report.Detection) []byte, emit func(line []byte) error) (*report.Report, error) {
	view := opts.View
	switch {
	case view == "" || view == ViewTree:
		return nil, errors.New("timeline: the tree view is not written a line per finding")
	case !slices.Contains(Views(), view):
		return nil, fmt.Errorf("timeline: %w", &UnknownViewError{Name: view})
	}
	if err := opts.cleanPaths([]string{view}); err != nil {
		return nil, err
	}
	opts.MaxFindings = 0
	reg := opts.Registry
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	units := detect.Sets(paths)
	workers := detect.Workers(len(units), opts.Workers)
	infos := make([]report.CaptureInfo, len(units))
	errs := make([]error, len(units))
	runs := make([]merge.Run[lineRecord], len(units))
	var spills []*merge.Spill[lineRecord] // by worker, when captures wait for workers
	if len(units) > workers {
		spills = make([]*merge.Spill[lineRecord], workers)
	}
	detect.ForEach(len(units), workers, func(w, i int) {
		res := capture(ctx, &opts, reg, []string{view}, units[i])[0]
		infos[i], errs[i] = res.info, res.err
		found := res.detections
		sorted := make([]lineRecord, len(found))
		for j := range found {
			sorted[j] = lineRecord{at: orderOf(view, &found[j]), line: encode(nil, &found[j])}
			found[j] = report.Detection{} // encoded: let it go
		}
		slices.SortStableFunc(sorted, compareLines)
		runs[i] = merge.NewSlice(sorted)
		if spills == nil {
			return
		}
		if spills[w] == nil {
			sp, err := merge.NewSpill(tempDir, "retrace-timeline-*", lineCodec)
			if err != nil {
				errs[i] = errors.Join(errs[i], err)
				runs[i] = merge.NewSlice[lineRecord](nil)
				return
			}
			spills[w] = sp
		}
		sp := spills[w]
		start := sp.Offset()
		for _, r := range sorted {
			if err := sp.Write(r); err != nil {
				errs[i] = errors.Join(errs[i], err)
				runs[i] = merge.NewSlice[lineRecord](nil)
				return
			}
		}
		runs[i] = sp.Run(start, sp.Offset())
	})
	for _, sp := range spills {
		if sp != nil {
			defer sp.Close()
			if err := sp.Flush(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	rep := &report.Report{Title: "retrace timeline: " + view, View: view, Captures: infos}
	if err := merge.Merge(runs, compareLines, func(r lineRecord) error { return emit(r.line) }); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// lineRecord is one finding's line and where it sorts.
type lineRecord struct {
	at   order
	line []byte
}

func compareLines(a, b lineRecord) int { return a.at.compare(b.at) }

// lineCodec spills a record's order, then its line.
var lineCodec = merge.Codec[lineRecord]{
	Append: func(dst []byte, r lineRecord) []byte {
		dst = binary.AppendUvarint(dst, r.at.rank)
		dst = binary.AppendUvarint(dst, r.at.ops)
		dst = binary.AppendVarint(dst, r.at.sec)
		dst = binary.AppendUvarint(dst, uint64(r.at.nsec))
		return append(dst, r.line...)
	},
	Decode: func(b []byte) (lineRecord, error) {
		var r lineRecord
		var nsec uint64
		ok := true
		uvarint := func(v *uint64) {
			n := 0
			if ok {
				*v, n = binary.Uvarint(b)
				ok, b = n > 0, b[max(n, 0):]
			}
		}
		uvarint(&r.at.rank)
		uvarint(&r.at.ops)
		if ok {
			var n int
			r.at.sec, n = binary.Varint(b)
			ok, b = n > 0, b[max(n, 0):]
		}
		uvarint(&nsec)
		if !ok || nsec >= 1e9 {
			return lineRecord{}, errors.New("bad record")
		}
		r.at.nsec, r.line = int32(nsec), b
		return r, nil
	},
}
