package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// resyncWindow is how many bytes the magic search looks at per step.
const resyncWindow = 64 << 10

// indexAt returns the index of the frame at file offset off: its position
// in the seek table when the file has a consistent one, fallback otherwise.
func (s *frameSource) indexAt(off int64, fallback int) int {
	if s.bounds == nil {
		return fallback
	}
	i := sort.Search(len(s.bounds), func(i int) bool { return s.bounds[i] >= off })
	if i < len(s.bounds) && s.bounds[i] == off {
		return i
	}
	return fallback
}

// checkBound reports a frame that starts at a frame boundary of the seek
// table but does not end at the next one, unless it decodes and another
// frame follows it: its structure lies about its length (a damaged zstd
// block header), so its bytes are not trusted.
func (s *frameSource) checkBound(j *frameJob) error {
	if s.bounds == nil {
		return nil
	}
	i := sort.Search(len(s.bounds), func(i int) bool { return s.bounds[i] >= j.offset })
	if i+1 >= len(s.bounds) || s.bounds[i] != j.offset {
		return nil
	}
	if end := j.offset + int64(len(j.src)); end != s.bounds[i+1] {
		// Moved frames end elsewhere too: such a frame is kept when it
		// decodes and another frame follows it.
		if err := s.checkAlone(j); err != nil || !s.followed() {
			return s.corruptAt(j, fmt.Sprintf("frame ends at offset %d, the seek table says %d", end, s.bounds[i+1]), err)
		}
	}
	return nil
}

// moveTo sets the input position to off, giving back the bytes of j read
// beyond it (j.src holds the bytes read from j.offset on).
func (s *frameSource) moveTo(j *frameJob, off int64) bool {
	pos := s.in.pos
	switch {
	case off > pos:
		return s.in.discard(off-pos) == off-pos
	case off < pos:
		from, to := off-j.offset, pos-j.offset
		if from < 0 || to > int64(len(j.src)) {
			// zeroTail discarded zeros rather than reading them into
			// j.src; no frame starts inside a run of zeros.
			return true
		}
		s.in.unread(j.src[from:to])
	}
	return true
}

// resync finds the next good frame after the bad frame j and positions the
// input at it, returning its offset, or false when no good frame follows.
// It searches the bytes after j's start for a zstd or skippable frame
// magic; a candidate counts when its whole frame reads, a zstd frame
// decompresses with its checksum, and a skippable frame is followed by
// another frame or the end of the file, or holds a payload that decodes.
// (The seek table is not trusted to say where the next frame starts: frames
// may have been moved.)
func (s *frameSource) resync(j *frameJob) (int64, bool) {
	if !s.moveTo(j, j.offset+1) {
		return 0, false
	}
	for {
		b := s.in.peek(resyncWindow)
		if len(b) < 4 {
			return 0, false
		}
		i := indexFrameMagic(b)
		if i < 0 {
			s.in.discard(int64(len(b) - 3))
			continue
		}
		s.in.discard(int64(i))
		if off, ok := s.probeFrame(); ok {
			return off, true
		}
	}
}

// probeFrame reads the frame at the current position into s.probe and
// checks it. It leaves the input at the frame's start when the frame is
// good, one byte after it otherwise.
func (s *frameSource) probeFrame() (int64, bool) {
	p := &s.probe
	p.offset, p.index = s.in.pos, -1
	p.src = p.src[:0]
	_, err := s.readFrame(p)
	ok := err == nil
	if ok && p.kind == jobData {
		var derr error
		p.dst, derr = s.dec.DecodeAll(p.src, p.dst[:0])
		ok = derr == nil
	}
	if ok && p.kind == jobSkippable {
		ok = s.followed() || validSkippable(p.magic, p.src[8:])
	}
	if ok {
		s.moveTo(p, p.offset)
		trimBuffers(p)
		return p.offset, true
	}
	s.moveTo(p, p.offset+1)
	trimBuffers(p)
	return 0, false
}

// followed reports whether the bytes after a frame look like the start of
// another: a frame magic, zeros (a zero-filled tail) or the end of the file.
// A frame followed by anything else may have lied about its length.
func (s *frameSource) followed() bool {
	next := s.in.peek(4)
	if len(next) < 4 {
		return len(next) == 0
	}
	m := binary.LittleEndian.Uint32(next)
	if m == 0 {
		// Zeros count only as a zero-filled tail, not as a stretch of
		// zeros inside a frame that a bad length ran into.
		return allZero(s.in.peek(resyncWindow))
	}
	return m == zstdMagic || isSkippable(m)
}

// checkAlone checks a frame that is not followed by another (see
// followed), without a seek table to say where it ends: a zstd frame
// must decompress, a skippable frame must hold a payload that decodes. The
// next frame's magic may be what is damaged; then the frame is kept.
func (s *frameSource) checkAlone(j *frameJob) error {
	switch j.kind {
	case jobData:
		var err error
		s.probe.dst, err = s.dec.DecodeAll(j.src, s.probe.dst[:0])
		trimBuffers(&s.probe)
		if err != nil {
			return s.corruptAt(j, "frame is not followed by another and does not decompress: bad length", err)
		}
	case jobSkippable:
		payload := j.src[8:]
		known := j.magic == seekTableMagic || (j.magic == retraceMagic && len(payload) >= 4 && knownTag(string(payload[:4])))
		if known && !validSkippable(j.magic, payload) {
			return s.corruptAt(j, "skippable frame's payload does not decode: bad length or content", nil)
		}
		if !known && !s.followed() {
			return s.corruptAt(j, "skippable frame is not followed by another: bad length", nil)
		}
	}
	return nil
}

// validSkippable reports whether a skippable frame's payload decodes as
// one of retrace's frames or a seek table.
func validSkippable(magic uint32, payload []byte) bool {
	if magic == seekTableMagic {
		return len(payload) >= 9 && binary.LittleEndian.Uint32(payload[len(payload)-4:]) == seekableFooterMagc &&
			len(payload) == int(binary.LittleEndian.Uint32(payload[len(payload)-9:]))*8+9
	}
	if magic != retraceMagic || len(payload) < 4 {
		return false
	}
	tag, body := string(payload[:4]), payload[4:]
	switch {
	case !knownTag(tag):
		return false
	case tag == tagIndex && (len(body) < 8 || len(body) != 8+int(binary.LittleEndian.Uint32(body[4:]))*indexEntryLen):
		return false
	case tag == tagFooter && len(body) != footerBodyLen:
		return false
	}
	var m metaState
	return m.add(magic, payload, 0) == nil
}

// indexFrameMagic returns the position of the first zstd or skippable
// frame magic in b, or -1.
func indexFrameMagic(b []byte) int {
	for i := 0; i+4 <= len(b); i++ {
		k := bytes.IndexAny(b[i:], "\x28\x50\x51\x52\x53\x54\x55\x56\x57\x58\x59\x5a\x5b\x5c\x5d\x5e\x5f")
		if k < 0 || i+k+4 > len(b) {
			return -1
		}
		i += k
		m := binary.LittleEndian.Uint32(b[i:])
		if m == zstdMagic || isSkippable(m) {
			return i
		}
	}
	return -1
}

// seekBounds returns the file offsets of every frame listed by the seek
// table at the end of a retrace .scap.zst file of the given size, the seek
// table's own offset last, or nil when the file has no seek table or its
// sizes do not add up to the file's.
func seekBounds(r io.ReaderAt, size int64) []int64 {
	if size < 17 {
		return nil
	}
	var tail [9]byte
	if _, err := r.ReadAt(tail[:], size-9); err != nil || binary.LittleEndian.Uint32(tail[5:]) != seekableFooterMagc || tail[4] != 0 {
		return nil
	}
	n := int64(binary.LittleEndian.Uint32(tail[:]))
	tableLen := n*8 + 9
	tableOff := size - 8 - tableLen
	if n < 1 || tableOff < 0 || n > size/8 {
		return nil
	}
	table := make([]byte, 8+tableLen)
	if _, err := r.ReadAt(table, tableOff); err != nil || binary.LittleEndian.Uint32(table) != seekTableMagic {
		return nil
	}
	bounds := make([]int64, 0, n+1)
	var off int64
	for i := range n {
		bounds = append(bounds, off)
		c := int64(binary.LittleEndian.Uint32(table[8+8*i:]))
		if c < 8 {
			return nil
		}
		off += c
	}
	if off != tableOff {
		return nil
	}
	return append(bounds, tableOff)
}

// frameRecord is what the reader saw of one data frame, for the checks
// against the frame index and of the time order.
type frameRecord struct {
	index           int
	offset          int64
	compressed, raw uint32
	events          uint64
	firstTS, lastTS uint64
}

// frameKey identifies a frame's content cheaply: its time range, size and
// zstd content checksum. Two frames with the same key are copies.
type frameKey struct {
	firstTS, lastTS uint64
	raw             uint32
	sum             uint32
}

// addDamage records a damaged stretch of the file.
func (s *frameSource) addDamage(kind DamageKind, frame int, off, end int64, err error) {
	s.damage = append(s.damage, Damage{Kind: kind, Frame: frame, Offset: off, End: end, Err: err})
	if kind == DamageBlock {
		d := &s.damage[len(s.damage)-1]
		d.readBefore = *s.evBlks - s.frameStart
		d.partial = true
	}
}

// blockTS returns the timestamp of an event block, or 0.
func blockTS(raw []byte) uint64 {
	if len(raw) < blockHeaderLen {
		return 0
	}
	k, ok := eventKind(binary.LittleEndian.Uint32(raw))
	off := blockHeaderLen + k.prefixLen()
	if !ok || len(raw) < off+8 {
		return 0
	}
	return binary.LittleEndian.Uint64(raw[off:])
}

// startFrame checks a data frame that has just been decompressed against
// the frames before it: a frame that starts before the previous one
// started is out of order (a frame may start a little before the previous
// one's last event: the recorder's reorder window lets a late event through
// across a frame boundary), and one whose content repeats an earlier
// frame's is a duplicate, whose events are not handed out again.
func (s *frameSource) startFrame() {
	j := s.cur
	s.frameStart = *s.evBlks
	rec := frameRecord{index: j.index, offset: j.offset, compressed: uint32(len(j.src)), raw: uint32(len(j.dst))}
	if len(j.dst) >= blockHeaderLen {
		rec.firstTS = blockTS(j.dst)
		if total := int(binary.LittleEndian.Uint32(j.dst[len(j.dst)-4:])); total >= blockHeaderLen && total <= len(j.dst) {
			rec.lastTS = blockTS(j.dst[len(j.dst)-total:])
		}
	}
	var prevFirst uint64
	for i := len(s.recs) - 1; i >= 0; i-- {
		if s.recs[i].firstTS != 0 {
			prevFirst = s.recs[i].firstTS
			break
		}
	}
	if rec.firstTS != 0 && len(j.src) >= 4 {
		key := frameKey{rec.firstTS, rec.lastTS, rec.raw, binary.LittleEndian.Uint32(j.src[len(j.src)-4:])}
		if s.seen == nil {
			s.seen = map[frameKey]int{}
		}
		if first, dup := s.seen[key]; dup {
			s.damage = append(s.damage, Damage{Kind: DamageDuplicate, Frame: j.index, Offset: j.offset, End: j.offset + int64(len(j.src)),
				Err: s.corruptAt(j, fmt.Sprintf("frame repeats frame %d; its events are skipped", first), nil)})
			s.rest = nil
			s.curRec = -1
			return
		}
		s.seen[key] = j.index
		if rec.firstTS < prevFirst {
			s.damage = append(s.damage, Damage{Kind: DamageOrder, Frame: j.index, Offset: j.offset, End: j.offset,
				Err: s.corruptAt(j, fmt.Sprintf("frame starts at ts %d, before the previous frame's first event at ts %d: frames out of order", rec.firstTS, prevFirst), nil)})
		}
	}
	s.recs = append(s.recs, rec)
	s.curRec = len(s.recs) - 1
}

// endFrame completes the record of the current frame.
func (s *frameSource) endFrame() {
	if s.curRec >= 0 {
		s.recs[s.curRec].events = *s.evBlks - s.frameStart
		s.curRec = -1
	}
}

// checkIndex completes the damage records with what the frame index says
// (events and time range lost) and compares the index with the event
// frames read: an entry no frame matches, or a frame no entry matches,
// means frames were removed, inserted or altered, or the index lies.
func (s *frameSource) checkIndex(idx []FrameInfo) {
	s.endFrame()
	if idx == nil {
		return
	}
	for i := range s.damage {
		d := &s.damage[i]
		switch d.Kind {
		case DamageFrame, DamageBlock:
		default:
			continue
		}
		for _, f := range idx {
			if f.Offset < d.Offset || f.Offset >= max(d.End, d.Offset+1) {
				continue
			}
			d.EventsKnown = true
			d.Events += f.Events
			if d.FirstTS == 0 || f.FirstTS < d.FirstTS {
				d.FirstTS = f.FirstTS
			}
			d.LastTS = max(d.LastTS, f.LastTS)
		}
		if d.partial && d.EventsKnown {
			d.Events -= min(d.Events, d.readBefore)
		}
	}
	type content struct {
		compressed, raw uint32
		events          uint64
		firstTS, lastTS uint64
	}
	byContent := map[content][]int{}
	for i, f := range idx {
		k := content{f.CompressedSize, f.RawSize, f.Events, f.FirstTS, f.LastTS}
		byContent[k] = append(byContent[k], i)
	}
	matched := make([]bool, len(idx))
	damaged := func(off int64) bool {
		for _, d := range s.damage {
			if off >= d.Offset && off < d.End {
				return true
			}
		}
		return false
	}
	for _, r := range s.recs {
		if r.events == 0 || damaged(r.offset) {
			continue
		}
		k := content{r.compressed, r.raw, r.events, r.firstTS, r.lastTS}
		if l := byContent[k]; len(l) > 0 {
			matched[l[0]] = true
			byContent[k] = l[1:]
			continue
		}
		s.damage = append(s.damage, Damage{Kind: DamageIndex, Frame: r.index, Offset: r.offset, End: r.offset,
			Err: &CorruptError{File: s.name, Offset: r.offset, Frame: r.index,
				Reason: fmt.Sprintf("frame of %d events (ts %d to %d) is not in the frame index: inserted, altered or the index lies", r.events, r.firstTS, r.lastTS)}})
	}
	for i, f := range idx {
		if _, skipped := s.skip[f.Offset]; matched[i] || skipped || damaged(f.Offset) {
			continue
		}
		s.damage = append(s.damage, Damage{Kind: DamageIndex, Frame: -1, Offset: f.Offset, End: f.Offset,
			EventsKnown: true, Events: f.Events, FirstTS: f.FirstTS, LastTS: f.LastTS,
			Err: &CorruptError{File: s.name, Offset: f.Offset, Frame: -1,
				Reason: fmt.Sprintf("index entry %d (%d events, ts %d to %d) matches no frame of the file: frame removed or altered, or the index lies", i, f.Events, f.FirstTS, f.LastTS)}})
	}
}

// indexConsistent reports whether a summary's frame index agrees with the
// seek table and the footer: every entry at a frame boundary, in file and
// time order, within the footer's time range, adding up to its event
// count. ReaderOptions.Since trusts only such an index to skip frames.
func indexConsistent(sum *Summary, bounds []int64) bool {
	var events, last uint64
	var prevOff int64 = -1
	for _, f := range sum.Frames {
		i := sort.Search(len(bounds), func(i int) bool { return bounds[i] >= f.Offset })
		if i+1 >= len(bounds) || bounds[i] != f.Offset || bounds[i+1]-f.Offset != int64(f.CompressedSize) {
			return false
		}
		if f.Offset <= prevOff || f.FirstTS > f.LastTS || f.FirstTS < last || f.FirstTS < sum.FirstTS || f.LastTS > sum.LastTS {
			return false
		}
		prevOff, last = f.Offset, f.LastTS
		events += f.Events
	}
	return events == sum.Events
}

// knownTag reports whether tag names one of retrace's skippable frames.
func knownTag(tag string) bool {
	switch tag {
	case tagMetaStart, tagMetaEnd, tagContainers, tagIndex, tagFooter, tagCheckpoint:
		return true
	}
	return false
}
