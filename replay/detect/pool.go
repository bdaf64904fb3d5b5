package detect

import (
	"context"
	"errors"
	"os"
	"runtime"
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
	info := infoOf(path, nil)
	rd, err := capture.Open(path)
	if err != nil {
		return info, err // capture's errors name the file
	}
	defer rd.Close()
	info = infoOf(path, rd.Header())
	if off := clock.Of(info.Hostname); off != 0 {
		rd.SetClockOffset(off)
	}
	handle := newHandler(info)
	var first, last uint64
	var lastBytes int64
	n := 0
	st, err := replay.ReplayReader(ctx, rd, replay.Options{}, func(e *replay.Event) error {
		ts := e.Ev.Ts()
		if first == 0 {
			first = ts
		}
		last = ts
		if n++; n&0x3fff == 0 && prog != nil {
			b := rd.Stats().FileBytes
			prog.add(b - lastBytes)
			lastBytes = b
		}
		if handle == nil {
			return nil
		}
		return handle(e)
	})
	prog.add(rd.Stats().FileBytes - lastBytes)
	if st != nil {
		info.Events = st.Stats().Events
		if h := st.Machine.Hostname; h != "" {
			info.Hostname = h
		}
	}
	if first != 0 {
		info.Start, info.End = time.Unix(0, int64(first)), time.Unix(0, int64(last))
	}
	if err != nil && !errors.Is(err, replay.ErrStop) {
		return info, err
	}
	return info, nil
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
