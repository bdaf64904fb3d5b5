package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrNoSummary is returned by [ReadSummary] for a file that does not end
// with retrace's seek table and footer: not a retrace .scap.zst file, or one
// whose writer did not close it.
var ErrNoSummary = errors.New("capture: no retrace footer at the end of the file")

// Summary is what the closing frames of a retrace .scap.zst file say about
// the whole capture.
type Summary struct {
	// Events is the number of events in the file.
	Events uint64
	// FirstTS and LastTS are the first and last event timestamps (ns).
	FirstTS, LastTS uint64
	// Frames is the frame index: one entry per event frame, in file order.
	Frames []FrameInfo
	// Metadata is the closing capture metadata.
	Metadata *Metadata
}

// ReadSummary reads the summary of the retrace .scap.zst file at path from
// its last frames (seek table, footer, index, metadata) without reading or
// decompressing its events, e.g. to seek by time.
func ReadSummary(path string) (*Summary, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, openError("read summary", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	return readSummary(f, fi.Size(), path)
}

func readSummary(r io.ReaderAt, size int64, name string) (*Summary, error) {
	corrupt := func(off int64, format string, a ...any) error {
		return &CorruptError{File: name, Offset: off, Frame: -1, Reason: fmt.Sprintf(format, a...)}
	}
	read := func(off int64, n int) ([]byte, error) {
		if off < 0 || n < 0 || off+int64(n) > size {
			return nil, corrupt(off, "%d bytes past the end of the %d-byte file", n, size)
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, off); err != nil {
			return nil, fmt.Errorf("read summary of %s: %w", name, err)
		}
		return b, nil
	}
	if size < 17 {
		return nil, ErrNoSummary
	}
	tail, err := read(size-9, 9)
	if err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(tail[5:]) != seekableFooterMagc {
		return nil, ErrNoSummary
	}
	n := int64(binary.LittleEndian.Uint32(tail))
	entry := int64(8)
	if tail[4]&0x80 != 0 {
		entry = 12
	}
	tableLen := n*entry + 9
	tableOff := size - 8 - tableLen
	if n < 1 || tableOff < 0 {
		return nil, corrupt(size-9, "seek table of %d frames does not fit in the file", n)
	}
	table, err := read(tableOff, int(8+tableLen))
	if err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(table) != seekTableMagic || int64(binary.LittleEndian.Uint32(table[4:])) != tableLen {
		return nil, corrupt(tableOff, "bad seek table frame header")
	}
	// The footer is the last frame before the seek table, or the one
	// before the final checkpoint.
	offs := make([]int64, n+1)
	for i := int64(0); i < n; i++ {
		offs[i+1] = offs[i] + int64(binary.LittleEndian.Uint32(table[8+i*entry:]))
	}
	if offs[n] != tableOff {
		return nil, corrupt(tableOff, "seek table covers %d bytes, the frames before it %d", offs[n], tableOff)
	}
	off := offs[n-1]
	if n >= 2 {
		if h, err := read(off, 12); err == nil && string(h[8:12]) == tagCheckpoint {
			off = offs[n-2]
		}
	}
	payload := func(off int64, tag string) ([]byte, error) {
		h, err := read(off, 12)
		if err != nil {
			return nil, err
		}
		plen := int64(binary.LittleEndian.Uint32(h[4:]))
		if binary.LittleEndian.Uint32(h) != retraceMagic || string(h[8:12]) != tag || plen < 4 || plen > maxMetaPayload {
			return nil, corrupt(off, "expected a %s frame", tag)
		}
		return read(off+12, int(plen-4))
	}
	fb, err := payload(off, tagFooter)
	if err != nil {
		return nil, err
	}
	ft, err := decodeFooter(fb)
	if err != nil {
		return nil, corrupt(off, "%v", err)
	}
	for _, fo := range []struct {
		tag string
		off int64
	}{{tagIndex, ft.IndexOffset}, {tagMetaEnd, ft.MetadataOffset}} {
		if fo.off < 0 || fo.off >= off {
			return nil, corrupt(off, "footer puts the %s frame at offset %d, outside the %d bytes before the footer", fo.tag, uint64(fo.off), off)
		}
	}
	s := &Summary{Events: ft.Events, FirstTS: ft.FirstTS, LastTS: ft.LastTS}
	ib, err := payload(ft.IndexOffset, tagIndex)
	if err != nil {
		return nil, err
	}
	if s.Frames, err = decodeIndex(ib); err != nil {
		return nil, corrupt(ft.IndexOffset, "%v", err)
	}
	mb, err := payload(ft.MetadataOffset, tagMetaEnd)
	if err != nil {
		return nil, err
	}
	if s.Metadata, err = decodeMetadata(mb); err != nil {
		return nil, corrupt(ft.MetadataOffset, "%v", err)
	}
	return s, nil
}
