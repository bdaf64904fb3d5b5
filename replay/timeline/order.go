package timeline

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/retrace-dev/retrace/replay/report"
)

// This file orders a view's findings across captures and keeps the first
// ones of a bounded view, so that the findings held do not grow with the
// number of captures.

// order is where a finding sorts in its view: in a ranked view most bytes
// (or failures) first, then most operations; then by time.
type order struct {
	rank, ops uint64 // zero in a view in time order
	sec       int64
	nsec      int32
}

// orderOf returns where d sorts in view.
func orderOf(view string, d *report.Detection) order {
	o := order{sec: d.Time.Unix(), nsec: int32(d.Time.Nanosecond())}
	if sortedByRank(view) {
		o.rank = rankOf(d)
		o.ops, _ = d.OutputFields["operations"].(uint64)
	}
	return o
}

func (a order) compare(b order) int {
	return cmp.Or(cmp.Compare(b.rank, a.rank), cmp.Compare(b.ops, a.ops), cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec))
}

// placed is a finding with where it sorts: its order, then its capture's
// place among the captures and its own in the capture's findings.
type placed struct {
	d         report.Detection
	at        order
	unit, pos int
}

func (a *placed) compare(b *placed) int {
	return cmp.Or(a.at.compare(b.at), cmp.Compare(a.unit, b.unit), cmp.Compare(a.pos, b.pos))
}

// firstFindings gathers one view's findings from its captures, in any
// order, and keeps the first max of them in the view's order (all when
// max is 0), counting the others. It is not safe for concurrent use.
type firstFindings struct {
	view string
	max  int
	// row, when set, is what is kept of a finding (see [report.TabRow]).
	row  func(*report.Detection) report.Detection
	kept []*placed // sorted once max is reached; merge swaps it with spare
	// spare is the other buffer of a merge.
	spare []*placed
	left  report.Tally
	// cut counts the events left out by captures that reached the bound
	// on their own; cutCaptures counts those captures.
	cut, cutCaptures int
}

// add adds the findings of the capture at place unit; cut counts the
// events its collector left out at the bound.
func (f *firstFindings) add(unit int, found []report.Detection, cut int) {
	if cut > 0 {
		f.cut += cut
		f.cutCaptures++
	}
	in := make([]*placed, len(found))
	for i := range found {
		in[i] = &placed{d: found[i], at: orderOf(f.view, &found[i]), unit: unit, pos: i}
		if f.row != nil {
			in[i].d = f.row(&found[i])
		}
	}
	if f.max == 0 {
		f.kept = append(f.kept, in...)
		return
	}
	slices.SortFunc(in, (*placed).compare)
	f.merge(in)
}

// merge merges in, sorted, into the kept findings, keeping the first max
// and counting the rest.
func (f *firstFindings) merge(in []*placed) {
	out := f.spare[:0]
	a, b := f.kept, in
	for len(out) < f.max && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || len(a) > 0 && a[0].compare(b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	for _, rest := range [][]*placed{a, b} {
		for _, p := range rest {
			f.left.Add(&p.d)
		}
	}
	clear(f.kept)
	f.kept, f.spare = out, f.kept[:0]
}

// finish fills rep's findings, the count of those left out and a note
// saying what was.
func (f *firstFindings) finish(rep *report.Report) {
	if f.max == 0 {
		slices.SortFunc(f.kept, (*placed).compare)
	}
	rep.Detections = make([]report.Detection, len(f.kept))
	for i, p := range f.kept {
		rep.Detections[i] = p.d
	}
	f.kept, f.spare = nil, nil
	rep.Left = f.left
	if f.left.Count == 0 && f.cut == 0 {
		return
	}
	note := fmt.Sprintf("view %s holds its first %d findings", f.view, len(rep.Detections))
	if f.left.Count > 0 {
		note += fmt.Sprintf("; %d more are left out", f.left.Count)
	}
	if f.cut > 0 {
		note += fmt.Sprintf("; %d capture(s) reached the bound of %d findings on their own, and their %d later events are neither shown nor counted", f.cutCaptures, f.max, f.cut)
	}
	rep.Notes = append(rep.Notes, note)
}
