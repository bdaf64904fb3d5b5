package detect

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// This file merges the per-capture output streams, each in time order,
// into one stream in time order (ties: capture order). Live captures
// stream through channels; with more captures than workers, finished
// captures' lines wait in spill files (one per worker, unlinked at once)
// and are read back through small buffers, so memory does not grow with
// the output.

// stream yields one capture's items in time order.
type stream interface {
	// next returns the next item; ok is false at the end.
	next() (it Item, ok bool, err error)
}

// chanStream reads items from a live capture's channel.
type chanStream chan Item

func (c chanStream) next() (Item, bool, error) {
	it, ok := <-c
	return it, ok, nil
}

// sliceStream yields items held in memory.
type sliceStream struct{ items []Item }

func (s *sliceStream) next() (Item, bool, error) {
	if len(s.items) == 0 {
		return Item{}, false, nil
	}
	it := s.items[0]
	s.items[0] = Item{}
	s.items = s.items[1:]
	return it, true, nil
}

// spillReadBuffer is the read buffer of one spilled run: with hundreds of
// runs merged at once it bounds the merge's memory.
const spillReadBuffer = 8 << 10

// spill is one worker's temporary file of encoded line items, holding the
// runs of the captures the worker replayed one after the other.
type spill struct {
	f   *os.File
	w   *bufio.Writer
	off int64
	buf []byte
}

// newSpill creates a spill file in dir (default: the system's temporary
// directory) and unlinks it, so nothing is left behind if retrace dies.
func newSpill(dir string) (*spill, error) {
	f, err := os.CreateTemp(dir, "retrace-merge-*")
	if err != nil {
		return nil, fmt.Errorf("create merge file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("create merge file: %w", err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// write appends an item (its time and line) to the current run.
func (s *spill) write(it Item) error {
	s.buf = binary.AppendUvarint(s.buf[:0], it.Time)
	s.buf = binary.AppendUvarint(s.buf, uint64(len(it.Line)))
	s.buf = append(s.buf, it.Line...)
	n, err := s.w.Write(s.buf)
	s.off += int64(n)
	if err != nil {
		return fmt.Errorf("write merge file: %w", err)
	}
	return nil
}

// flush makes every written run readable.
func (s *spill) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write merge file: %w", err)
	}
	return nil
}

// close releases the file.
func (s *spill) close() { s.f.Close() }

// run returns a stream over bytes [start, end) of the spill.
func (s *spill) run(start, end int64) stream {
	return &spillRun{r: bufio.NewReaderSize(io.NewSectionReader(s.f, start, end-start), spillReadBuffer)}
}

// spillRun reads one run back.
type spillRun struct {
	r *bufio.Reader
}

func (s *spillRun) next() (Item, bool, error) {
	ts, err := binary.ReadUvarint(s.r)
	if err == io.EOF {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("read merge file: %w", err)
	}
	n, err := binary.ReadUvarint(s.r)
	if err != nil || n > 1<<30 {
		return Item{}, false, fmt.Errorf("read merge file: bad line length (%v)", err)
	}
	line := make([]byte, n)
	if _, err := io.ReadFull(s.r, line); err != nil {
		return Item{}, false, fmt.Errorf("read merge file: %w", err)
	}
	return Item{Time: ts, Line: line}, true, nil
}

// mergeHead is a stream's next item in the merge heap.
type mergeHead struct {
	it  Item
	src int // index of the stream: ties go to the lower one
}

type mergeHeap []mergeHead

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].it.Time != h[j].it.Time {
		return h[i].it.Time < h[j].it.Time
	}
	return h[i].src < h[j].src
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeHead)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge emits the items of every stream in time order (ties: stream
// order) until all end. An emit error stops the emitting, not the reading:
// every stream is drained so that its producer can finish, and the first
// error is returned.
func merge(streams []stream, emit func(Item) error) error {
	var first error
	h := make(mergeHeap, 0, len(streams))
	pull := func(src int) {
		it, ok, err := streams[src].next()
		if err != nil && first == nil {
			first = err
		}
		if ok {
			heap.Push(&h, mergeHead{it: it, src: src})
		}
	}
	for i := range streams {
		pull(i)
	}
	for h.Len() > 0 {
		top := heap.Pop(&h).(mergeHead)
		if first == nil {
			first = emit(top.it)
		}
		pull(top.src)
	}
	return first
}
