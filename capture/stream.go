package capture

import (
	"bufio"
	"errors"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// streamSource reads blocks from a byte stream: a plain scap file, or the
// decompressed content of a gzip or zstd stream.
type streamSource struct {
	name  string
	br    *bufio.Reader
	file  *countingReader
	off   int64  // offset in the scap stream
	big   []byte // buffer for blocks larger than br's buffer
	frame int
	// zeroTail is set when Open cut a zero-filled tail off the compressed
	// file: the end of the stream is then a truncation.
	zeroTailCut bool
}

func newStreamSource(name string, br *bufio.Reader, file *countingReader, frame int) *streamSource {
	return &streamSource{name: name, br: br, file: file, frame: frame}
}

func (s *streamSource) truncated() error {
	return &TruncatedError{File: s.name, Offset: s.off, Frame: s.frame}
}

func (s *streamSource) corrupt(reason string, err error) error {
	return &CorruptError{File: s.name, Offset: s.off, Frame: s.frame, Reason: reason, Err: err}
}

// readErr classifies an error from the underlying stream.
func (s *streamSource) readErr(err error) error {
	switch {
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return s.truncated()
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return s.corrupt("bad gzip data", err)
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return windowError(s.name, s.off, 0)
	case errors.Is(err, zstd.ErrCRCMismatch), errors.Is(err, zstd.ErrMagicMismatch):
		return s.corrupt("bad zstd data", err)
	}
	return s.corrupt("read error", err)
}

// zeroTail consumes the rest of the stream and reports a truncation when it
// is all zeros (a file system's zero-filled tail) or corruption otherwise.
func (s *streamSource) zeroTail() error {
	var buf [32 << 10]byte
	for {
		n, err := s.br.Read(buf[:])
		if !allZero(buf[:n]) {
			return s.corrupt("block header of type 0 and length 0 followed by non-zero bytes", nil)
		}
		if err == io.EOF {
			return s.truncated()
		}
		if err != nil {
			return s.readErr(err)
		}
	}
}

func (s *streamSource) next() (Block, error) {
	hdr, err := s.br.Peek(blockHeaderLen)
	if len(hdr) < blockHeaderLen {
		if len(hdr) == 0 && err == io.EOF {
			if s.zeroTailCut {
				return Block{}, s.truncated()
			}
			return Block{}, io.EOF
		}
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return Block{}, s.readErr(err)
	}
	if allZero(hdr) {
		return Block{}, s.zeroTail()
	}
	typ, total, err := parseBlockHeader(hdr)
	if err != nil {
		return Block{}, s.corrupt("bad block header", err)
	}
	var raw []byte
	if int(total) <= s.br.Size() {
		raw, err = s.br.Peek(int(total))
		if len(raw) < int(total) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return Block{}, s.readErr(err)
		}
		s.br.Discard(int(total))
	} else {
		// Read a large block in steps, so that memory follows the bytes
		// that are really there rather than the length field.
		s.big = s.big[:0]
		for len(s.big) < int(total) {
			step := min(int(total)-len(s.big), fileBufferSize)
			s.big = append(s.big, make([]byte, step)...)
			n, err := io.ReadFull(s.br, s.big[len(s.big)-step:])
			if n < step {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return Block{}, s.readErr(err)
			}
		}
		raw = s.big
	}
	if err := checkTrailer(raw); err != nil {
		return Block{}, s.corrupt("bad block", err)
	}
	b := Block{Type: typ, Offset: s.off, Raw: raw}
	s.off += int64(total)
	return b, nil
}

func (s *streamSource) stats(st *Stats) {
	st.RawBytes += s.off
	st.FileBytes += s.file.n
}

func (s *streamSource) close() {}

// zstdStream reads a zstd file whose frames do not carry what the parallel
// frame reader needs (a content size within limits): one streaming decoder.
type zstdStream struct {
	*streamSource
	dec *zstd.Decoder
}

func (z *zstdStream) close() { z.dec.Close() }
