package capture

import (
	"bufio"
	"io"
)

// ReadMetadata reads the capture metadata at the start of the retrace
// .scap.zst file at path: the RTMS frame that follows the header frames
// (recorder, host name, start and boot time, the containers known then,
// the file's place in a rotated set) with what RTCT frames before it add,
// which is what [Reader.Header] has once [Open] returns (for a capture
// without events Open has read the closing metadata as well). It
// decompresses nothing: the header frames are passed over by their frame
// and block headers, so that sorting many captures (into rotated sets,
// say) costs a few reads of each rather than an Open. The counters written
// at close (stop time, drops) are in the closing metadata, which
// [ReadSummary] reads.
//
// It returns nil and no error for a capture without retrace metadata: a
// .scap or .scap.gz file, a zstd file another tool wrote, a retrace file
// whose start metadata is missing. The frames it reads are parsed and
// checked by the reader's own code, and it fails with the reader's errors,
// which name the file: a *[NotCaptureError] for a file that is not a
// capture, a *[LimitError], a *[CorruptError] or *[TruncatedError] at the
// offset of the frame it cannot read. Unlike the reader, it does not read
// on past damage.
func ReadMetadata(path string) (*Metadata, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, openError("read metadata", err)
	}
	defer f.Close()
	return readMetadata(f, path)
}

// metaBufferSize is the size of ReadMetadata's read buffer and the
// capacity its frame buffer starts with: enough for the header frame and
// metadata of a small capture (capgen's take 834 bytes); a larger header
// frame grows the frame buffer as the reader's would.
const metaBufferSize = 4 << 10

// readMetadata is [ReadMetadata] for a capture read from r, named name in
// errors.
func readMetadata(r io.Reader, name string) (*Metadata, error) {
	br := bufio.NewReaderSize(r, metaBufferSize)
	format, err := sniff(name, br)
	if err != nil {
		return nil, err
	}
	if format != FormatZstd {
		return nil, nil
	}
	if err := windowLimit(name, br); err != nil {
		return nil, err
	}
	if !framed(br) {
		return nil, nil // one streamed frame: not retrace's
	}
	s := &frameSource{name: name, in: frameInput{br: br}}
	var m metaState
	j := frameJob{src: make([]byte, 0, metaBufferSize)}
	var content int64 // the content the zstd frames passed over declare
	for index := 0; ; index++ {
		j.index, j.offset, j.src = index, s.in.pos, j.src[:0]
		_, err := s.readFrame(&j)
		if err == io.EOF {
			return m.metadata(), nil
		}
		if err != nil {
			return nil, err
		}
		if j.kind == jobData {
			// Header frames hold at most MaxHeaderBytes (the writer
			// refuses more); past them the start metadata cannot come.
			if content += int64(j.size); content > MaxHeaderBytes {
				return m.metadata(), nil
			}
			continue
		}
		payload := j.src[8:]
		if j.magic == retraceMagic && len(payload) >= 4 {
			switch string(payload[:4]) {
			case tagIndex, tagFooter, tagCheckpoint:
				// Written after the first event frame: the start
				// metadata is missing.
				return m.metadata(), nil
			}
		}
		if err := m.add(j.magic, payload, j.offset); err != nil {
			return nil, s.corruptAt(&j, "bad metadata frame", err)
		}
		if m.start != nil || m.end != nil {
			return m.metadata(), nil
		}
	}
}
