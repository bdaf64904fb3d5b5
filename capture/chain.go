package capture

import (
	"crypto/sha256"
	"encoding/binary"
	hexenc "encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/capture/minisig"
)

// DefaultCheckpointInterval is the default of
// [WriterOptions.CheckpointInterval].
const DefaultCheckpointInterval = 10 * time.Second

const (
	tagCheckpoint     = "RTCK"
	checkpointVersion = 1
	chainEntryLen     = 56
	checkpointFinal   = 1 << 0
	checkpointSigned  = 1 << 1
)

// ChainEntry is a checkpoint's record of one chained frame.
type ChainEntry struct {
	// Frame is the frame's index, counting every frame of the file.
	Frame uint64
	// Offset and Length place the frame's bytes in the file.
	Offset, Length uint64
	// Hash is the SHA-256 of the frame's bytes.
	Hash [32]byte
}

// Checkpoint is a checkpoint frame of a .scap.zst file: the chain records
// of the frames since the previous checkpoint, the statement that sums up
// the chain so far, and its signature (see docs/FORMAT.md, "Evidence").
type Checkpoint struct {
	Number  uint32
	Final   bool
	Signed  bool
	Entries []ChainEntry
	// Statement is the signed message; its fields are parsed below.
	Statement []byte
	// Signature is the text of a minisign .minisig file, or empty.
	Signature []byte

	Frames uint64   // chained frames so far
	End    uint64   // file offset after the last chained frame
	Chain  [32]byte // chain head after the last chained frame
	Key    string   // key id, or "none"
	Time   time.Time

	// Offset is the checkpoint frame's own file offset (set by readers).
	Offset int64
}

// CheckpointLine is the JSON line a checkpoint leaves the host as
// (retrace record --checkpoint-to).
type CheckpointLine struct {
	Number    uint32 `json:"number"`
	Final     bool   `json:"final"`
	Frames    uint64 `json:"frames"`
	End       uint64 `json:"end"`
	Chain     string `json:"chain"`
	Statement string `json:"statement"`
	Signature string `json:"signature,omitempty"`
}

// Line returns the checkpoint as it leaves the host.
func (c *Checkpoint) Line() CheckpointLine {
	return CheckpointLine{Number: c.Number, Final: c.Final, Frames: c.Frames, End: c.End,
		Chain: hexenc.EncodeToString(c.Chain[:]), Statement: string(c.Statement), Signature: string(c.Signature)}
}

// chainLink returns L(n) from L(n-1) and the n-th chained frame.
func chainLink(prev [32]byte, e ChainEntry) [32]byte {
	var b [92]byte
	copy(b[:], "RTCR")
	binary.LittleEndian.PutUint64(b[4:], e.Frame)
	binary.LittleEndian.PutUint64(b[12:], e.Offset)
	binary.LittleEndian.PutUint64(b[20:], e.Length)
	copy(b[28:], e.Hash[:])
	copy(b[60:], prev[:])
	return sha256.Sum256(b[:])
}

// statement returns the signed text of a checkpoint.
func statement(c *Checkpoint) []byte {
	final := 0
	if c.Final {
		final = 1
	}
	return fmt.Appendf(nil, "retrace-checkpoint 1\nnumber %d\nfinal %d\nframes %d\nend %d\nchain %x\nkey %s\ntime %s\n",
		c.Number, final, c.Frames, c.End, c.Chain[:], c.Key, c.Time.UTC().Format(time.RFC3339Nano))
}

// parseStatement fills c's summary fields from c.Statement.
func parseStatement(c *Checkpoint) error {
	lines := strings.Split(string(c.Statement), "\n")
	want := []string{"retrace-checkpoint", "number", "final", "frames", "end", "chain", "key", "time"}
	if len(lines) != len(want)+1 || lines[len(want)] != "" {
		return fmt.Errorf("statement: %d lines, want %d ending in a newline", len(lines)-1, len(want))
	}
	vals := make([]string, len(want))
	for i, w := range want {
		k, v, ok := strings.Cut(lines[i], " ")
		if !ok || k != w {
			return fmt.Errorf("statement line %d: want %q", i+1, w)
		}
		vals[i] = v
	}
	if vals[0] != "1" {
		return fmt.Errorf("statement: unsupported version %q", vals[0])
	}
	num, err1 := strconv.ParseUint(vals[1], 10, 32)
	final := vals[2]
	frames, err2 := strconv.ParseUint(vals[3], 10, 64)
	end, err3 := strconv.ParseUint(vals[4], 10, 64)
	chain, err4 := hexenc.DecodeString(vals[5])
	tm, err5 := time.Parse(time.RFC3339Nano, vals[7])
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			return fmt.Errorf("statement: %w", err)
		}
	}
	if len(chain) != 32 || (final != "0" && final != "1") {
		return fmt.Errorf("statement: bad chain or final field")
	}
	if uint32(num) != c.Number || (final == "1") != c.Final {
		return fmt.Errorf("statement says checkpoint %d final %s, the frame %d final %v", num, final, c.Number, c.Final)
	}
	c.Frames, c.End, c.Key, c.Time = frames, end, vals[6], tm
	copy(c.Chain[:], chain)
	return nil
}

func encodeCheckpoint(c *Checkpoint) []byte {
	b := make([]byte, 0, 16+len(c.Entries)*chainEntryLen+8+len(c.Statement)+len(c.Signature))
	b = binary.LittleEndian.AppendUint32(b, checkpointVersion)
	b = binary.LittleEndian.AppendUint32(b, c.Number)
	var flags uint32
	if c.Final {
		flags |= checkpointFinal
	}
	if c.Signed {
		flags |= checkpointSigned
	}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Entries)))
	for _, e := range c.Entries {
		b = binary.LittleEndian.AppendUint64(b, e.Frame)
		b = binary.LittleEndian.AppendUint64(b, e.Offset)
		b = binary.LittleEndian.AppendUint64(b, e.Length)
		b = append(b, e.Hash[:]...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Statement)))
	b = append(b, c.Statement...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Signature)))
	return append(b, c.Signature...)
}

// decodeCheckpoint parses a checkpoint frame's payload (after the tag).
func decodeCheckpoint(b []byte) (*Checkpoint, error) {
	cur := cursor{b: b}
	if v := cur.u32("checkpoint version"); cur.err == nil && v != checkpointVersion {
		return nil, fmt.Errorf("checkpoint: unsupported version %d", v)
	}
	c := &Checkpoint{Number: cur.u32("checkpoint number")}
	flags := cur.u32("checkpoint flags")
	if unknown := flags &^ (checkpointFinal | checkpointSigned); cur.err == nil && unknown != 0 {
		return nil, fmt.Errorf("checkpoint: unknown flags %#x", unknown)
	}
	c.Final, c.Signed = flags&checkpointFinal != 0, flags&checkpointSigned != 0
	n := int(cur.u32("entry count"))
	if cur.err != nil {
		return nil, fmt.Errorf("checkpoint: %w", cur.err)
	}
	if n > cur.left()/chainEntryLen {
		return nil, fmt.Errorf("checkpoint: %d entries do not fit in %d bytes", n, cur.left())
	}
	c.Entries = make([]ChainEntry, n)
	for i := range c.Entries {
		e := &c.Entries[i]
		e.Frame, e.Offset, e.Length = cur.u64("frame"), cur.u64("offset"), cur.u64("length")
		if cur.need(32, "hash") {
			copy(e.Hash[:], cur.b[cur.off:])
			cur.off += 32
		}
	}
	sl := int(cur.u32("statement length"))
	if cur.need(sl, "statement") {
		c.Statement = slices.Clone(cur.b[cur.off : cur.off+sl])
		cur.off += sl
	}
	gl := int(cur.u32("signature length"))
	if cur.need(gl, "signature") {
		c.Signature = slices.Clone(cur.b[cur.off : cur.off+gl])
		cur.off += gl
	}
	if cur.err != nil {
		return nil, fmt.Errorf("checkpoint: %w", cur.err)
	}
	if cur.left() != 0 {
		return nil, fmt.Errorf("checkpoint: %d bytes after the signature", cur.left())
	}
	if err := parseStatement(c); err != nil {
		return nil, fmt.Errorf("checkpoint %d: %w", c.Number, err)
	}
	return c, nil
}

// chainWriter is the writer's side of the chain.
type chainWriter struct {
	head     [32]byte
	frames   uint64
	end      uint64
	entries  []ChainEntry
	number   uint32
	last     time.Time
	interval time.Duration
	key      *minisig.PrivateKey
	sink     io.Writer
	sinkErr  error
	now      func() time.Time
}

// add chains a frame just written.
func (c *chainWriter) add(index int, off int64, frame []byte) {
	e := ChainEntry{Frame: uint64(index), Offset: uint64(off), Length: uint64(len(frame)), Hash: sha256.Sum256(frame)}
	c.head = chainLink(c.head, e)
	c.entries = append(c.entries, e)
	c.frames++
	c.end = uint64(off) + uint64(len(frame))
}

// checkpoint makes the next checkpoint from the frames chained since the
// previous one.
func (c *chainWriter) checkpoint(final bool, now time.Time) *Checkpoint {
	cp := &Checkpoint{Number: c.number, Final: final, Entries: c.entries, Frames: c.frames, End: c.end, Chain: c.head,
		Key: "none", Time: now}
	if c.key != nil {
		cp.Key = c.key.ID.String()
		cp.Signed = true
	}
	cp.Statement = statement(cp)
	if c.key != nil {
		cp.Signature = c.key.Sign(cp.Statement, fmt.Sprintf("retrace checkpoint %d", cp.Number),
			fmt.Sprintf("retrace checkpoint %d frames %d chain %x", cp.Number, cp.Frames, cp.Chain[:]))
	}
	c.entries = nil
	c.number++
	c.last = now
	return cp
}

// writeCheckpoint writes a checkpoint frame and sends its line to the
// checkpoint sink.
func (w *Writer) writeCheckpoint(final bool) error {
	cp := w.chain.checkpoint(final, w.chain.now())
	if err := w.writeSkippable(tagCheckpoint, encodeCheckpoint(cp)); err != nil {
		return err
	}
	if w.chain.sink != nil && w.chain.sinkErr == nil {
		line, _ := json.Marshal(cp.Line())
		if _, err := w.chain.sink.Write(append(line, '\n')); err != nil {
			// The capture goes on; Close reports the failure.
			w.chain.sinkErr = fmt.Errorf("send checkpoint %d: %w", cp.Number, err)
		}
	}
	return nil
}

// CheckpointErr returns the first error sending a checkpoint to
// WriterOptions.Checkpoints, or nil.
func (w *Writer) CheckpointErr() error { return w.chain.sinkErr }
