package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/regularfile"
)

// ReaderOptions configures a [Reader]. The zero value is ready to use.
type ReaderOptions struct {
	// Workers is the number of goroutines decompressing zstd frames in
	// parallel; 0 means GOMAXPROCS.
	Workers int
	// Since, when non-zero, lets Open skip, without decompressing them, the
	// event frames of a retrace .scap.zst file whose frame index (see
	// ReadSummary) says they end before this timestamp (ns since the
	// epoch). The first frame that reaches Since is read from its start, so
	// callers still filter by timestamp. Other files are read whole.
	Since uint64

	skip   map[int64]FrameInfo // frames to skip, from Since
	bounds []int64             // frame offsets from the seek table
	index  []FrameInfo         // the frame index read by Open, if any

	zeroTail  bool  // Open cut a zero-filled tail off a gzip file
	maxHeader int64 // MaxHeaderBytes when 0; tests set less
}

// Stats counts what a [Reader] has read so far.
type Stats struct {
	// Events is the number of events returned by Next (or event blocks by
	// NextBlock).
	Events int64
	// SkippedEvents counts events of types unknown to the event table, which
	// Next skips as libscap does.
	SkippedEvents int64
	// Blocks is the number of scap blocks read, header blocks included.
	Blocks int64
	// Frames and MetadataFrames count the zstd data frames and the
	// skippable frames read (.scap.zst only); SkippedFrames the data frames
	// passed over for ReaderOptions.Since.
	Frames, MetadataFrames, SkippedFrames int
	// FileBytes is the number of bytes read from the file; RawBytes the
	// number of scap bytes they decompressed to.
	FileBytes, RawBytes int64
	// Truncated is set once the reader has reported a [TruncatedError].
	Truncated bool
	// ContainerFramesLeftOut counts the RTCT frames not decoded because
	// they pass [MaxContainerFrame] or [MaxContainerMetadata];
	// ContainerFramesLeftOutAt is the file offset of the first.
	ContainerFramesLeftOut   int
	ContainerFramesLeftOutAt int64
}

// LeftOut says what the reader left out at its bounds, one sentence per
// bound met; nil when none was.
func (s *Stats) LeftOut() []string {
	if s.ContainerFramesLeftOut == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d container metadata frames not read: each is bounded to %d bytes and all of a capture's to %d (docs/FORMAT.md, \"Limits of the analysis\"); the first at offset %d",
		s.ContainerFramesLeftOut, MaxContainerFrame, MaxContainerMetadata, s.ContainerFramesLeftOutAt)}
}

// blockSource yields the blocks of one container format.
type blockSource interface {
	// next returns the next block, io.EOF at a clean end, or a
	// *CorruptError / *TruncatedError (Events left for the Reader to fill).
	next() (Block, error)
	// stats adds the source's byte and frame counters to s.
	stats(s *Stats)
	close()
}

// Reader reads a capture file of any supported format. Events come out in
// file order. A Reader is not safe for concurrent use; for .scap.zst files it
// decompresses frames in background goroutines, which Close stops.
type Reader struct {
	name   string
	file   io.Closer
	src    blockSource
	frames *frameSource  // src, when it is one: called directly on the hot path
	br     *bufio.Reader // the file's buffer, given back at Close
	header Header
	meta   *metaState

	// Header blocks kept for NextBlock, and the first event block read by
	// the header scan.
	headerBlocks [][]byte
	headerPos    int
	first        Block
	haveFirst    bool
	firstCopy    []byte

	ev        scap.Event
	clock     int64 // ns added to event timestamps: SetClockOffset
	cpu       uint16
	flags     uint32
	events    int64
	skip      int64
	evBlks    uint64 // event blocks read, to check against the footer
	maxHeader int64  // header bytes kept at most
	blocks    int64
	err       error
	closed    bool
}

// Open opens the capture file at path, detects its format and reads its
// header blocks.
func Open(path string) (*Reader, error) {
	return OpenOptions(path, ReaderOptions{})
}

// OpenOptions is [Open] with options.
func OpenOptions(path string, opts ReaderOptions) (*Reader, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, openError("open capture", err)
	}
	var rd io.Reader = f
	if fi, err := f.Stat(); err == nil {
		// The seek table and the index let the reader resynchronise at the
		// next frame after a bad one and count the events lost.
		opts.bounds = seekBounds(f, fi.Size())
		if sum, err := readSummary(f, fi.Size(), path); err == nil && opts.bounds != nil {
			opts.index = sum.Frames
			if opts.Since > 0 && indexConsistent(sum, opts.bounds) {
				opts.skip = map[int64]FrameInfo{}
				for _, fr := range sum.Frames {
					if fr.LastTS < opts.Since {
						opts.skip[fr.Offset] = fr
					}
				}
			}
		}
	}
	if zeros, err := gzipZeroTail(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("open capture: %w", err)
	} else if zeros > 0 {
		fi, _ := f.Stat()
		rd = io.LimitReader(f, fi.Size()-zeros)
		opts.zeroTail = true
	}
	r, err := newReader(rd, path, opts, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// OpenFile opens the capture file at path for reading if it is a regular
// file, without blocking on a FIFO that has no writer; anything else is a
// *[NotCaptureError].
func OpenFile(path string) (*os.File, error) {
	f, err := regularfile.Open(path)
	var ne *regularfile.NotRegularError
	if errors.As(err, &ne) {
		return nil, &NotCaptureError{File: path, What: ne.Kind()}
	}
	return f, err
}

// openError wraps an error of OpenFile with verb, unless it names the file
// already (a *NotCaptureError).
func openError(verb string, err error) error {
	var ne *NotCaptureError
	if errors.As(err, &ne) {
		return err
	}
	return fmt.Errorf("%s: %w", verb, err)
}

// NewReader reads a capture from rd, naming it name in errors. Close does
// not close rd.
func NewReader(rd io.Reader, name string) (*Reader, error) {
	return newReader(rd, name, ReaderOptions{}, nil)
}

// NewReaderOptions is [NewReader] with options.
func NewReaderOptions(rd io.Reader, name string, opts ReaderOptions) (*Reader, error) {
	return newReader(rd, name, opts, nil)
}

const fileBufferSize = 256 << 10

func newReader(rd io.Reader, name string, opts ReaderOptions, closer io.Closer) (*Reader, error) {
	r := &Reader{name: name, file: closer, meta: &metaState{}, maxHeader: opts.maxHeader}
	if r.maxHeader <= 0 {
		r.maxHeader = MaxHeaderBytes
	}
	cr := &countingReader{r: rd}
	br := getFileBuffer(cr)
	format, err := sniff(name, br)
	if err != nil {
		return nil, err
	}
	r.header.Format = format
	switch r.header.Format {
	case FormatScap:
		r.src = newStreamSource(name, br, cr, -1)
	case FormatGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &CorruptError{File: name, Offset: 0, Frame: -1, Reason: "bad gzip header", Err: err}
		}
		ss := newStreamSource(name, bufio.NewReaderSize(zr, fileBufferSize), cr, -1)
		ss.zeroTailCut = opts.zeroTail
		if err := notScapStream(name, "gzip", ss.br); err != nil {
			return nil, err
		}
		r.src = ss
	case FormatZstd:
		if err := windowLimit(name, br); err != nil {
			return nil, err
		}
		if framed(br) {
			r.frames = newFrameSource(name, br, opts.Workers, r.meta, opts.skip, opts.bounds)
			r.frames.evBlks = &r.evBlks
			r.frames.index = opts.index
			r.src = r.frames
		} else {
			zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(MaxFrameContent), zstd.WithDecoderMaxMemory(MaxFrameContent))
			if err != nil {
				return nil, fmt.Errorf("read capture %s: %w", name, err)
			}
			zs := &zstdStream{streamSource: newStreamSource(name, bufio.NewReaderSize(zr.IOReadCloser(), fileBufferSize), cr, -1), dec: zr}
			if err := notScapStream(name, "zstd", zs.br); err != nil {
				zr.Close()
				return nil, err
			}
			r.src = zs
		}
	}
	if err := r.readHeader(); err != nil {
		r.src.close()
		return nil, err
	}
	if r.frames != nil || r.header.Format == FormatScap {
		// Only this goroutine and the frame source's, stopped by Close,
		// read br; a gzip or streaming zstd decoder may still hold it.
		r.br = br
	}
	return r, nil
}

// sniff tells the container format of a file from its first bytes in br,
// or returns the error that says it is no capture (a *NotCaptureError)
// or a zero-filled one (a *TruncatedError at offset 0).
func sniff(name string, br *bufio.Reader) (Format, error) {
	head, err := br.Peek(4)
	if err != nil && len(head) < 4 {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return FormatUnknown, fmt.Errorf("read capture %s: %w", name, err)
		}
		if len(head) == 0 {
			return FormatUnknown, &NotCaptureError{File: name, What: "an empty file"}
		}
		if allZero(head) {
			return FormatUnknown, &TruncatedError{File: name, Offset: 0, Frame: -1}
		}
		return FormatUnknown, &NotCaptureError{File: name, What: fmt.Sprintf("a file of %d bytes", len(head))}
	}
	if f := detectFormat(head); f != FormatUnknown {
		return f, nil
	}
	if allZero(head) {
		if zerosThenFrame(br) {
			return FormatZstd, nil // a zero-filled header frame: the frames after it are read
		}
		return FormatUnknown, &TruncatedError{File: name, Offset: 0, Frame: -1}
	}
	if b, _ := br.Peek(textProbe); looksLikeText(b) {
		return FormatUnknown, &NotCaptureError{File: name, What: "a text file"}
	}
	return FormatUnknown, &NotCaptureError{File: name, What: fmt.Sprintf("unknown format (first bytes % x)", head)}
}

// textProbe is how many leading bytes decide whether a file is text.
const textProbe = 512

// looksLikeText reports whether b, the start of a file, is text: valid
// UTF-8 (the last character may be cut) without control characters other
// than whitespace.
func looksLikeText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if (r < 0x20 && !strings.ContainsRune("\t\n\r\f\v", r)) || r == 0x7f {
			return false
		}
		b = b[n:]
	}
	return true
}

// notScapStream returns a *NotCaptureError when the decompressed content
// of a gzip or zstd file (kind) is text rather than a scap stream.
func notScapStream(name, kind string, br *bufio.Reader) error {
	b, _ := br.Peek(textProbe)
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) != BlockSHB && looksLikeText(b) {
		return &NotCaptureError{File: name, What: kind + "-compressed text"}
	}
	return nil
}

// windowLimit returns a *LimitError when the first zstd frame of br asks
// for a window larger than MaxFrameContent (as `zstd --ultra -22` writes
// for a large file), which the reader does not hold.
func windowLimit(name string, br *bufio.Reader) error {
	b, _ := br.Peek(18)
	if len(b) < 4 || binary.LittleEndian.Uint32(b) != zstdMagic {
		return nil
	}
	h, err := parseFrameHeader(b)
	if err != nil || h.window <= MaxFrameContent {
		return nil
	}
	return windowError(name, 0, h.window)
}

// windowError is the *LimitError of a zstd frame at offset whose window
// (0 when unknown) is larger than MaxFrameContent.
func windowError(name string, offset int64, window uint64) error {
	what, hint := "zstd window", "decompress it with zstd -d --memory=2048MB and read the .scap"
	if window > 0 {
		what = "zstd window of " + sizeText(int64(window))
		hint = "decompress it with zstd -d and read the .scap"
		if window > 128<<20 { // zstd's default decompression memory limit
			hint = fmt.Sprintf("decompress it with zstd -d --memory=%dMB and read the .scap", (window+1<<20-1)>>20)
		}
	}
	return &LimitError{File: name, What: what, Offset: offset, Limit: MaxFrameContent, Hint: hint}
}

// readHeader reads blocks up to the first event block.
func (r *Reader) readHeader() error {
	var held int64 // bytes of r.headerBlocks
	for i := 0; ; i++ {
		b, err := r.src.next()
		if err != nil {
			if err == io.EOF && i > 0 {
				// A capture without events (libscap refuses those; a recorder
				// stopped before anything happened writes them).
				r.header.Metadata = r.meta.metadata()
				r.err = io.EOF
				return nil
			}
			if err == io.EOF {
				return &CorruptError{File: r.name, Offset: 0, Frame: -1, Reason: "no section header block"}
			}
			return r.fail(err)
		}
		r.blocks++
		if i == 0 && b.Type != BlockSHB && r.frames != nil && IsEventBlock(b.Type) {
			// The header frame was lost: read the events without it.
			if fs := r.frames; len(fs.damage) == 0 {
				fs.damage = append(fs.damage, Damage{Kind: DamageFrame, Frame: 0, Offset: 0, End: 0,
					Err: &CorruptError{File: r.name, Offset: 0, Frame: 0, Reason: "no section header before the first event: the header frame is missing"}})
			}
			r.firstCopy = append([]byte(nil), b.Raw...)
			b.Raw = r.firstCopy
			r.first, r.haveFirst = b, true
			r.header.Metadata = r.meta.metadata()
			return nil
		}
		if i == 0 && b.Type != BlockSHB {
			return &CorruptError{File: r.name, Offset: b.Offset, Frame: -1, Reason: fmt.Sprintf("first block is %s, want a section header", BlockName(b.Type))}
		}
		if IsEventBlock(b.Type) {
			r.firstCopy = append([]byte(nil), b.Raw...)
			b.Raw = r.firstCopy
			r.first, r.haveFirst = b, true
			r.header.Metadata = r.meta.metadata()
			return nil
		}
		if err := r.header.addBlock(b); err != nil {
			return &CorruptError{File: r.name, Offset: b.Offset, Frame: -1, Reason: "bad header block", Err: err}
		}
		if !isHeaderBlock(b.Type) {
			continue // counted in BlockCounts, not kept
		}
		if held += int64(len(b.Raw)); held > r.maxHeader {
			return &LimitError{File: r.name, What: "header (the blocks before the first event)", Offset: b.Offset, Limit: r.maxHeader}
		}
		r.headerBlocks = append(r.headerBlocks, append([]byte(nil), b.Raw...))
	}
}

// MaxHeaderBytes is the most header blocks (the known blocks before the
// first event) a [Reader] keeps; a larger header is a *[LimitError].
// Unknown blocks before the first event are passed over, not kept.
const MaxHeaderBytes = 256 << 20

// isHeaderBlock reports whether t is a header block type the reader
// decodes (section header, machine info, interface, user, process and fd
// lists).
func isHeaderBlock(t uint32) bool {
	switch t {
	case BlockSHB, BlockMI, BlockMILegacy, BlockIL, BlockILLegacy, BlockILV2, BlockUL, BlockULLegacy, BlockULV2,
		BlockFDL, BlockFDLLegacy, BlockFDLV2:
		return true
	}
	return plVersion(t) > 0
}

// fail records err as the reader's final error, filling in the event count
// of a truncation.
func (r *Reader) fail(err error) error {
	var te *TruncatedError
	if errors.As(err, &te) {
		te.Events = r.events
	}
	r.err = err
	return err
}

// Name returns the name the reader was opened with.
func (r *Reader) Name() string { return r.name }

// Header returns the capture's header. Its Metadata field is updated as
// metadata frames are read (retrace writes the complete metadata at the end
// of the file).
func (r *Reader) Header() *Header {
	r.header.Metadata = r.meta.metadata()
	return &r.header
}

// Index returns the frame index of a .scap.zst file once the reader has
// reached it (at the end of the file), or nil.
func (r *Reader) Index() []FrameInfo { return r.meta.index }

// nextBlock returns the next block after the header scan.
func (r *Reader) nextBlock() (Block, error) {
	if r.err != nil {
		return Block{}, r.err
	}
	if r.closed {
		return Block{}, ErrClosed
	}
	if r.haveFirst {
		r.haveFirst = false
		r.evBlks++
		return r.first, nil
	}
	var b Block
	var err error
	if fs := r.frames; fs != nil {
		var ok bool
		if b, ok = fs.nextInFrame(); !ok {
			b, err = fs.next()
		}
	} else {
		b, err = r.src.next()
	}
	if err != nil {
		if fs := r.frames; fs != nil {
			if derr := r.damaged(err); derr != nil {
				r.err = derr
				return Block{}, derr
			}
		}
		if err == io.EOF {
			var skipped uint64
			if fs := r.frames; fs != nil {
				skipped = fs.skippedEvents
			}
			if m := r.meta; m.haveFooter && m.footer.Events != r.evBlks+skipped {
				r.err = &CorruptError{File: r.name, Offset: m.footerOff, Frame: -1,
					Reason: fmt.Sprintf("footer counts %d events, the frames hold %d", m.footer.Events, r.evBlks+skipped)}
				return Block{}, r.err
			}
			r.err = io.EOF
			return Block{}, err
		}
		return Block{}, r.fail(err)
	}
	r.blocks++
	if IsEventBlock(b.Type) {
		r.evBlks++
	}
	return b, nil
}

// damaged completes the damage records at the end of a .scap.zst file
// (end is io.EOF or the error that ended it) and returns the
// *DamagedError to report instead of end, or nil when there was none.
func (r *Reader) damaged(end error) error {
	fs := r.frames
	var te *TruncatedError
	if end != io.EOF && !errors.As(end, &te) {
		// Corruption the reader could not read past: a damaged end.
		var ce *CorruptError
		if !errors.As(end, &ce) || len(fs.damage) == 0 {
			return nil
		}
		fs.damage = append(fs.damage, Damage{Kind: DamageFrame, Frame: ce.Frame, Offset: ce.Offset, End: ce.Offset, Err: end})
	}
	idx := fs.index
	if r.meta.index != nil {
		idx = r.meta.index
	}
	fs.checkIndex(idx)
	if len(fs.damage) == 0 {
		return nil
	}
	if te != nil {
		te.Events = r.events
	}
	return &DamagedError{File: r.name, Damage: fs.damage, Events: r.events, Truncated: te}
}

// Damage returns the damage found so far in a .scap.zst file: frames the
// reader skipped, duplicated or reordered frames (see [DamagedError]). The
// list grows as the reader reads; events lost are counted at the end.
func (r *Reader) Damage() []Damage {
	if r.frames == nil {
		return nil
	}
	return r.frames.damage
}

// NextBlock returns the next raw block of the file, starting with the header
// blocks, so that a copy of every block gives a byte-identical scap stream.
// Its Raw bytes are valid until the next call or Close. It returns io.EOF at the end.
func (r *Reader) NextBlock() (Block, error) {
	if r.headerPos < len(r.headerBlocks) {
		raw := r.headerBlocks[r.headerPos]
		r.headerPos++
		return Block{Type: binary.LittleEndian.Uint32(raw), Raw: raw}, nil
	}
	b, err := r.nextBlock()
	if err == nil && IsEventBlock(b.Type) {
		r.events++
	}
	return b, err
}

// Next returns the next event. The event and its bytes are valid until the
// next call or Close. Blocks other than events are skipped, and so are events whose
// type the event table does not know (as libscap does). At the end of the
// file Next returns io.EOF, or a *TruncatedError when the file ends early.
func (r *Reader) Next() (*scap.Event, error) {
	r.headerPos = len(r.headerBlocks)
	for {
		b, err := r.nextBlock()
		if err != nil {
			return nil, err
		}
		k, ok := eventKind(b.Type)
		if !ok {
			continue
		}
		body := b.Raw[blockHeaderLen : len(b.Raw)-4]
		pre := k.prefixLen()
		if len(body) < pre {
			return nil, r.corrupt(b, fmt.Sprintf("event block %s of %d bytes", BlockName(b.Type), len(b.Raw)), nil)
		}
		r.cpu = binary.LittleEndian.Uint16(body)
		r.flags = 0
		if k.flags {
			r.flags = binary.LittleEndian.Uint32(body[2:])
		}
		if err := r.ev.Decode(body[pre:], k.v1); err != nil {
			if errors.Is(err, scap.ErrUnknownType) {
				r.skip++
				continue
			}
			return nil, r.corrupt(b, "bad event", err)
		}
		if r.ev.Info() == nil {
			r.skip++
			continue
		}
		if r.clock != 0 {
			r.ev.ShiftTs(r.clock)
		}
		r.events++
		return &r.ev, nil
	}
}

// corrupt builds the CorruptError for a bad block b.
func (r *Reader) corrupt(b Block, reason string, err error) error {
	ce := &CorruptError{File: r.name, Offset: b.Offset, Frame: -1, Reason: reason, Err: err}
	if fs := r.frames; fs != nil && fs.cur != nil {
		ce.Offset, ce.Frame = fs.cur.offset, fs.cur.index
		ce.Reason = fmt.Sprintf("block at offset %d of the frame's content: %s", b.Offset-fs.curRaw, reason)
	}
	r.err = ce
	return ce
}

// SetClockOffset corrects the recording host's clock: the events Next
// returns from then on carry their timestamp plus d (their encoded bytes,
// which NextBlock returns, are unchanged). Call it before the first Next,
// once the header said which host recorded the capture.
func (r *Reader) SetClockOffset(d time.Duration) { r.clock = int64(d) }

// CPU returns the CPU number of the event last returned by Next.
func (r *Reader) CPU() uint16 { return r.cpu }

// Frame returns the index of the zstd frame that holds the event last
// returned by Next, counted as [Damage] and `retrace info` count frames;
// -1 for files that are not in retrace's frames (.scap, .scap.gz).
func (r *Reader) Frame() int {
	if fs := r.frames; fs != nil && fs.cur != nil {
		return fs.cur.index
	}
	return -1
}

// BlockFlags returns the flags of the event block last returned by Next (0
// for blocks without flags; see [FlagStateOnly]).
func (r *Reader) BlockFlags() uint32 { return r.flags }

// FlagStateOnly is SCAP_DF_STATE_ONLY in an event block's flags: the event
// updates the state, and rules must not see it.
const FlagStateOnly uint32 = 1

// Stats returns the reader's counters.
func (r *Reader) Stats() Stats {
	s := Stats{Events: r.events, SkippedEvents: r.skip, Blocks: r.blocks}
	r.src.stats(&s)
	var te *TruncatedError
	s.Truncated = errors.As(r.err, &te)
	return s
}

// Close stops background decompression and closes the file if the reader
// opened it.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.src.close()
	if r.br != nil {
		putFileBuffer(r.br)
		r.br = nil
	}
	if r.file != nil {
		return r.file.Close()
	}
	return nil
}

// gzipZeroTail returns the length of the run of zero bytes that ends a
// gzip file, when it is too long to be part of a gzip trailer (a valid file
// can end with up to 7 zero bytes of CRC and size). Such a run is what a
// file system leaves after a power cut; the reader stops before it.
func gzipZeroTail(f *os.File) (int64, error) {
	var head [2]byte
	if n, _ := f.ReadAt(head[:], 0); n < 2 || head[0] != 0x1f || head[1] != 0x8b {
		return 0, nil
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var buf [64 << 10]byte
	end := fi.Size()
	var run int64
	for end > 0 {
		n := min(int64(len(buf)), end)
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				if run < 16 {
					return 0, nil
				}
				return run, nil
			}
			run++
		}
		end -= n
	}
	return run, nil
}

// zerosThenFrame reports whether the stream starts with zeros followed,
// within the read buffer, by a zstd or skippable frame magic: a .scap.zst
// file whose first frame was zero-filled.
func zerosThenFrame(br *bufio.Reader) bool {
	b, _ := br.Peek(fileBufferSize)
	rest := bytes.TrimLeft(b, "\x00")
	if len(rest) < 4 {
		return false
	}
	m := binary.LittleEndian.Uint32(rest)
	return m == zstdMagic || isSkippable(m)
}

// countingReader counts the bytes read from the file.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
