package timeline

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// This file writes a view a line per finding without holding every
// finding: each capture's findings, sorted, are encoded by the worker that
// replayed it into a run, held in memory while every capture has its own
// worker and otherwise appended to that worker's temporary file; the runs
// are then merged. replay/detect merges its detections the same way, by
// time only.

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
	runs := make([]lineRun, len(units))
	var spills []*lineSpill // by worker, when captures wait for workers
	if len(units) > workers {
		spills = make([]*lineSpill, workers)
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
		slices.SortStableFunc(sorted, func(a, b lineRecord) int { return a.at.compare(b.at) })
		if spills == nil {
			runs[i] = &memoryRun{recs: sorted}
			return
		}
		if spills[w] == nil {
			sp, err := newLineSpill(tempDir)
			if err != nil {
				errs[i] = errors.Join(errs[i], err)
				runs[i] = &memoryRun{}
				return
			}
			spills[w] = sp
		}
		run, err := spills[w].write(sorted)
		if err != nil {
			errs[i] = errors.Join(errs[i], err)
			run = &memoryRun{}
		}
		runs[i] = run
	})
	for _, sp := range spills {
		if sp != nil {
			defer sp.f.Close()
			if err := sp.w.Flush(); err != nil {
				errs = append(errs, fmt.Errorf("write merge file: %w", err))
			}
		}
	}
	rep := &report.Report{Title: "retrace timeline: " + view, View: view, Captures: infos}
	if err := mergeLines(runs, emit); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// lineRecord is one finding's line and where it sorts.
type lineRecord struct {
	at   order
	line []byte
}

// lineRun yields one capture's records, sorted.
type lineRun interface {
	// next returns the next record; ok is false at the end.
	next() (rec lineRecord, ok bool, err error)
}

// memoryRun is a run held in memory.
type memoryRun struct{ recs []lineRecord }

func (m *memoryRun) next() (lineRecord, bool, error) {
	if len(m.recs) == 0 {
		return lineRecord{}, false, nil
	}
	r := m.recs[0]
	m.recs[0] = lineRecord{}
	m.recs = m.recs[1:]
	return r, true, nil
}

// lineSpill is one worker's temporary file of runs, unlinked at once so
// that nothing is left behind if retrace dies.
type lineSpill struct {
	f   *os.File
	w   *bufio.Writer
	off int64
	buf []byte
}

func newLineSpill(dir string) (*lineSpill, error) {
	f, err := os.CreateTemp(dir, "retrace-timeline-*")
	if err != nil {
		return nil, fmt.Errorf("create merge file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("create merge file: %w", err)
	}
	return &lineSpill{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// write appends recs as a run and returns it, readable once the spill is
// flushed.
func (s *lineSpill) write(recs []lineRecord) (lineRun, error) {
	start := s.off
	for _, r := range recs {
		b := binary.AppendUvarint(s.buf[:0], r.at.rank)
		b = binary.AppendUvarint(b, r.at.ops)
		b = binary.AppendVarint(b, r.at.sec)
		b = binary.AppendUvarint(b, uint64(r.at.nsec))
		b = binary.AppendUvarint(b, uint64(len(r.line)))
		s.buf = append(b, r.line...)
		n, err := s.w.Write(s.buf)
		s.off += int64(n)
		if err != nil {
			return nil, fmt.Errorf("write merge file: %w", err)
		}
	}
	return &spillRun{sp: s, start: start, end: s.off}, nil
}

// spillRunBuffer is the read buffer of a spilled run: hundreds of runs are
// merged at once.
const spillRunBuffer = 8 << 10

// spillRun reads a run back from its spill, opened on the first read.
type spillRun struct {
	sp         *lineSpill
	start, end int64
	r          *bufio.Reader
}

func (s *spillRun) next() (lineRecord, bool, error) {
	if s.r == nil {
		s.r = bufio.NewReaderSize(io.NewSectionReader(s.sp.f, s.start, s.end-s.start), spillRunBuffer)
	}
	var rec lineRecord
	var err error
	if rec.at.rank, err = binary.ReadUvarint(s.r); err == io.EOF {
		return lineRecord{}, false, nil
	}
	var nsec, n uint64
	if err == nil {
		rec.at.ops, err = binary.ReadUvarint(s.r)
	}
	if err == nil {
		rec.at.sec, err = binary.ReadVarint(s.r)
	}
	if err == nil {
		nsec, err = binary.ReadUvarint(s.r)
	}
	if err == nil {
		n, err = binary.ReadUvarint(s.r)
	}
	if err == nil && (n > 1<<30 || nsec >= 1e9) {
		err = errors.New("bad record")
	}
	if err == nil {
		rec.at.nsec = int32(nsec)
		rec.line = make([]byte, n)
		_, err = io.ReadFull(s.r, rec.line)
	}
	if err != nil {
		return lineRecord{}, false, fmt.Errorf("read merge file: %w", err)
	}
	return rec, true, nil
}

// lineHead is a run's next record in the merge heap.
type lineHead struct {
	rec lineRecord
	run int // ties go to the lower run
}

type lineHeap []lineHead

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	if c := h[i].rec.at.compare(h[j].rec.at); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}
func (h lineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)   { *h = append(*h, x.(lineHead)) }
func (h *lineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeLines emits the lines of every run in order until all end or emit
// or a read fails.
func mergeLines(runs []lineRun, emit func([]byte) error) error {
	h := make(lineHeap, 0, len(runs))
	pull := func(i int) error {
		rec, ok, err := runs[i].next()
		if ok {
			heap.Push(&h, lineHead{rec: rec, run: i})
		}
		return err
	}
	for i := range runs {
		if err := pull(i); err != nil {
			return err
		}
	}
	for h.Len() > 0 {
		top := heap.Pop(&h).(lineHead)
		if err := emit(top.rec.line); err != nil {
			return err
		}
		if err := pull(top.run); err != nil {
			return err
		}
	}
	return nil
}
