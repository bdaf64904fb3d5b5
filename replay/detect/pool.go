package detect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// Progress counts the bytes of capture files read, for a progress bar.
// Its methods are safe for concurrent use.
type Progress struct {
	read, total atomic.Int64
}

// NewProgress returns a Progress whose total is the size of the files.
func NewProgress(paths []string) *Progress {
	p := &Progress{}
	for _, f := range paths {
		if st, err := os.Stat(f); err == nil {
			p.total.Add(st.Size())
		}
	}
	return p
}

// Read returns the bytes read so far and the total.
func (p *Progress) Read() (read, total int64) { return p.read.Load(), p.total.Load() }

// add counts n more bytes read; a nil Progress counts nothing.
func (p *Progress) add(n int64) {
	if p != nil {
		p.read.Add(n)
	}
}

// Workers returns the number of workers for n captures when at most
// limit run at once (0: one per CPU).
func Workers(n, limit int) int {
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	return max(min(n, limit), 1)
}

// ForEach calls fn(worker, i) for every i in [0, n) from workers
// goroutines (see [Workers]), each taking the next index when done with
// one; worker, in [0, workers), names the goroutine so that fn can keep
// per-worker state. It returns when every call has.
func ForEach(n, workers int, fn func(worker, i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(w, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// ReplayCapture replays the capture at path through the handler that
// newHandler returns once the capture's header is read (it gets the
// capture's file, host name and drops), adding the bytes read to prog
// (nil: not counted) and correcting the events' times by the host's
// offset in clock. It returns what it learnt of the capture: host name,
// drops, event count and time span. A handler's [replay.ErrStop] is not an
// error.
func ReplayCapture(ctx context.Context, path string, prog *Progress, clock ClockOffsets, newHandler func(report.CaptureInfo) replay.Handler) (report.CaptureInfo, error) {
	return ReplaySet(ctx, []string{path}, prog, clock, newHandler)
}

// ReplaySet is [ReplayCapture] for the files of a rotated set, in order
// (see [Sets]): one capture, replayed with one state carried from file to
// file (docs/FORMAT.md, "Rotated sets and the ring"). The capture is
// named after its first file; its drops add up the files'; a file missing
// from the sequence is noted. A file that does not open or read to its
// end is noted and the set goes on with the next one; once every file is
// replayed, their errors are returned, joined. An error of the handler or
// of ctx, and the handler's [replay.ErrStop], end the whole set.
func ReplaySet(ctx context.Context, files []string, prog *Progress, clock ClockOffsets, newHandler func(report.CaptureInfo) replay.Handler) (report.CaptureInfo, error) {
	info := infoOf(files[0], nil)
	if len(files) > 1 {
		info.Files = files
		info.Notes = append(info.Notes, fmt.Sprintf("rotated set of %d files: %s to %s", len(files), filepath.Base(files[0]), filepath.Base(files[len(files)-1])))
	}
	var st *replay.State
	var handle replay.Handler
	var first, last uint64
	var drops capture.DropTally // the drop markers, counted as read
	var recorded uint64         // the recorders' drop totals, read at each file's end
	var errs []error            // the files' errors, then what stopped the set
	n, prevSeq := 0, -1         // prevSeq: the previous file's place, -1 when unknown
	for i, file := range files {
		// setNote notes that file was not read to its end (how: "not
		// read", "read in part") for err.
		setNote := func(how string, err error) {
			errs = append(errs, err)
			if len(files) == 1 {
				return // the error says it all
			}
			note := fmt.Sprintf("%s: %s: %s", file, how, strings.TrimPrefix(err.Error(), file+": "))
			if i < len(files)-1 {
				note += "; the state after it comes from the next file's snapshot"
			}
			info.Notes = append(info.Notes, note)
		}
		rd, err := capture.Open(file)
		if err != nil {
			setNote("not read", err) // capture's errors name the file
			prevSeq = -1
			if md, merr := capture.ReadMetadata(file); merr == nil && md != nil && md.Rotation != nil {
				prevSeq = md.Rotation.Seq
			}
			continue
		}
		h := rd.Header()
		seq := setSeq(h)
		// Drop markers count events lost only in retrace's captures
		// (sysdig's drop events mark its sampling mode).
		retrace := h.Metadata != nil
		if st == nil {
			// The first file that opens seeds the state.
			base := infoOf(file, h)
			info.Hostname, info.Drops = base.Hostname, base.Drops
			handle = newHandler(info)
			st = replay.NewState(replay.Options{})
			st.LoadHeader(h)
		} else {
			st.LoadLaterHeader(h)
		}
		if prevSeq >= 0 && seq > prevSeq+1 {
			info.Notes = append(info.Notes, fmt.Sprintf("%s: files %d to %d of the rotated set are missing: the state before it comes from its snapshot", file, prevSeq+1, seq-1))
		}
		prevSeq = seq
		if off := clock.Of(info.Hostname); off != 0 {
			rd.SetClockOffset(off)
		}
		var lastBytes int64
		var stop error // the handler's error
		err = st.Replay(ctx, rd, func(e *replay.Event) error {
			ts := e.Ev.Ts()
			if first == 0 {
				first = ts
			}
			last = ts
			if retrace {
				drops.Add(e.Ev, e.Frame)
			}
			if n++; n&0x3fff == 0 && prog != nil {
				b := rd.Stats().FileBytes
				prog.add(b - lastBytes)
				lastBytes = b
			}
			if handle == nil {
				return nil
			}
			stop = handle(e)
			return stop
		})
		rst := rd.Stats()
		prog.add(rst.FileBytes - lastBytes)
		info.LeftOut += uint64(rst.ContainerFramesLeftOut)
		for _, n := range rst.LeftOut() {
			if len(files) > 1 {
				n = filepath.Base(file) + ": " + n
			}
			info.Notes = append(info.Notes, n)
		}
		// retrace writes its drop totals at the end of the file, which
		// the reader has reached now, unless the replay stopped early.
		if md := rd.Header().Metadata; md != nil && md.Drops != nil {
			recorded += md.Drops.Total
		} else if sum, serr := capture.ReadSummary(file); serr == nil && sum.Metadata != nil && sum.Metadata.Drops != nil {
			recorded += sum.Metadata.Drops.Total
		}
		rd.Close()
		if err != nil && (stop != nil || ctx.Err() != nil) {
			if !errors.Is(err, replay.ErrStop) {
				errs = append(errs, err)
			}
			break
		}
		if err != nil {
			setNote("read in part", err) // the file's bytes: the reader's errors name it
		}
	}
	if st != nil {
		info.Events = st.Stats().Events
		if h := st.Machine.Hostname; h != "" {
			info.Hostname = h
		}
		info.Notes = append(info.Notes, boundNotes(st)...)
		info.LeftOut += leftOut(st)
	}
	if first != 0 {
		info.Start, info.End = time.Unix(0, int64(first)), time.Unix(0, int64(last))
	}
	info.Drops = max(recorded, drops.Lost)
	if n := dropNote(&drops, recorded); n != "" {
		info.Notes = append(info.Notes, n)
	}
	if len(errs) == 1 {
		return info, errs[0]
	}
	return info, errors.Join(errs...)
}

// dropNote says how many events the recorder lost and where they fell,
// from the drop markers read and the recorder's totals (0 when it wrote
// none, e.g. after a crash); "" when it lost none.
func dropNote(markers *capture.DropTally, recorded uint64) string {
	switch {
	case markers.Markers == 0 && recorded == 0:
		return ""
	case markers.Markers == 0:
		return fmt.Sprintf("recorder drops: %d events lost (the recorder's totals; no drop markers in the events read)", recorded)
	case recorded == 0:
		return "recorder drops: " + markers.String() + " (the recorder's totals are missing)"
	case recorded != markers.Lost:
		return fmt.Sprintf("recorder drops: %s; the recorder's totals say %d", markers.String(), recorded)
	}
	return "recorder drops: " + markers.String()
}

// boundNotes says what the state left out at its bounds (docs/FORMAT.md,
// "Limits of the analysis").
func boundNotes(st *replay.State) []string {
	var notes []string
	for _, b := range st.Bounded() {
		notes = append(notes, b.String())
	}
	return notes
}

// leftOut counts what the state left out at its bounds.
func leftOut(st *replay.State) uint64 {
	var n uint64
	for _, b := range st.Bounded() {
		n += b.Count
	}
	return n
}

// setSeq is the place of a capture in its rotated set (0: not in one).
func setSeq(h *capture.Header) int {
	if h == nil || h.Metadata == nil || h.Metadata.Rotation == nil {
		return 0
	}
	return h.Metadata.Rotation.Seq
}

// Sets groups paths into captures: the files of one rotated set (the same
// rotation.set in their metadata) become one capture, its files in
// sequence order, at the place of its first file among paths; every other
// path is a capture of its own. A file whose metadata cannot be read is a
// capture of its own (its replay reports the error); a second file with
// the same place in the same set is left out.
func Sets(paths []string) [][]string { return sets(paths, rotation) }

// sets is [Sets] with rotationOf telling a file's place in its set.
func sets(paths []string, rotationOf func(path string) *capture.Rotation) [][]string {
	type member struct {
		path string
		seq  int
	}
	var units [][]string
	sets := map[string]int{} // set id -> index in units
	members := map[int][]member{}
	for _, p := range paths {
		var set string
		var seq int
		if strings.Contains(filepath.Base(p), ".zst") {
			if r := rotationOf(p); r != nil {
				set, seq = r.Set, r.Seq
			}
		}
		if set == "" {
			units = append(units, []string{p})
			continue
		}
		i, ok := sets[set]
		if !ok {
			i = len(units)
			sets[set] = i
			units = append(units, nil)
		}
		members[i] = append(members[i], member{p, seq})
	}
	for i, ms := range members {
		slices.SortStableFunc(ms, func(a, b member) int { return a.seq - b.seq })
		for j, m := range ms {
			if j > 0 && ms[j-1].seq == m.seq {
				continue // the same file twice (a ring's staged file and its written-out link)
			}
			units[i] = append(units[i], m.path)
		}
	}
	return units
}

// rotation returns the place of the capture at path in its rotated set,
// nil when it is in none or cannot be opened. It reads the start metadata
// without decompressing anything ([capture.ReadMetadata]) and, for a file
// of a set, checks that the file is whole (it ends with its summary); a
// file that is not, damaged or cut short, is opened as before, so that it
// joins its set only when the reader opens it, as the set's replay will.
func rotation(path string) *capture.Rotation {
	md, err := capture.ReadMetadata(path)
	if err == nil && (md == nil || md.Rotation == nil) {
		return nil
	}
	if err == nil {
		if _, err = capture.ReadSummary(path); err == nil {
			return md.Rotation
		}
	}
	return openRotation(path)
}

// openRotation is [rotation] by opening the capture and reading its
// header.
func openRotation(path string) *capture.Rotation {
	rd, err := capture.Open(path)
	if err != nil {
		return nil
	}
	defer rd.Close()
	if md := rd.Header().Metadata; md != nil {
		return md.Rotation
	}
	return nil
}

// infoOf describes the capture at path from its header h (nil: not read).
func infoOf(path string, h *capture.Header) report.CaptureInfo {
	info := report.CaptureInfo{File: path}
	if h == nil {
		return info
	}
	if h.Machine != nil {
		info.Hostname = h.Machine.Hostname
	}
	if h.Metadata != nil && h.Metadata.Drops != nil {
		info.Drops = h.Metadata.Drops.Total
	}
	return info
}
