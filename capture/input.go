package capture

import (
	"bufio"
	"io"
)

// frameInput is the byte stream the frame scanner reads: a buffered file
// plus bytes given back by a resynchronisation (read again before the
// file), and the file offset of the next byte.
type frameInput struct {
	br      *bufio.Reader
	pend    []byte // given-back bytes, read before br
	scratch []byte // peek buffer when pend is shorter than a peek
	pos     int64
}

// peek returns up to n bytes without consuming them; fewer at the end of
// the file.
func (in *frameInput) peek(n int) []byte {
	if len(in.pend) == 0 {
		b, _ := in.br.Peek(n)
		return b
	}
	if len(in.pend) >= n {
		return in.pend[:n]
	}
	more, _ := in.br.Peek(n - len(in.pend))
	in.scratch = append(append(in.scratch[:0], in.pend...), more...)
	return in.scratch
}

// readFull fills p, returning io.EOF when nothing was read and
// io.ErrUnexpectedEOF when only part of p was.
func (in *frameInput) readFull(p []byte) error {
	n := copy(p, in.pend)
	in.pend = in.pend[n:]
	m, err := io.ReadFull(in.br, p[n:])
	in.pos += int64(n + m)
	if err == io.EOF && n > 0 {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// discard drops up to n bytes and returns how many it dropped.
func (in *frameInput) discard(n int64) int64 {
	k := min(n, int64(len(in.pend)))
	in.pend = in.pend[k:]
	var total = k
	for total < n {
		step := int(min(n-total, 1<<30))
		d, err := in.br.Discard(step)
		total += int64(d)
		if err != nil {
			break
		}
	}
	in.pos += total
	return total
}

// unread gives b, the bytes just before the current position, back to the
// stream.
func (in *frameInput) unread(b []byte) {
	if len(b) == 0 {
		return
	}
	in.pend = append(append(make([]byte, 0, len(b)+len(in.pend)), b...), in.pend...)
	in.pos -= int64(len(b))
}
