package merge

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Codec turns records into bytes and back, for a [Spill].
type Codec[T any] struct {
	// Append appends rec's encoding to dst.
	Append func(dst []byte, rec T) []byte
	// Decode returns the record that b, an encoding of Append, holds; the
	// record may keep b.
	Decode func(b []byte) (T, error)
}

// maxRecord bounds a spilled record's length as read back.
const maxRecord = 1 << 30

// readBuffer is the read buffer of one spilled run: with hundreds of runs
// merged at once it bounds the merge's memory.
const readBuffer = 8 << 10

// Spill is a temporary file of runs, one after the other: its writer
// appends a run's records, then [Spill.Run] reads them back once the spill
// is flushed. It is not safe for concurrent writes; its runs may be read
// concurrently.
type Spill[T any] struct {
	f     *os.File
	w     *bufio.Writer
	codec Codec[T]
	off   int64
	buf   []byte
}

// NewSpill creates a spill file in dir (empty: the system's temporary
// directory), named after pattern as [os.CreateTemp] names it, and unlinks
// it, so that nothing is left behind if the process dies.
func NewSpill[T any](dir, pattern string, codec Codec[T]) (*Spill[T], error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("create merge file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("create merge file: %w", err)
	}
	return &Spill[T]{f: f, w: bufio.NewWriterSize(f, 64<<10), codec: codec}, nil
}

// Offset is the end of what was written: a run's records are those
// written between two offsets.
func (s *Spill[T]) Offset() int64 { return s.off }

// Write appends rec to the current run.
func (s *Spill[T]) Write(rec T) error {
	// The record's length, then the record: reserve the longest length.
	const room = binary.MaxVarintLen64
	s.buf = s.codec.Append(append(s.buf[:0], make([]byte, room)...), rec)
	n := len(s.buf) - room
	var size [room]byte
	k := binary.PutUvarint(size[:], uint64(n))
	copy(s.buf[room-k:], size[:k])
	w, err := s.w.Write(s.buf[room-k:])
	s.off += int64(w)
	if err != nil {
		return fmt.Errorf("write merge file: %w", err)
	}
	return nil
}

// Flush makes every written run readable.
func (s *Spill[T]) Flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write merge file: %w", err)
	}
	return nil
}

// Close releases the file.
func (s *Spill[T]) Close() error { return s.f.Close() }

// Run returns the run of the records written between offsets start and
// end. It reads nothing before its first Next, which must come after
// [Spill.Flush].
func (s *Spill[T]) Run(start, end int64) Run[T] {
	return &spillRun[T]{sp: s, start: start, end: end}
}

// spillRun reads a run back from its spill, opened on the first read.
type spillRun[T any] struct {
	sp         *Spill[T]
	start, end int64
	r          *bufio.Reader
}

func (s *spillRun[T]) Next() (T, bool, error) {
	var zero T
	if s.r == nil {
		s.r = bufio.NewReaderSize(io.NewSectionReader(s.sp.f, s.start, s.end-s.start), readBuffer)
	}
	n, err := binary.ReadUvarint(s.r)
	if err == io.EOF {
		return zero, false, nil
	}
	if err == nil && n > maxRecord {
		err = errors.New("bad record length")
	}
	if err != nil {
		return zero, false, fmt.Errorf("read merge file: %w", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(s.r, b); err != nil {
		return zero, false, fmt.Errorf("read merge file: %w", err)
	}
	rec, err := s.sp.codec.Decode(b)
	if err != nil {
		return zero, false, fmt.Errorf("read merge file: %w", err)
	}
	return rec, true, nil
}
