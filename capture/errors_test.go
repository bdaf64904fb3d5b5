package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// smallCapture is a tiny capture: a section header and a few close events.
func smallCapture(t testing.TB, f capture.Format, events int, opts capture.WriterOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts.Format = f
	w, err := capture.NewWriter(&buf, "small", opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		ev := scap.AppendEvent(nil, uint64(1000+i), 7, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(int64(i)))
		if err := w.WriteEvent(0, 0, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCorruptAndTruncated checks the error, and its text, for damaged files.
func TestCorruptAndTruncated(t *testing.T) {
	plain := smallCapture(t, capture.FormatScap, 10, capture.WriterOptions{})
	// SHB is 28 bytes; every close event block is 8+2+(26+4+16)+4 = 60 bytes.
	const shb, blk = 28, 60
	if len(plain) != shb+10*blk {
		t.Fatalf("plain capture has %d bytes, want %d", len(plain), shb+10*blk)
	}
	zst := smallCapture(t, capture.FormatZstd, 10, capture.WriterOptions{FrameSize: 3 * blk})
	mod := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	}
	// Offsets of the frames of zst: frame 0 is the SHB, then start metadata,
	// the first event frame (3 events), the first checkpoint, then event
	// frames of 3 events each.
	frames := frameOffsets(t, zst)
	gz := smallCapture(t, capture.FormatGzip, 10, capture.WriterOptions{})
	tests := []struct {
		name      string
		data      []byte
		want      string
		truncated bool
		events    int
	}{
		{"empty file", nil, "test: not a capture: an empty file", false, 0},
		{"zero-filled file", make([]byte, 4096), "test: truncated at offset 0: 0 events recovered", true, 0},
		{"text file", []byte("hello world\nrule: x\n"), "test: not a capture: a text file", false, 0},
		{"text file cut in a character", []byte("h\u00e9llo w\u00f6rld")[:13], "test: not a capture: a text file", false, 0},
		{"short file", []byte{1, 2}, "test: not a capture: a file of 2 bytes", false, 0},
		{"unknown magic", []byte("\x7fELF\x02\x01\x01\x00\x00"), "test: not a capture: unknown format (first bytes 7f 45 4c 46)", false, 0},
		{"gzip-compressed text", gzipped(t, []byte("just some notes\n")), "test: not a capture: gzip-compressed text", false, 0},
		{"zstd window over the limit", zstdWindow(plain, 27, false), "test: zstd window of 128 MiB at offset 0 is larger than the 64 MiB limit (decompress it with zstd -d and read the .scap)", false, 0},
		{"zstd window of 1 GiB", zstdWindow(plain, 30, false), "test: zstd window of 1024 MiB at offset 0 is larger than the 64 MiB limit (decompress it with zstd -d --memory=1024MB and read the .scap)", false, 0},
		{"zstd single segment over the limit", zstdWindow(plain, 87<<20, true), "test: zstd window of 87 MiB at offset 0 is larger than the 64 MiB limit (decompress it with zstd -d and read the .scap)", false, 0},
		{"cut in the middle of a block", plain[:shb+3*blk+20], "test: truncated at offset 208: 3 events recovered", true, 3},
		{"cut in a block header", plain[:shb+5*blk+4], "test: truncated at offset 328: 5 events recovered", true, 5},
		{"zero-filled tail", append(append([]byte(nil), plain[:shb+4*blk]...), make([]byte, 5000)...), "test: truncated at offset 268: 4 events recovered", true, 4},
		{"zeros then garbage", append(append(append([]byte(nil), plain[:shb+4*blk]...), make([]byte, 100)...), 1), "test: corrupt at offset 268: block header of type 0 and length 0 followed by non-zero bytes", false, 4},
		{"absurd block length", mod(plain, put32(shb+2*blk+4, 1<<30)), "test: corrupt at offset 148: bad block header: block EV_V2: length 1073741824 exceeds the 16777216-byte limit", false, 2},
		{"block length too small", mod(plain, put32(shb+4, 4)), "test: corrupt at offset 28: bad block header: block EV_V2: length 4 shorter than 12", false, 0},
		{"length past the end", mod(plain, put32(shb+9*blk+4, 1000)), "test: truncated at offset 568: 9 events recovered", true, 9},
		{"trailer mismatch", mod(plain, put32(shb+blk-4, 64)), "test: corrupt at offset 28: bad block: block EV_V2: trailer length 64 differs from header length 60", false, 0},
		{"event length past block", mod(plain, put32(shb+blk+10+16, 500)), "test: corrupt at offset 88: bad event: decode event: offset 16: event length 500 past the end of its 46 bytes", false, 1},
		{"parameter lengths do not add up", mod(plain, func(b []byte) []byte { binary.LittleEndian.PutUint16(b[shb+10+26:], 300); return b }), "test: corrupt at offset 28: bad event: decode event: offset 26: parameter 0 length 300 runs past event length 46", false, 0},
		{"bad section header magic", mod(plain, put32(8, 0x11111111)), "test: corrupt at offset 0: bad header block: section header: byte-order magic 0x11111111, want 0x1A2B3C4D", false, 0},
		{"first block not a section header", plain[shb:], "test: not a capture: unknown format (first bytes 16 02 00 00)", false, 0},
		{"gzip cut", gz[:len(gz)-30], "test: truncated at offset", true, -1},
		{"gzip bad crc", mod(gz, func(b []byte) []byte { b[len(b)-8] ^= 1; return b }), "test: corrupt at offset 628: bad gzip data: gzip: invalid checksum", false, 10},
		{"zstd cut inside a frame", zst[:frames[3]+10], "test: truncated at offset " + itoa(frames[3]) + " (frame 3): 3 events recovered", true, 3},
		{"zstd cut at a frame boundary (no footer)", zst[:frames[5]], "test: truncated at offset " + itoa(frames[5]) + " (frame 5): 6 events recovered", true, 6},
		{"zstd zero-filled tail", append(append([]byte(nil), zst[:frames[5]]...), make([]byte, 3000)...), "test: truncated at offset " + itoa(frames[5]) + " (frame 5): 6 events recovered", true, 6},
		// A bad frame costs only its own events (see TestResync).
		{"zstd bad checksum", mod(zst, func(b []byte) []byte { b[frames[3]-1] ^= 0xff; return b }), "test: 7 events recovered around 1 damaged place: frame 2 at offset " + itoa(frames[2]) + " (bytes " + itoa(frames[2]) + "-" + itoa(frames[3]) + " skipped, 3 events lost, 1970-01-01T00:00:00.000001000Z to 1970-01-01T00:00:00.000001002Z): bad zstd frame: CRC check failed", false, 7},
		{"zstd bad frame magic", mod(zst, put32(frames[4], 0xdeadbeef)), "test: 7 events recovered around 1 damaged place: frame 4 at offset " + itoa(frames[4]) + " (bytes " + itoa(frames[4]) + "-" + itoa(frames[5]) + " skipped, 3 events lost, 1970-01-01T00:00:00.000001003Z to 1970-01-01T00:00:00.000001005Z): bad frame magic 0xDEADBEEF", false, 7},
		{"zstd footer event count wrong", mod(zst, func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[frames[len(frames)-2]+16:], 11)
			return b
		}), "test: corrupt at offset " + itoa(frames[len(frames)-2]) + ": footer counts 11 events, the frames hold 10", false, 10},
		{"zstd absurd content size", mod(zst, func(b []byte) []byte {
			// Make frame 2's single-byte-or-more content size field claim 2^40 bytes.
			b[frames[2]+4] = 0xE4 // FCS flag 3 (8 bytes), single segment, checksum
			return b
		}), "test: 7 events recovered around 1 damaged place: frame 2 at offset " + itoa(frames[2]) + " (bytes " + itoa(frames[2]) + "-" + itoa(frames[3]) + " skipped, 3 events lost, 1970-01-01T00:00:00.000001000Z to 1970-01-01T00:00:00.000001002Z): frame content", false, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, evs, err := readAll(t, tc.data)
			if r != nil {
				defer r.Close()
			}
			if err == nil {
				t.Fatalf("no error, %d events", len(evs))
			}
			prefixOnly := tc.name == "zstd absurd content size" || tc.name == "gzip cut"
			if got := err.Error(); got != tc.want && !(prefixOnly && strings.HasPrefix(got, tc.want)) {
				t.Errorf("error\n got %q\nwant %q", got, tc.want)
			}
			var te *capture.TruncatedError
			var ce *capture.CorruptError
			if tc.truncated != errors.As(err, &te) || !capture.IsFileError(err) || (tc.truncated && errors.As(err, &ce)) {
				t.Errorf("error type %T, want truncated=%v", err, tc.truncated)
			}
			if tc.events >= 0 && len(evs) != tc.events {
				t.Errorf("%d events before the error, want %d", len(evs), tc.events)
			}
			if r != nil && r.Stats().Truncated != tc.truncated {
				t.Errorf("Stats().Truncated = %v", r.Stats().Truncated)
			}
		})
	}
}

func itoa(v int) string { return strconv.Itoa(v) }

// gzipped returns b gzip-compressed.
func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zstdWindow returns content in one zstd frame of raw blocks whose header
// asks for a window of 2^n bytes, or, when single, a single-segment frame
// that declares n bytes of content (its window): what `zstd --ultra -22`
// writes for a large file.
func zstdWindow(content []byte, n uint64, single bool) []byte {
	frame := binary.LittleEndian.AppendUint32(nil, 0xFD2FB528)
	if single {
		frame = append(frame, 0xE0) // 8-byte content size, single segment
		frame = binary.LittleEndian.AppendUint64(frame, n)
	} else {
		frame = append(frame, 0x00, byte(n-10)<<3)
	}
	for len(content) > 0 {
		k := min(len(content), 128<<10)
		hdr := uint32(k) << 3
		if k == len(content) {
			hdr |= 1
		}
		frame = append(frame, byte(hdr), byte(hdr>>8), byte(hdr>>16))
		frame = append(frame, content[:k]...)
		content = content[k:]
	}
	return frame
}

// frameLen returns the length of the zstd frame at the start of b.
func frameLen(t *testing.T, b []byte) int {
	t.Helper()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for n := 1; n <= len(b); n++ {
		if _, err := dec.DecodeAll(b[:n], nil); err == nil {
			return n
		}
	}
	t.Fatal("no complete zstd frame")
	return 0
}

// frameOffsets walks the frames of a .scap.zst file by their sizes (data
// frames through the seek table would need the reader; here the test trusts
// the writer's seek table, which it checks against the file size).
func frameOffsets(t *testing.T, b []byte) []int {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(b[len(b)-9:]))
	size := n*8 + 9
	table := b[len(b)-size : len(b)-9]
	var offs []int
	off := 0
	for i := range n {
		offs = append(offs, off)
		off += int(binary.LittleEndian.Uint32(table[8*i:]))
	}
	if off != len(b)-size-8 {
		t.Fatalf("seek table covers %d bytes, the frames before it %d", off, len(b)-size-8)
	}
	return offs
}

// TestCorruptInsideFrame damages blocks inside the content of zstd frames
// and checks that the reader reports them as it does in a plain file: the
// same events before the error, and the frame, the block's offset in the
// frame's content and the cause in the message.
func TestCorruptInsideFrame(t *testing.T) {
	plain := smallCapture(t, capture.FormatScap, 10, capture.WriterOptions{})
	const shb, blk = 28, 60
	// Frames: the section header and events 0-2, events 3-5, events 6-9.
	cuts := []int{0, shb + 3*blk, shb + 6*blk, len(plain)}
	// reframe compresses b in frames cut at cuts and returns the file and
	// the offset of frame 1.
	reframe := func(b []byte) ([]byte, int) {
		// Single-segment frames declare their content size, which the
		// parallel frame reader needs.
		enc, err := zstd.NewWriter(nil, zstd.WithSingleSegment(true), zstd.WithEncoderCRC(true))
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		var out []byte
		frame1 := 0
		for i := 1; i < len(cuts); i++ {
			if i == 2 {
				frame1 = len(out)
			}
			out = enc.EncodeAll(b[cuts[i-1]:cuts[i]], out)
		}
		return out, frame1
	}
	mod := func(off int, v uint32) []byte {
		b := append([]byte(nil), plain...)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	tests := []struct {
		name   string
		data   []byte
		want   string
		events int
	}{
		{"trailer mismatch", mod(shb+5*blk-4, 64), "block at offset 60 of the frame's content: block EV_V2: trailer length 64 differs from header length 60", 4},
		{"length too small", mod(shb+4*blk+4, 4), "block at offset 60 of the frame's content: block EV_V2: length 4 shorter than 12", 4},
		{"absurd length", mod(shb+4*blk+4, 1<<30), "block at offset 60 of the frame's content: block EV_V2: length 1073741824 exceeds the 16777216-byte limit", 4},
		{"length past the frame", mod(shb+5*blk+4, 2*blk), "block at offset 120 of the frame's content crosses the end of the frame", 5},
		{"zero length", mod(shb+3*blk+4, 0), "block at offset 0 of the frame's content: block EV_V2: length 0 shorter than 12", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, frame1 := reframe(tc.data)
			r, evs, err := readAll(t, data)
			if r != nil {
				defer r.Close()
			}
			// The rest of frame 1 is lost; frame 2 (events 6-9) is read.
			frame2 := len(data) - frame1 - frameLen(t, data[frame1:])
			want := "test: " + itoa(tc.events+4) + " events recovered around 1 damaged place: frame 1 at offset " + itoa(frame1) +
				" (bytes " + itoa(frame1) + "-" + itoa(len(data)-frame2) + " skipped, events lost: unknown): " + tc.want
			if err == nil || err.Error() != want {
				t.Errorf("error\n got %v\nwant %s", err, want)
			}
			var de *capture.DamagedError
			var ce *capture.CorruptError
			if !errors.As(err, &de) || !errors.As(err, &ce) {
				t.Errorf("error type %T, want *capture.DamagedError holding a *capture.CorruptError", err)
			}
			if len(evs) != tc.events+4 {
				t.Errorf("%d events before the error, want %d", len(evs), tc.events+4)
			}
			_, pevs, perr := readAll(t, tc.data)
			if perr == nil || len(pevs) != tc.events {
				t.Errorf("plain file: %d events, error %v; want %d events", len(pevs), perr, tc.events)
			}
		})
	}
}

// TestErrClosed checks that a reader or writer used after Close returns
// ErrClosed, which is os.ErrClosed.
func TestErrClosed(t *testing.T) {
	if capture.ErrClosed != os.ErrClosed {
		t.Fatalf("capture.ErrClosed = %v, want os.ErrClosed", capture.ErrClosed)
	}
	w, err := capture.NewWriter(io.Discard, "closed", capture.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ev := scap.AppendEvent(nil, 1000, 7, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(0))
	if err := w.WriteEvent(0, 0, ev); !errors.Is(err, os.ErrClosed) {
		t.Errorf("WriteEvent after Close = %v, want os.ErrClosed", err)
	}
	if err := w.WriteHeader(&capture.Header{}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("WriteHeader after Close = %v, want os.ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Flush after Close = %v, want os.ErrClosed", err)
	}
	r, err := capture.NewReader(bytes.NewReader(smallCapture(t, capture.FormatScap, 2, capture.WriterOptions{})), "closed")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Next after Close = %v, want os.ErrClosed", err)
	}
}
