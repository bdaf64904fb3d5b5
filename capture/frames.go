package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// Limits of the frame reader. A frame must declare its content size, and
// neither that size nor its window may exceed MaxFrameContent; a frame's
// compressed bytes may not exceed maxFrameCompressed.
const (
	MaxFrameContent    = 64 << 20
	maxFrameCompressed = MaxFrameContent + MaxFrameContent/8
	zstdMaxBlock       = 128 << 10
)

// Memory bounds of the frame reader, whatever the number of cores: at most
// maxFramesInFlight frames are read, decompressed or handed out at once,
// and at most maxBigFrames of them have more than bigFrame bytes of
// content, each decompressed into one of maxBigFrames buffers kept for
// them (so that big frames make no garbage to grow the heap either); other
// buffers of more than bigFrame bytes are dropped after use.
// A decompression bomb (frames that expand to MaxFrameContent) therefore
// costs at most maxBigFrames frames of memory.
const (
	maxFramesInFlight = 18
	maxBigFrames      = 2
	bigFrame          = 2 << 20
)

// frameHeader is the parsed header of a zstd frame.
type frameHeader struct {
	headerLen   int
	contentSize uint64
	hasSize     bool
	window      uint64
	checksum    bool
}

// parseFrameHeader parses a zstd frame header (after nothing: b starts with
// the magic). It returns errShortBlock when b is too short.
func parseFrameHeader(b []byte) (frameHeader, error) {
	var h frameHeader
	if len(b) < 5 {
		return h, errShortBlock
	}
	desc := b[4]
	fcsFlag := desc >> 6
	single := desc&0x20 != 0
	if desc&0x08 != 0 {
		return h, errors.New("zstd frame header: reserved bit set")
	}
	h.checksum = desc&0x04 != 0
	dictLen := [4]int{0, 1, 2, 4}[desc&3]
	fcsLen := [4]int{0, 2, 4, 8}[fcsFlag]
	if fcsFlag == 0 && single {
		fcsLen = 1
	}
	n := 5
	if !single {
		if len(b) < n+1 {
			return h, errShortBlock
		}
		wd := b[n]
		exp := uint64(wd>>3) + 10
		base := uint64(1) << exp
		h.window = base + (base/8)*uint64(wd&7)
		n++
	}
	n += dictLen
	if len(b) < n+fcsLen {
		return h, errShortBlock
	}
	if dictLen > 0 {
		var id uint32
		for i := 0; i < dictLen; i++ {
			id |= uint32(b[n-dictLen+i]) << (8 * i)
		}
		if id != 0 {
			return h, fmt.Errorf("zstd frame header: dictionary %d required", id)
		}
	}
	switch fcsLen {
	case 1:
		h.contentSize, h.hasSize = uint64(b[n]), true
	case 2:
		h.contentSize, h.hasSize = uint64(binary.LittleEndian.Uint16(b[n:]))+256, true
	case 4:
		h.contentSize, h.hasSize = uint64(binary.LittleEndian.Uint32(b[n:])), true
	case 8:
		h.contentSize, h.hasSize = binary.LittleEndian.Uint64(b[n:]), true
	}
	if single {
		h.window = h.contentSize
	}
	h.headerLen = n + fcsLen
	return h, nil
}

// framed reports whether a zstd file can be read frame by frame in
// parallel: it starts with a skippable frame, or with a frame that declares
// a content size within MaxFrameContent and no larger than its window (as
// retrace's single-segment frames do). A frame larger than its window, such
// as the single frame the zstd tool writes for a whole file (a 2 MiB window
// however long the file), is streamed instead: decoding it whole would hold
// all of its content in memory, where streaming needs only the window.
func framed(br *bufio.Reader) bool {
	b, _ := br.Peek(18)
	if len(b) < 4 {
		return true
	}
	if m := binary.LittleEndian.Uint32(b); m == 0 || isSkippable(m) {
		return true // zeros: a zero-filled first frame (see zerosThenFrame)
	}
	h, err := parseFrameHeader(b)
	if err != nil {
		return true // let the frame reader report the problem
	}
	return h.hasSize && h.contentSize <= MaxFrameContent && h.window <= MaxFrameContent && h.contentSize <= h.window
}

// Job kinds of the frame pipeline.
const (
	jobData = iota
	jobSkippable
	jobSkipped // a data frame before ReaderOptions.Since, not decompressed
	jobGap     // unreadable bytes the scanner skipped to the next good frame
	jobEnd
)

// frameJob is one frame travelling from the scanner through a decoder to
// the consumer.
type frameJob struct {
	kind   int
	index  int
	offset int64
	magic  uint32
	src    []byte
	dst    []byte
	err    error
	gapEnd int64  // jobGap: file offset of the next good frame
	size   int    // jobData: the content size the frame declares
	big    bool   // jobData: dst is one of the frameSource's big buffers
	small  []byte // jobData: the job's own dst while it holds a big one
	done   chan struct{}
	// claimed holds the generation (frame index + 1) last claimed for
	// decoding, by a decoder goroutine or by the consumer itself when it
	// reaches a frame no decoder has started (which keeps the consumer going
	// when decoders wait to be scheduled). Generations only grow, so a stale
	// work item for a job that has since been reused never decodes it.
	claimed atomic.Uint64
}

// workItem is a data frame queued for the decoders.
type workItem struct {
	j   *frameJob
	gen uint64
}

// claim reports whether the caller may decode generation gen of j.
func (j *frameJob) claim(gen uint64) bool {
	for {
		old := j.claimed.Load()
		if old >= gen {
			return false
		}
		if j.claimed.CompareAndSwap(old, gen) {
			return true
		}
	}
}

// decodeJob decompresses generation gen of j if nobody has claimed it yet,
// and reports whether it did.
func (s *frameSource) decodeJob(j *frameJob, gen uint64) bool {
	if !j.claim(gen) {
		return false
	}
	j.dst, j.err = s.dec.DecodeAll(j.src, j.dst[:0])
	return true
}

// frameSource reads a .scap.zst file: a scanner goroutine splits the file
// into frames, decoder goroutines decompress data frames in parallel, and
// next hands out their blocks in file order.
type frameSource struct {
	name    string
	in      frameInput
	meta    *metaState
	dec     *zstd.Decoder
	workers int         // concurrent decodings of dec
	jobs    []*frameJob // all of the source's jobs, returned at close
	work    chan workItem
	ordered chan *frameJob
	free    chan *frameJob
	quit    chan struct{}
	big     chan []byte // the buffers of the frames with more than bigFrame bytes
	wg      sync.WaitGroup

	// Consumer state.
	cur       *frameJob
	rest      []byte // cur's content not handed out yet
	restOff   int64  // scap-stream offset of rest
	curRaw    int64  // scap-stream offset of cur's content
	raw       int64  // scap-stream bytes handed out so far
	fileBytes int64  // file bytes of the frames consumed
	frames    int
	metas     int
	// Frames skipped for ReaderOptions.Since, by file offset.
	skip          map[int64]FrameInfo
	skippedFrames int
	skippedEvents uint64
	ended         bool
	lastEnd       int64

	// Resynchronisation and damage (see resync.go).
	bounds     []int64 // frame offsets from a consistent seek table, or nil
	probe      frameJob
	damage     []Damage
	evBlks     *uint64 // the Reader's event block counter
	frameStart uint64  // *evBlks when the current frame started
	curRec     int     // index in recs of the current frame, or -1
	recs       []frameRecord
	seen       map[frameKey]int
	index      []FrameInfo // the frame index read by Open, if any
}

func newFrameSource(name string, br *bufio.Reader, workers int, meta *metaState, skip map[int64]FrameInfo, bounds []int64) *frameSource {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	dec := getDecoder(workers)
	// Frames in flight: one per decoder, the consumer's current frame and
	// a few read or decoded ahead. Each holds a compressed and a raw
	// buffer (about 1.3 MiB for the writer's 1 MiB frames), which makes up
	// most of the reader's memory; a deeper pool did not read faster.
	pool := min(2*workers+2, maxFramesInFlight)
	s := &frameSource{
		name:    name,
		in:      frameInput{br: br},
		bounds:  bounds,
		curRec:  -1,
		evBlks:  new(uint64),
		meta:    meta,
		skip:    skip,
		dec:     dec,
		workers: workers,
		work:    make(chan workItem, pool),
		ordered: make(chan *frameJob, pool),
		free:    make(chan *frameJob, pool),
		quit:    make(chan struct{}),
		big:     make(chan []byte, maxBigFrames),
	}
	for range maxBigFrames {
		s.big <- nil // allocated when first needed
	}
	for i := 0; i < pool; i++ {
		j := getFrameJob()
		s.jobs = append(s.jobs, j)
		s.free <- j
	}
	s.wg.Add(1 + workers)
	go s.scan()
	for i := 0; i < workers; i++ {
		go s.decode()
	}
	return s
}

func (s *frameSource) decode() {
	defer s.wg.Done()
	for w := range s.work {
		if s.decodeJob(w.j, w.gen) {
			w.j.done <- struct{}{}
		}
	}
}

// scan splits the file into frames and queues them. After a frame it
// cannot read it skips to the next good frame (see resync) and queues the
// skipped bytes as a gap.
func (s *frameSource) scan() {
	defer s.wg.Done()
	defer close(s.work)
	index := 0
	for {
		var j *frameJob
		select {
		case j = <-s.free:
		case <-s.quit:
			return
		}
		off := s.in.pos
		j.index, j.offset, j.err, j.gapEnd = s.indexAt(off, index), off, nil, 0
		j.src = j.src[:0]
		_, err := s.readFrame(j)
		if err == nil {
			err = s.checkBound(j)
		}
		if err == nil && s.bounds == nil && (!s.followed() || (j.kind == jobSkippable && j.magic == retraceMagic)) {
			// Without a seek table, a frame's length is checked by what
			// follows it, and retrace's metadata by its payload.
			err = s.checkAlone(j)
		}
		if err != nil && err != io.EOF {
			if next, ok := s.resync(j); ok {
				var te *TruncatedError
				if errors.As(err, &te) {
					err = s.corruptAt(j, fmt.Sprintf("frame runs past the next good frame at offset %d", next), nil)
				}
				j.kind, j.err, j.gapEnd = jobGap, err, next
				index = s.indexAt(next, j.index+1)
				select {
				case s.ordered <- j:
				case <-s.quit:
					return
				}
				continue
			}
		}
		if err != nil {
			j.kind = jobEnd
			if err != io.EOF {
				j.err = err
			}
		}
		if j.kind == jobData && s.skip != nil {
			if _, ok := s.skip[j.offset]; ok {
				j.kind = jobSkipped
			}
		}
		if j.kind == jobData {
			if j.size > bigFrame {
				select {
				case buf := <-s.big:
					j.big, j.small, j.dst = true, j.dst, buf[:0]
				case <-s.quit:
					return
				}
			}
			if cap(j.dst) < j.size {
				j.dst = make([]byte, 0, bufferSize(j.size))
			}
		}
		kind, gen := j.kind, uint64(j.index)+1 // j belongs to the consumer once sent
		select {
		case s.ordered <- j:
		case <-s.quit:
			return
		}
		if kind == jobEnd {
			return
		}
		if kind == jobData {
			select {
			case s.work <- workItem{j, gen}:
			case <-s.quit:
				return
			}
		}
		index = j.index + 1
	}
}

// grow reads n more bytes of the current frame into j.src.
func (s *frameSource) grow(j *frameJob, n int) error {
	if len(j.src)+n > maxFrameCompressed {
		return s.corruptAt(j, fmt.Sprintf("frame exceeds %d compressed bytes", maxFrameCompressed), nil)
	}
	// Grow in steps, so that memory follows the bytes really present
	// rather than a length field. The buffer doubles (up to the frame
	// limit) and is kept for the next frame, so a warm reader does not
	// allocate here.
	for n > 0 {
		step := min(n, fileBufferSize)
		l := len(j.src)
		if l+step > cap(j.src) {
			grown := make([]byte, l, bufferSize(max(l+step, min(2*cap(j.src), maxFrameCompressed))))
			copy(grown, j.src)
			j.src = grown
		}
		j.src = j.src[:l+step]
		if err := s.in.readFull(j.src[l:]); err != nil {
			return s.readErr(j, err)
		}
		n -= step
	}
	return nil
}

func (s *frameSource) corruptAt(j *frameJob, reason string, err error) error {
	return &CorruptError{File: s.name, Offset: j.offset, Frame: j.index, Reason: reason, Err: err}
}

func (s *frameSource) readErr(j *frameJob, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{File: s.name, Offset: j.offset, Frame: j.index}
	}
	return s.corruptAt(j, "read error", err)
}

// readFrame reads one whole frame into j and returns its size in the file.
// It returns io.EOF at a clean end of file.
func (s *frameSource) readFrame(j *frameJob) (int64, error) {
	head := s.in.peek(4)
	if len(head) == 0 {
		return 0, io.EOF
	}
	if len(head) < 4 {
		return 0, &TruncatedError{File: s.name, Offset: j.offset, Frame: j.index}
	}
	magic := binary.LittleEndian.Uint32(head)
	j.magic = magic
	switch {
	case magic == 0:
		return 0, s.zeroTail(j)
	case isSkippable(magic):
		if err := s.grow(j, 8); err != nil {
			return 0, err
		}
		size := binary.LittleEndian.Uint32(j.src[4:])
		if size > maxMetaPayload {
			return 0, s.corruptAt(j, fmt.Sprintf("skippable frame of %d bytes exceeds the %d-byte limit", size, maxMetaPayload), nil)
		}
		if err := s.grow(j, int(size)); err != nil {
			return 0, err
		}
		j.kind = jobSkippable
		return 8 + int64(size), nil
	case magic == zstdMagic:
	default:
		return 0, s.corruptAt(j, fmt.Sprintf("bad frame magic 0x%08X", magic), nil)
	}
	// Frame header: at most 18 bytes.
	hb := s.in.peek(18)
	h, err := parseFrameHeader(hb)
	if err == errShortBlock {
		return 0, &TruncatedError{File: s.name, Offset: j.offset, Frame: j.index}
	}
	if err != nil {
		return 0, s.corruptAt(j, "bad frame header", err)
	}
	if !h.hasSize {
		return 0, s.corruptAt(j, "frame does not declare its content size", nil)
	}
	if h.contentSize > MaxFrameContent || h.window > MaxFrameContent {
		return 0, s.corruptAt(j, fmt.Sprintf("frame content %d or window %d exceeds the %d-byte limit", h.contentSize, h.window, MaxFrameContent), nil)
	}
	if err := s.grow(j, h.headerLen); err != nil {
		return 0, err
	}
	var capacity uint64 // the most content the blocks read so far can hold
	for {
		if err := s.grow(j, 3); err != nil {
			return 0, err
		}
		bh := uint32(j.src[len(j.src)-3]) | uint32(j.src[len(j.src)-2])<<8 | uint32(j.src[len(j.src)-1])<<16
		last := bh&1 != 0
		size := int(bh >> 3)
		switch (bh >> 1) & 3 {
		case 0, 2: // raw, compressed
		case 1: // RLE: one byte
			size = 1
		default:
			return 0, s.corruptAt(j, fmt.Sprintf("reserved zstd block type at frame offset %d", len(j.src)-3), nil)
		}
		if size > zstdMaxBlock {
			return 0, s.corruptAt(j, fmt.Sprintf("zstd block of %d bytes at frame offset %d", size, len(j.src)-3), nil)
		}
		if err := s.grow(j, size); err != nil {
			return 0, err
		}
		capacity += zstdMaxBlock
		if last {
			break
		}
	}
	if h.contentSize > capacity {
		return 0, s.corruptAt(j, fmt.Sprintf("frame declares %d bytes of content, its blocks hold at most %d", h.contentSize, capacity), nil)
	}
	if h.checksum {
		if err := s.grow(j, 4); err != nil {
			return 0, err
		}
	}
	j.kind, j.size = jobData, int(h.contentSize)
	return int64(len(j.src)), nil
}

// minBuffer is the smallest frame buffer allocated.
const minBuffer = 64 << 10

// bufferSize returns the capacity to allocate for a frame buffer that must
// hold n bytes: n rounded up to a size class at most 1/8 larger (and at
// least minBuffer). Frames vary slightly in size (the writer cuts them just
// below 1 MiB), so with exact-size buffers every new largest frame would
// replace a pooled buffer and leave the old one as garbage; over a long
// file that garbage lets the heap, and so the peak RSS, grow towards twice
// the live buffers. Size classes let a pooled buffer serve every frame of
// about the same size, so a warm reader allocates nothing per frame.
func bufferSize(n int) int {
	if n <= minBuffer {
		return minBuffer
	}
	step := 1 << (bits.Len(uint(n)) - 4) // 1/8 of the largest power of two <= n
	return (n + step - 1) &^ (step - 1)
}

// zeroTail reads the zero bytes at the current position: zeros up to the
// end of the file are a truncation (a zero-filled tail after a crash),
// zeros followed by anything else corruption (the reader resynchronises at
// the first non-zero byte).
func (s *frameSource) zeroTail(j *frameJob) error {
	for {
		b := s.in.peek(32 << 10)
		if len(b) == 0 {
			return &TruncatedError{File: s.name, Offset: j.offset, Frame: j.index}
		}
		n := len(b) - len(bytes.TrimLeft(b, "\x00"))
		s.in.discard(int64(n))
		if n < len(b) {
			return s.corruptAt(j, "zero frame magic followed by non-zero bytes", nil)
		}
	}
}

func (s *frameSource) release() {
	if s.cur != nil {
		s.recycle(s.cur)
		s.cur, s.rest = nil, nil
	}
}

// recycle returns j to the pool: a big buffer goes back to the big
// ones, other buffers of more than bigFrame bytes are dropped.
func (s *frameSource) recycle(j *frameJob) {
	if j.big {
		s.big <- j.dst[:0]
		j.big, j.dst, j.small = false, j.small, nil
	}
	trimBuffers(j)
	s.free <- j
}

// trimBuffers drops j's buffers of more than bigFrame bytes.
func trimBuffers(j *frameJob) {
	if cap(j.dst) > bigFrame {
		j.dst = nil
	}
	if cap(j.src) > bigFrame {
		j.src = nil
	}
}

// nextInFrame returns the next block of the current frame when it is whole
// and well formed, and false otherwise (the end of the frame, or a bad
// block), for next to handle and report. It is the reader's per-event fast
// path and small enough to be inlined.
func (s *frameSource) nextInFrame() (Block, bool) {
	buf := s.rest
	if len(buf) < blockHeaderLen {
		return Block{}, false
	}
	total := binary.LittleEndian.Uint32(buf[4:])
	// One unsigned comparison checks blockOverhead <= total <= MaxBlockSize.
	if total-blockOverhead > MaxBlockSize-blockOverhead || int(total) > len(buf) ||
		binary.LittleEndian.Uint32(buf[total-4:]) != total {
		return Block{}, false
	}
	b := Block{Type: binary.LittleEndian.Uint32(buf), Offset: s.restOff, Raw: buf[:total:total]}
	s.rest = buf[total:]
	s.restOff += int64(total)
	return b, true
}

func (s *frameSource) next() (Block, error) {
	for {
		if len(s.rest) > 0 {
			b, err := splitBlock(s.rest)
			if err != nil {
				reason := fmt.Sprintf("block at offset %d of the frame's content", s.restOff-s.curRaw)
				if err == errShortBlock {
					reason += " crosses the end of the frame"
					err = nil
				}
				// The rest of the frame is lost; the next frame is read.
				s.addDamage(DamageBlock, s.cur.index, s.cur.offset, s.cur.offset+int64(len(s.cur.src)), s.corruptAt(s.cur, reason, err))
				s.rest = nil
				continue
			}
			b.Offset = s.restOff
			s.rest = s.rest[len(b.Raw):]
			s.restOff += int64(len(b.Raw))
			return b, nil
		}
		if s.ended {
			return Block{}, io.EOF
		}
		s.endFrame()
		s.release()
		j := <-s.ordered
		switch j.kind {
		case jobData:
			if !s.decodeJob(j, uint64(j.index)+1) {
				<-j.done
			}
			s.fileBytes += int64(len(j.src))
			s.lastEnd = j.offset + int64(len(j.src))
			if j.err != nil {
				s.addDamage(DamageFrame, j.index, j.offset, s.lastEnd, s.corruptAt(j, "bad zstd frame", j.err))
				s.recycle(j)
				continue
			}
			s.cur, s.rest = j, j.dst
			s.curRaw, s.restOff = s.raw, s.raw
			s.raw += int64(len(j.dst))
			s.frames++
			s.startFrame()
		case jobSkipped:
			fi := s.skip[j.offset]
			s.raw += int64(fi.RawSize)
			s.fileBytes += int64(len(j.src))
			s.skippedFrames++
			s.skippedEvents += fi.Events
			s.lastEnd = j.offset + int64(len(j.src))
			s.recycle(j)
		case jobSkippable:
			s.metas++
			s.fileBytes += int64(len(j.src))
			s.lastEnd = j.offset + int64(len(j.src))
			if err := s.meta.add(j.magic, j.src[8:], j.offset); err != nil {
				s.addDamage(DamageMetadata, j.index, j.offset, s.lastEnd, s.corruptAt(j, "bad metadata frame", err))
			}
			s.recycle(j)
		case jobGap:
			s.fileBytes += j.gapEnd - j.offset
			s.lastEnd = j.gapEnd
			s.addDamage(DamageFrame, j.index, j.offset, j.gapEnd, j.err)
			s.recycle(j)
		case jobEnd:
			s.ended = true
			err := j.err
			s.recycle(j)
			if err != nil {
				return Block{}, err
			}
			if s.meta.retrace && !s.meta.haveFooter {
				return Block{}, &TruncatedError{File: s.name, Offset: s.lastEnd, Frame: j.index}
			}
			return Block{}, io.EOF
		}
	}
}

func (s *frameSource) stats(st *Stats) {
	st.RawBytes += s.raw
	st.FileBytes += s.fileBytes
	st.Frames += s.frames
	st.MetadataFrames += s.metas
	st.SkippedFrames += s.skippedFrames
	if n := s.meta.containersLeftOut; n > 0 {
		st.ContainerFramesLeftOut, st.ContainerFramesLeftOutAt = n, s.meta.containersLeftOutAt
	}
}

func (s *frameSource) close() {
	select {
	case <-s.quit:
		return
	default:
	}
	close(s.quit)
	// Drain so that the scanner and decoders can finish.
	go func() {
		for range s.ordered {
		}
	}()
	s.wg.Wait()
	close(s.ordered)
	// The scanner and decoders have stopped: no goroutine uses the jobs
	// and the decoder any more (the drain above only receives pointers).
	putDecoder(s.workers, s.dec)
	for _, j := range s.jobs {
		putFrameJob(j)
	}
	s.jobs, s.cur, s.rest = nil, nil, nil
}

// metaState collects what skippable frames say.
type metaState struct {
	retrace     bool
	haveFooter  bool
	start, end  *Metadata
	containers  []Container
	index       []FrameInfo
	footer      footer
	footerOff   int64 // file offset of the footer frame
	checkpoints []*Checkpoint
	// containerBytes is the RTCT payload decoded so far; containersLeftOut
	// counts the frames over the bounds, the first at containersLeftOutAt.
	containerBytes      int
	containersLeftOut   int
	containersLeftOutAt int64
	leftOutAt           map[int64]bool
}

// add decodes a skippable frame's payload.
func (m *metaState) add(magic uint32, payload []byte, offset int64) error {
	if magic == seekTableMagic && len(payload) >= 9 && binary.LittleEndian.Uint32(payload[len(payload)-4:]) == seekableFooterMagc {
		return nil // the seek table: the reader finds frames by scanning
	}
	if magic != retraceMagic || len(payload) < 4 {
		return nil // someone else's skippable frame
	}
	tag, body := string(payload[:4]), payload[4:]
	switch tag {
	case tagMetaStart, tagMetaEnd:
		decode := decodeMetadata
		if len(body) > MaxContainerMetadata+MaxContainerFrame {
			// Only containers make metadata this large.
			decode = decodeMetadataWithoutContainers
			m.leaveOutContainers(offset)
		}
		md, err := decode(body)
		if err != nil {
			return err
		}
		m.retrace = true
		if tag == tagMetaStart {
			m.start = md
		} else {
			m.end = md
		}
	case tagContainers:
		if len(body) > MaxContainerFrame || m.containerBytes+len(body) > MaxContainerMetadata {
			m.leaveOutContainers(offset)
			return nil
		}
		m.containerBytes += len(body)
		var cs []Container
		if err := json.Unmarshal(body, &cs); err != nil {
			return fmt.Errorf("decode containers: %w", err)
		}
		m.containers = append(m.containers, cs...)
	case tagIndex:
		idx, err := decodeIndex(body)
		if err != nil {
			return err
		}
		m.index = idx
	case tagFooter:
		f, err := decodeFooter(body)
		if err != nil {
			return err
		}
		m.footer, m.haveFooter, m.footerOff = f, true, offset
	case tagCheckpoint:
		cp, err := decodeCheckpoint(body)
		if err != nil {
			return err
		}
		cp.Offset = offset
		m.checkpoints = append(m.checkpoints, cp)
	}
	return nil
}

// leaveOutContainers counts a frame whose containers are not decoded.
func (m *metaState) leaveOutContainers(offset int64) {
	if m.containersLeftOut == 0 || offset < m.containersLeftOutAt {
		m.containersLeftOutAt = offset
	}
	if m.leftOutAt == nil {
		m.leftOutAt = map[int64]bool{}
	}
	if !m.leftOutAt[offset] { // the closing metadata may be read twice
		m.leftOutAt[offset] = true
		m.containersLeftOut++
	}
}

// metadata returns the best metadata known so far, or nil.
func (m *metaState) metadata() *Metadata {
	var md Metadata
	switch {
	case m.end != nil:
		md = *m.end
	case m.start != nil:
		md = *m.start
	default:
		if len(m.containers) == 0 {
			return nil
		}
	}
	if len(md.Containers) == 0 {
		md.Containers = m.containers
	}
	return &md
}
