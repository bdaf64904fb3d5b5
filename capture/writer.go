package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/capture/scap"
)

// Defaults of [WriterOptions].
const (
	DefaultFrameSize     = 1 << 20
	DefaultFrameInterval = time.Second
	DefaultSyncInterval  = 5 * time.Second
	DefaultLevel         = 3
	maxWindow            = 8 << 20
)

// WriterOptions configures a [Writer]. The zero value gives a .scap.zst file
// (unless the name says otherwise) with the defaults below.
type WriterOptions struct {
	// Format is the output format; FormatUnknown picks it from the file
	// name's extension (see FormatFromName).
	Format Format
	// Level is the zstd compression level (1..22, mapped onto
	// klauspost/compress's four encoder speeds); 0 means DefaultLevel.
	Level int
	// FrameSize is the raw size at which an event frame is cut; 0 means
	// DefaultFrameSize.
	FrameSize int
	// FrameInterval cuts an event frame when its events span this much
	// event time; 0 means DefaultFrameInterval.
	FrameInterval time.Duration
	// SyncInterval is the least time between two fsyncs at frame
	// boundaries; 0 means DefaultSyncInterval, a negative value disables
	// them. The header frame and Close are always synced.
	SyncInterval time.Duration
	// Metadata is written after the header frame, and again, with what
	// SetMetadata and AddContainer added, at Close.
	Metadata *Metadata
	// SignKey, when set, signs every checkpoint of a .scap.zst file (see
	// docs/FORMAT.md, "Evidence"); without it checkpoints carry the hash
	// chain unsigned.
	SignKey *minisig.PrivateKey
	// CheckpointInterval is the least time between two checkpoints, which
	// are written at frame boundaries; 0 means DefaultCheckpointInterval.
	CheckpointInterval time.Duration
	// Checkpoints, when set, receives every checkpoint as one JSON line
	// (CheckpointLine), so that it can leave the host while recording.
	Checkpoints io.Writer
	// Now is the clock of checkpoint times and intervals; nil means
	// time.Now. Generators of reproducible files pass a fixed clock.
	Now func() time.Time
}

// WriterStats counts what a [Writer] wrote.
type WriterStats struct {
	Events      uint64
	Frames      int   // zstd data frames, the header frame included
	RawBytes    int64 // scap bytes
	FileBytes   int64 // bytes written to the file
	FirstTS     uint64
	LastTS      uint64
	Unflushed   int    // raw bytes waiting in the current frame
	Flushed     uint64 // events in frames already written to the file
	MetaFrames  int
	SyncedBytes int64 // file bytes known to be on stable storage
}

var zeroPad [4]byte

// Writer writes a capture file. For .scap.zst it gathers blocks into frames:
// the header blocks form frame 0, then event blocks are cut into frames by
// size and event time. Writer is not safe for concurrent use.
type Writer struct {
	name  string
	file  *os.File // synced when set
	owned bool     // Create opened file, so Close closes it
	out   io.Writer
	opts  WriterOptions

	format Format
	enc    *zstd.Encoder
	coder  *frameCoder // enc and the buffers, back to their pool at Close
	bw     *bufio.Writer
	gz     *gzip.Writer

	buf         []byte // raw bytes of the frame being built
	zbuf        []byte // compressed frame
	sawSHB      bool
	headerDone  bool
	headerBytes int64 // header blocks written (see MaxHeaderBytes)
	closed      bool
	err         error

	frameFirst, frameLast uint64
	frameEvents           uint64
	interval              uint64
	frameSize             int

	meta     Metadata
	chain    chainWriter
	pending  [][]byte // skippable frames waiting for the next frame boundary
	index    []FrameInfo
	seek     []seekEntry
	stats    WriterStats
	lastSync time.Time
}

// Create creates the capture file at path.
func Create(path string, opts WriterOptions) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create capture: %w", err)
	}
	if opts.Format == FormatUnknown {
		opts.Format = FormatFromName(path)
	}
	w, err := newWriter(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.file, w.owned = f, true
	return w, nil
}

// NewWriter writes a capture to out, naming it name in errors. Close does
// not close out; fsync happens only when out is an *os.File.
func NewWriter(out io.Writer, name string, opts WriterOptions) (*Writer, error) {
	if opts.Format == FormatUnknown {
		opts.Format = FormatFromName(name)
	}
	w, err := newWriter(out, name, opts)
	if err != nil {
		return nil, err
	}
	if f, ok := out.(*os.File); ok {
		w.file = f
	}
	return w, nil
}

func newWriter(out io.Writer, name string, opts WriterOptions) (*Writer, error) {
	w := &Writer{name: name, out: out, opts: opts, format: opts.Format, lastSync: time.Now()}
	if opts.Metadata != nil {
		w.meta = *opts.Metadata
	}
	w.frameSize = opts.FrameSize
	if w.frameSize <= 0 {
		w.frameSize = DefaultFrameSize
	}
	if w.frameSize > MaxFrameContent/2 {
		w.frameSize = MaxFrameContent / 2
	}
	iv := opts.FrameInterval
	if iv <= 0 {
		iv = DefaultFrameInterval
	}
	w.interval = uint64(iv)
	w.chain.interval = opts.CheckpointInterval
	if w.chain.interval <= 0 {
		w.chain.interval = DefaultCheckpointInterval
	}
	w.chain.key, w.chain.sink, w.chain.now = opts.SignKey, opts.Checkpoints, opts.Now
	if w.chain.now == nil {
		w.chain.now = time.Now
	}
	if opts.SignKey != nil {
		w.meta.SigningKey = opts.SignKey.Public().Base64()
	}
	switch w.format {
	case FormatZstd:
		level := opts.Level
		if level == 0 {
			level = DefaultLevel
		}
		fc, err := getFrameCoder(level)
		if err != nil {
			return nil, err
		}
		w.coder, w.enc = fc, fc.enc
		if need := w.frameSize + 64<<10; cap(fc.buf) < need {
			fc.buf = make([]byte, 0, need)
		}
		w.buf, w.zbuf = fc.buf[:0], fc.zbuf[:0]
	case FormatGzip:
		w.bw = bufio.NewWriterSize(out, 256<<10)
		w.gz = gzip.NewWriter(w.bw)
	case FormatScap:
		w.bw = bufio.NewWriterSize(out, 256<<10)
	default:
		return nil, fmt.Errorf("create capture %s: unsupported format %v", name, w.format)
	}
	return w, nil
}

// Format returns the format being written.
func (w *Writer) Format() Format { return w.format }

// Stats returns the writer's counters.
func (w *Writer) Stats() WriterStats {
	s := w.stats
	s.Unflushed = len(w.buf)
	return s
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// write sends bytes to the plain/gzip stream or, for zstd, to the file.
func (w *Writer) writeOut(p []byte) error {
	var err error
	switch w.format {
	case FormatGzip:
		_, err = w.gz.Write(p)
	case FormatScap:
		_, err = w.bw.Write(p)
	default:
		_, err = w.out.Write(p)
	}
	if err != nil {
		return w.fail(fmt.Errorf("write capture %s: %w", w.name, err))
	}
	w.stats.FileBytes += int64(len(p))
	return nil
}

// WriteHeader writes the header blocks of h (MI, IL_V2, UL_V2, PL_V9,
// FDL_V2, preceded by a section header). It must come before any event.
func (w *Writer) WriteHeader(h *Header) error {
	if w.closed {
		return ErrClosed
	}
	if w.headerDone {
		return fmt.Errorf("write header to %s: events already written", w.name)
	}
	raw := AppendHeader(nil, h)
	if w.sawSHB {
		raw = raw[sectionHeaderLen:]
	}
	for len(raw) > 0 {
		b, err := splitBlock(raw)
		if err != nil {
			return fmt.Errorf("write header to %s: %w", w.name, err)
		}
		if err := w.WriteBlock(b.Raw); err != nil {
			return err
		}
		raw = raw[len(b.Raw):]
	}
	return nil
}

// WriteBlock writes one complete scap block (header, body, padding,
// trailer) unchanged. A section header is inserted first when the first
// block is not one. Non-event blocks before the first event form the header
// frame.
func (w *Writer) WriteBlock(raw []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if len(raw) < blockOverhead {
		return fmt.Errorf("write block to %s: %d bytes is shorter than a block", w.name, len(raw))
	}
	typ, total, err := parseBlockHeader(raw)
	if err == nil && int(total) != len(raw) {
		err = fmt.Errorf("block %s: length field %d, have %d bytes", BlockName(typ), total, len(raw))
	}
	if err == nil {
		err = checkTrailer(raw)
	}
	if err != nil {
		return fmt.Errorf("write block to %s: %w", w.name, err)
	}
	if k, ok := eventKind(typ); ok {
		off := blockHeaderLen + k.prefixLen()
		var ts uint64
		if len(raw) >= off+8+4 {
			ts = binary.LittleEndian.Uint64(raw[off:])
		}
		return w.addEvent(raw, ts)
	}
	if typ != BlockSHB {
		if err := w.ensureSectionHeader(); err != nil {
			return err
		}
	}
	w.sawSHB = true
	if !w.headerDone && isHeaderBlock(typ) {
		if w.headerBytes += int64(len(raw)); w.headerBytes > MaxHeaderBytes {
			return w.fail(fmt.Errorf("write header to %s: header blocks of more than the %s readers keep", w.name, sizeText(MaxHeaderBytes)))
		}
	}
	if w.format == FormatZstd && w.headerDone {
		// Blocks other than events among the events go in frames of their
		// own, cut by size like events: an event frame holds events only
		// (its first and last blocks give its time range, which the
		// index repeats), and big blocks cannot pile up past the reader's
		// frame limit.
		if w.frameEvents > 0 || (len(w.buf) > 0 && len(w.buf)+len(raw) > w.frameSize) {
			if err := w.cutFrame(w.frameEvents > 0); err != nil {
				return err
			}
		}
	}
	return w.append(raw)
}

// ensureSectionHeader writes a section header unless one has been written.
func (w *Writer) ensureSectionHeader() error {
	if w.sawSHB {
		return nil
	}
	if err := w.append(AppendSectionHeader(nil)); err != nil {
		return err
	}
	w.sawSHB = true
	w.headerBytes += sectionHeaderLen
	return nil
}

// WriteEvent writes one scap event record ev (version 2 header, as
// scap.AppendEvent makes) in an event block with the given CPU and block
// flags.
func (w *Writer) WriteEvent(cpu uint16, flags uint32, ev []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if len(ev) < scap.HeaderLenV2 || scap.RawLen(ev) != uint32(len(ev)) {
		return fmt.Errorf("write event to %s: record of %d bytes does not match its length field", w.name, len(ev))
	}
	typ := BlockEVV2
	info, ok := scap.Lookup(scap.RawType(ev))
	large := ok && info.Large()
	pre := 2
	switch {
	case flags != 0 && large:
		typ, pre = BlockEVFV2Large, 6
	case flags != 0:
		typ, pre = BlockEVFV2, 6
	case large:
		typ = BlockEVV2Large
	}
	body := pre + len(ev)
	pad := (4 - body%4) % 4
	total := blockOverhead + body + pad
	if total > MaxBlockSize {
		return fmt.Errorf("write event to %s: block of %d bytes exceeds the %d-byte limit", w.name, total, MaxBlockSize)
	}
	ts := binary.LittleEndian.Uint64(ev)
	if err := w.beforeEvent(total, ts); err != nil {
		return err
	}
	start := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, typ)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(total))
	w.buf = binary.LittleEndian.AppendUint16(w.buf, cpu)
	if pre == 6 {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, flags)
	}
	w.buf = append(w.buf, ev...)
	w.buf = append(w.buf, zeroPad[:pad]...)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(total))
	if w.format != FormatZstd {
		err := w.writeOut(w.buf[start:])
		w.buf = w.buf[:start]
		if err != nil {
			return err
		}
	}
	w.afterEvent(total, ts)
	return nil
}

func (w *Writer) addEvent(raw []byte, ts uint64) error {
	if err := w.beforeEvent(len(raw), ts); err != nil {
		return err
	}
	if err := w.append(raw); err != nil {
		return err
	}
	w.afterEvent(0, ts)
	return nil
}

// beforeEvent finishes the header and cuts the current frame when the
// event would make it too big or too long.
func (w *Writer) beforeEvent(size int, ts uint64) error {
	if !w.headerDone {
		if err := w.ensureSectionHeader(); err != nil {
			return err
		}
		w.headerDone = true
		if w.format == FormatZstd {
			if err := w.cutFrame(false); err != nil {
				return err
			}
			md, _ := json.Marshal(&w.meta)
			if err := w.writeSkippable(tagMetaStart, md); err != nil {
				return err
			}
			if err := w.sync(); err != nil {
				return err
			}
		}
		return nil
	}
	if w.format == FormatZstd && w.frameEvents > 0 &&
		(len(w.buf)+size > w.frameSize || (ts > w.frameFirst && ts-w.frameFirst >= w.interval)) {
		return w.cutFrame(true)
	}
	if w.format == FormatZstd && w.frameEvents == 0 && len(w.buf) > 0 {
		return w.cutFrame(false) // a frame of blocks other than events (see WriteBlock)
	}
	return nil
}

func (w *Writer) afterEvent(size int, ts uint64) {
	if w.frameEvents == 0 {
		w.frameFirst = ts
	}
	w.frameLast = ts
	w.frameEvents++
	if w.stats.Events == 0 {
		w.stats.FirstTS = ts
	}
	w.stats.LastTS = ts
	w.stats.Events++
	w.stats.RawBytes += int64(size) // WriteEvent's bytes; append counts the others
}

// append adds raw bytes to the current frame (zstd) or the stream.
func (w *Writer) append(p []byte) error {
	if w.format == FormatZstd {
		// A big header spreads over several frames, cut by size like events.
		if !w.headerDone && len(w.buf) > 0 && len(w.buf)+len(p) > w.frameSize {
			if err := w.cutFrame(false); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, p...)
		w.stats.RawBytes += int64(len(p))
		return nil
	}
	w.stats.RawBytes += int64(len(p))
	return w.writeOut(p)
}

// cutFrame compresses and writes the current frame, then any pending
// metadata frames.
func (w *Writer) cutFrame(events bool) error {
	if len(w.buf) > 0 {
		w.zbuf = w.enc.EncodeAll(w.buf, w.zbuf[:0])
		off := w.stats.FileBytes
		if err := w.writeOut(w.zbuf); err != nil {
			return err
		}
		w.chain.add(len(w.seek), off, w.zbuf)
		w.seek = append(w.seek, seekEntry{CompressedSize: uint32(len(w.zbuf)), DecompressedSize: uint32(len(w.buf))})
		if events {
			w.index = append(w.index, FrameInfo{Offset: off, CompressedSize: uint32(len(w.zbuf)), RawSize: uint32(len(w.buf)),
				FirstTS: w.frameFirst, LastTS: w.frameLast, Events: w.frameEvents})
		}
		w.stats.Frames++
		w.stats.Flushed += w.frameEvents
		w.buf = w.buf[:0]
		w.frameEvents = 0
	}
	for _, p := range w.pending {
		if err := w.writeSkippableRaw(p); err != nil {
			return err
		}
	}
	w.pending = w.pending[:0]
	if events && w.chain.entries != nil && (w.chain.number == 0 || w.chain.now().Sub(w.chain.last) >= w.chain.interval) {
		if err := w.writeCheckpoint(false); err != nil {
			return err
		}
	}
	if w.opts.SyncInterval >= 0 {
		iv := w.opts.SyncInterval
		if iv == 0 {
			iv = DefaultSyncInterval
		}
		if time.Since(w.lastSync) >= iv {
			return w.sync()
		}
	}
	return nil
}

func (w *Writer) writeSkippable(tag string, payload []byte) error {
	return w.writeSkippableRaw(appendSkippable(nil, tag, payload))
}

func (w *Writer) writeSkippableRaw(frame []byte) error {
	off := w.stats.FileBytes
	if err := w.writeOut(frame); err != nil {
		return err
	}
	if string(frame[8:12]) != tagCheckpoint {
		w.chain.add(len(w.seek), off, frame)
	}
	w.seek = append(w.seek, seekEntry{CompressedSize: uint32(len(frame))})
	w.stats.MetaFrames++
	return nil
}

// sync flushes the file to stable storage (only for files).
func (w *Writer) sync() error {
	w.lastSync = time.Now()
	if w.file == nil {
		return nil
	}
	if err := w.file.Sync(); err != nil {
		return w.fail(fmt.Errorf("sync capture %s: %w", w.name, err))
	}
	w.stats.SyncedBytes = w.stats.FileBytes
	return nil
}

// AddContainer records a container's metadata. For .scap.zst it is written
// at the next frame boundary and again in the closing metadata; other
// formats cannot store it.
func (w *Writer) AddContainer(c Container) {
	w.meta.Containers = append(w.meta.Containers, c)
	if w.format == FormatZstd {
		js, _ := json.Marshal([]Container{c})
		w.pending = append(w.pending, appendSkippable(nil, tagContainers, js))
	}
}

// SetMetadata replaces the metadata written at Close (stop time, drop
// counters, unrecorded syscalls...). Containers added with AddContainer are
// kept when m has none.
func (w *Writer) SetMetadata(m Metadata) {
	if len(m.Containers) == 0 {
		m.Containers = w.meta.Containers
	}
	if m.SigningKey == "" {
		m.SigningKey = w.meta.SigningKey
	}
	w.meta = m
}

// Flush cuts the current event frame, so that everything written so far is
// in the file (not necessarily on stable storage). Recorders call it when
// events are sparse.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	switch w.format {
	case FormatZstd:
		if !w.headerDone {
			return nil
		}
		return w.cutFrame(true)
	case FormatGzip:
		if err := w.gz.Flush(); err != nil {
			return w.fail(err)
		}
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Close writes what remains, the closing metadata, the frame index, the
// footer and the seek table (for .scap.zst), syncs the file and closes it
// if Create opened it.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	err := w.finish()
	w.closed = true
	if fc := w.coder; fc != nil {
		fc.buf, fc.zbuf = w.buf[:0], w.zbuf[:0]
		w.coder, w.enc, w.buf, w.zbuf = nil, nil, nil, nil
		putFrameCoder(fc)
	}
	if w.file != nil && w.err == nil {
		err = w.sync()
	}
	if w.owned {
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close capture %s: %w", w.name, cerr)
		}
	}
	return err
}

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if err := w.ensureSectionHeader(); err != nil {
		return err
	}
	switch w.format {
	case FormatGzip:
		if err := w.gz.Close(); err != nil {
			return w.fail(fmt.Errorf("close capture %s: %w", w.name, err))
		}
		if err := w.bw.Flush(); err != nil {
			return w.fail(fmt.Errorf("close capture %s: %w", w.name, err))
		}
		return nil
	case FormatScap:
		if err := w.bw.Flush(); err != nil {
			return w.fail(fmt.Errorf("close capture %s: %w", w.name, err))
		}
		return nil
	}
	if err := w.cutFrame(w.headerDone); err != nil {
		return err
	}
	if !w.headerDone {
		// A capture without events still gets its start metadata.
		md, _ := json.Marshal(&w.meta)
		if err := w.writeSkippable(tagMetaStart, md); err != nil {
			return err
		}
	}
	f := footer{Events: w.stats.Events, EventFrames: uint32(len(w.index)), FirstTS: w.stats.FirstTS, LastTS: w.stats.LastTS}
	f.MetadataOffset = w.stats.FileBytes
	md, _ := json.Marshal(&w.meta)
	if err := w.writeSkippable(tagMetaEnd, md); err != nil {
		return err
	}
	f.IndexOffset = w.stats.FileBytes
	if err := w.writeSkippable(tagIndex, encodeIndex(w.index)); err != nil {
		return err
	}
	if err := w.writeSkippable(tagFooter, encodeFooter(f)); err != nil {
		return err
	}
	if err := w.writeCheckpoint(true); err != nil {
		return err
	}
	return w.writeOut(appendSeekTable(nil, w.seek))
}

// frameCoder is a zstd encoder with the buffers of the frame it encodes.
// Writers take one from a pool per compression level and give it back at
// Close: a new encoder with its 8 MiB window and a frame buffer cost more
// to allocate and clear than a small capture (a Falco trigger's, a
// rotated file, a test's) costs to compress.
type frameCoder struct {
	level     int
	enc       *zstd.Encoder
	buf, zbuf []byte
}

var frameCoders sync.Map // level (int) -> *sync.Pool of *frameCoder

func getFrameCoder(level int) (*frameCoder, error) {
	p, _ := frameCoders.LoadOrStore(level, new(sync.Pool))
	if fc, ok := p.(*sync.Pool).Get().(*frameCoder); ok {
		return fc, nil
	}
	// EncodeAll with one goroutine keeps no state between frames, so an
	// encoder serves one writer after another.
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(true),
		zstd.WithSingleSegment(true), // every frame declares its content size
		zstd.WithWindowSize(maxWindow))
	if err != nil {
		return nil, fmt.Errorf("create zstd encoder: %w", err)
	}
	return &frameCoder{level: level, enc: enc}, nil
}

func putFrameCoder(fc *frameCoder) {
	p, _ := frameCoders.Load(fc.level)
	p.(*sync.Pool).Put(fc)
}
