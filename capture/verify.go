package capture

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture/minisig"
)

// VerifyOptions configures [Verify].
type VerifyOptions struct {
	// PublicKey is the trusted key. Without it, signatures are checked
	// against the key the capture names, which proves nothing about who
	// wrote it.
	PublicKey *minisig.PublicKey
	// Checkpoints are the checkpoints that left the host while recording.
	Checkpoints []CheckpointLine
}

// FindingKind says what [Verify] found.
type FindingKind int

// Kinds of [Finding].
const (
	FindingModified   FindingKind = iota + 1 // a frame's bytes differ from its chain record
	FindingRemoved                           // a chain record matches no frame
	FindingInserted                          // a frame no chain record lists
	FindingReordered                         // frames in another order than their records
	FindingSignature                         // a checkpoint's signature does not verify
	FindingCheckpoint                        // a checkpoint is missing, unreadable or contradicts the frames
	FindingOffHost                           // a checkpoint differs from the copy that left the host
	FindingDamaged                           // bytes that are no frame
	FindingTruncated                         // the file ends before its final checkpoint
)

var findingNames = map[FindingKind]string{
	FindingModified: "modified", FindingRemoved: "removed", FindingInserted: "inserted", FindingReordered: "reordered",
	FindingSignature: "bad signature", FindingCheckpoint: "bad checkpoint", FindingOffHost: "off-host checkpoint differs",
	FindingDamaged: "damaged", FindingTruncated: "truncated",
}

// String returns the kind's name.
func (k FindingKind) String() string { return findingNames[k] }

// Finding is one thing wrong with a capture's evidence.
type Finding struct {
	Kind FindingKind
	// Frame is the frame's index as retrace info counts frames (in the file
	// as it is; for a removed frame, the index its record gives), or -1.
	Frame int
	// Offset is the frame's byte offset (for a removed frame, the offset
	// its record gives), or -1.
	Offset int64
	// Text says what is wrong, in one line.
	Text string
}

// String formats the finding as "kind: text".
func (f Finding) String() string { return f.Kind.String() + ": " + f.Text }

// Verdict sums up a [VerifyReport].
type Verdict int

// Verdicts, from best to worst.
const (
	// VerdictIntact: every frame is covered by the chain, every checkpoint
	// verified with the trusted key.
	VerdictIntact Verdict = iota
	// VerdictUnsigned: the chain is intact but nothing trusted signed it.
	VerdictUnsigned
	// VerdictTruncated: the file ends after checkpoint LastCheckpoint;
	// nothing before it was tampered with.
	VerdictTruncated
	// VerdictTampered: frames were modified, removed, inserted or
	// reordered, or a signature or checkpoint is bad.
	VerdictTampered
)

// VerifyReport is what [Verify] found.
type VerifyReport struct {
	File string
	// Frames is the number of frames in the file; Chained those the chain
	// covers or should cover.
	Frames, Chained int
	// Checkpoints are the checkpoints read, in file order.
	Checkpoints []*Checkpoint
	// Key is the id of the key that signed the checkpoints ("" when none
	// did); KeyTrusted is set when it is the key given to Verify.
	Key        string
	KeyTrusted bool
	// Signed is set when every checkpoint carries a signature that
	// verified.
	Signed bool
	// Final is set when the file ends with its final checkpoint.
	Final bool
	// LastCheckpoint is the number of the last good checkpoint, or -1.
	LastCheckpoint int
	// Unverified counts the chained frames after the last checkpoint.
	Unverified int
	Findings   []Finding

	metadata *Metadata // the last RTMS/RTME frame read
}

// Verdict returns the report's verdict.
func (r *VerifyReport) Verdict() Verdict {
	v := VerdictIntact
	for _, f := range r.Findings {
		if f.Kind == FindingTruncated {
			v = max(v, VerdictTruncated)
		} else {
			return VerdictTampered
		}
	}
	if v == VerdictIntact && (!r.Signed || !r.KeyTrusted) {
		v = VerdictUnsigned
	}
	return v
}

// actualFrame is a chained frame as found in the file.
type actualFrame struct {
	ChainEntry
	pos     int // position in the list of actual frames
	matched bool
}

// Verify checks the hash chain and signed checkpoints of the .scap.zst
// file at path (see docs/FORMAT.md, "Evidence"), and says which frame was
// modified, removed, inserted or reordered, or after which checkpoint the
// file was cut. The error is non-nil only when the file cannot be read.
func Verify(path string, opts VerifyOptions) (*VerifyReport, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, openError("verify", err)
	}
	defer f.Close()
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxFrameContent), zstd.WithDecoderMaxMemory(MaxFrameContent))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer dec.Close()
	br := bufio.NewReaderSize(f, fileBufferSize)
	var nc *NotCaptureError
	if _, err := sniff(path, br); errors.As(err, &nc) {
		return nil, err
	}
	s := &frameSource{name: path, in: frameInput{br: br}, dec: dec, evBlks: new(uint64), curRec: -1}
	rep := &VerifyReport{File: path, LastCheckpoint: -1}
	var actual []*actualFrame
	var signingKey string
	lastCkPos := -1 // number of actual frames before the last checkpoint
	j := &frameJob{}
	for index := 0; ; index++ {
		j.index, j.offset, j.src = index, s.in.pos, j.src[:0]
		_, err := s.readFrame(j)
		if err == io.EOF {
			break
		}
		if err != nil {
			next, ok := s.resync(j)
			end := next
			if !ok {
				end = s.in.pos
			}
			var te *TruncatedError
			if !ok && errors.As(err, &te) {
				rep.Findings = append(rep.Findings, Finding{FindingDamaged, index, j.offset, fmt.Sprintf("frame %d at offset %d is cut short at the end of the file", index, j.offset)})
				break
			}
			rep.Findings = append(rep.Findings, Finding{FindingDamaged, index, j.offset, fmt.Sprintf("bytes %d-%d are no frame: %v", j.offset, end, err)})
			if !ok {
				break
			}
			continue
		}
		rep.Frames++
		if j.kind == jobSkippable && j.magic == seekTableMagic {
			continue
		}
		if j.kind == jobSkippable && j.magic == retraceMagic && len(j.src) >= 12 {
			switch tag := string(j.src[8:12]); tag {
			case tagCheckpoint:
				cp, err := decodeCheckpoint(j.src[12:])
				if err != nil {
					rep.Findings = append(rep.Findings, Finding{FindingCheckpoint, index, j.offset, fmt.Sprintf("checkpoint frame %d at offset %d: %v", index, j.offset, err)})
					continue
				}
				cp.Offset = j.offset
				rep.Checkpoints = append(rep.Checkpoints, cp)
				lastCkPos = len(actual)
				continue
			case tagMetaStart, tagMetaEnd:
				if md, err := decodeMetadata(j.src[12:]); err == nil {
					rep.metadata = md
					if md.SigningKey != "" {
						signingKey = md.SigningKey
					}
				}
			}
		}
		a := &actualFrame{ChainEntry: ChainEntry{Frame: uint64(index), Offset: uint64(j.offset), Length: uint64(len(j.src)), Hash: sha256.Sum256(j.src)}, pos: len(actual)}
		actual = append(actual, a)
	}
	rep.Chained = len(actual)
	key := opts.PublicKey
	if key != nil {
		rep.KeyTrusted = true
	} else if signingKey != "" {
		key, _ = minisig.ParsePublicKey([]byte(signingKey))
	}
	expected := rep.checkCheckpoints(key)
	rep.matchFrames(expected, actual, lastCkPos)
	rep.checkOffHost(opts.Checkpoints, key)
	return rep, nil
}

// checkCheckpoints checks the checkpoints' numbering, statements and
// signatures, and returns their chain entries in order.
func (rep *VerifyReport) checkCheckpoints(key *minisig.PublicKey) []ChainEntry {
	var expected []ChainEntry
	var head [32]byte
	rep.Signed = len(rep.Checkpoints) > 0
	for i, cp := range rep.Checkpoints {
		at := fmt.Sprintf("checkpoint %d (offset %d)", cp.Number, cp.Offset)
		bad := func(kind FindingKind, format string, a ...any) {
			rep.Findings = append(rep.Findings, Finding{kind, -1, cp.Offset, at + ": " + fmt.Sprintf(format, a...)})
		}
		if cp.Number != uint32(i) {
			bad(FindingCheckpoint, "found where checkpoint %d should be: checkpoints removed or reordered", i)
		}
		if rep.Final {
			bad(FindingCheckpoint, "follows the final checkpoint")
		}
		for _, e := range cp.Entries {
			head = chainLink(head, e)
		}
		expected = append(expected, cp.Entries...)
		if head != cp.Chain || uint64(len(expected)) != cp.Frames {
			bad(FindingCheckpoint, "its statement (%d frames) disagrees with the chain records before it (%d frames): records forged", cp.Frames, len(expected))
		}
		switch {
		case !cp.Signed || len(cp.Signature) == 0:
			rep.Signed = false
		case key == nil:
			rep.Signed = false
			rep.Key = cp.Key
		default:
			rep.Key = key.ID.String()
			if _, err := key.Verify(cp.Statement, cp.Signature); err != nil {
				rep.Signed = false
				bad(FindingSignature, "%v", err)
			}
		}
		if cp.End > uint64(cp.Offset) {
			rep.Findings = append(rep.Findings, Finding{FindingReordered, -1, cp.Offset,
				fmt.Sprintf("%s precedes frames it covers (up to offset %d): frames reordered", at, cp.End)})
		}
		if cp.Final {
			rep.Final = true
		}
		rep.LastCheckpoint = int(cp.Number)
	}
	return expected
}

// matchFrames matches the chain records with the frames of the file.
func (rep *VerifyReport) matchFrames(expected []ChainEntry, actual []*actualFrame, lastCkPos int) {
	byHash := map[[32]byte][]*actualFrame{}
	for _, a := range actual {
		byHash[a.Hash] = append(byHash[a.Hash], a)
	}
	matchedPos := make([]int, len(expected))
	var unmatched []int
	for i, e := range expected {
		matchedPos[i] = -1
		l := byHash[e.Hash]
		best := -1
		for k, a := range l {
			if !a.matched && (best < 0 || a.Offset == e.Offset) {
				best = k
			}
		}
		if best < 0 {
			unmatched = append(unmatched, i)
			continue
		}
		l[best].matched = true
		matchedPos[i] = l[best].pos
	}
	// Records matched in file order are those of the longest increasing
	// run of positions; the others were reordered.
	for _, i := range outOfOrder(matchedPos) {
		a := actual[matchedPos[i]]
		rep.Findings = append(rep.Findings, Finding{FindingReordered, int(a.Frame), int64(a.Offset),
			fmt.Sprintf("frame %d at offset %d was frame %d at offset %d when it was chained", a.Frame, a.Offset, expected[i].Frame, expected[i].Offset)})
	}
	// A record unmatched where an unmatched frame has its index was
	// modified; otherwise it was removed.
	free := map[uint64]*actualFrame{}
	for _, a := range actual {
		if !a.matched {
			free[a.Frame] = a
		}
	}
	for _, i := range unmatched {
		e := expected[i]
		if a, ok := free[e.Frame]; ok && a.pos < max(lastCkPos, 0) {
			a.matched = true
			rep.Findings = append(rep.Findings, Finding{FindingModified, int(a.Frame), int64(a.Offset),
				fmt.Sprintf("frame %d at offset %d (%d bytes) differs from its chain record (%d bytes)", a.Frame, a.Offset, a.Length, e.Length)})
			continue
		}
		rep.Findings = append(rep.Findings, Finding{FindingRemoved, int(e.Frame), int64(e.Offset),
			fmt.Sprintf("frame %d at offset %d (%d bytes) is chained but not in the file", e.Frame, e.Offset, e.Length)})
	}
	for _, a := range actual {
		if a.matched {
			continue
		}
		if a.pos < lastCkPos || rep.Final {
			rep.Findings = append(rep.Findings, Finding{FindingInserted, int(a.Frame), int64(a.Offset),
				fmt.Sprintf("frame %d at offset %d (%d bytes) is in no chain record", a.Frame, a.Offset, a.Length)})
		} else {
			rep.Unverified++
		}
	}
	if len(rep.Checkpoints) == 0 {
		rep.Findings = append(rep.Findings, Finding{FindingTruncated, -1, -1, "the file holds no checkpoint: none of its frames is verified"})
	} else if !rep.Final {
		last := rep.Checkpoints[len(rep.Checkpoints)-1]
		rep.Findings = append(rep.Findings, Finding{FindingTruncated, -1, last.Offset,
			fmt.Sprintf("the file ends after checkpoint %d (offset %d) without its final checkpoint; %d frames after it are not verified", last.Number, last.Offset, rep.Unverified)})
	}
}

// outOfOrder returns the indexes i (with pos[i] >= 0) outside a longest
// increasing subsequence of pos.
func outOfOrder(pos []int) []int {
	var idx []int // indexes with a position
	for i, p := range pos {
		if p >= 0 {
			idx = append(idx, i)
		}
	}
	tails := []int{} // tails[k]: index into idx of the smallest tail of a run of length k+1
	prev := make([]int, len(idx))
	for k, i := range idx {
		p := pos[i]
		n := sort.Search(len(tails), func(t int) bool { return pos[idx[tails[t]]] >= p })
		prev[k] = -1
		if n > 0 {
			prev[k] = tails[n-1]
		}
		if n == len(tails) {
			tails = append(tails, k)
		} else {
			tails[n] = k
		}
	}
	in := make([]bool, len(idx))
	if len(tails) > 0 {
		for k := tails[len(tails)-1]; k >= 0; k = prev[k] {
			in[k] = true
		}
	}
	var out []int
	for k, i := range idx {
		if !in[k] {
			out = append(out, i)
		}
	}
	return out
}

// checkOffHost compares the checkpoints that left the host with the file's.
func (rep *VerifyReport) checkOffHost(lines []CheckpointLine, key *minisig.PublicKey) {
	byNum := map[uint32]*Checkpoint{}
	for _, cp := range rep.Checkpoints {
		byNum[cp.Number] = cp
	}
	for _, l := range lines {
		at := fmt.Sprintf("checkpoint %d sent off the host", l.Number)
		if key != nil && l.Signature != "" {
			if _, err := key.Verify([]byte(l.Statement), []byte(l.Signature)); err != nil {
				rep.Findings = append(rep.Findings, Finding{FindingSignature, -1, -1, at + ": " + err.Error()})
				continue
			}
		}
		cp, ok := byNum[l.Number]
		if !ok {
			if rep.Final || int(l.Number) < rep.LastCheckpoint {
				rep.Findings = append(rep.Findings, Finding{FindingOffHost, -1, -1, at + " is not in the file: checkpoints removed"})
			} else {
				rep.Findings = append(rep.Findings, Finding{FindingTruncated, -1, -1,
					fmt.Sprintf("%s (%d frames, up to offset %d) is not in the file: the file was cut after checkpoint %d", at, l.Frames, l.End, rep.LastCheckpoint)})
			}
			continue
		}
		if !bytes.Equal(cp.Statement, []byte(l.Statement)) {
			rep.Findings = append(rep.Findings, Finding{FindingOffHost, -1, cp.Offset,
				fmt.Sprintf("%s differs from the file's checkpoint at offset %d: the file was rewritten", at, cp.Offset)})
		}
	}
}

// ParseCheckpointLines reads the JSON lines written by a checkpoint sink.
func ParseCheckpointLines(name string, data []byte) ([]CheckpointLine, error) {
	var out []CheckpointLine
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l CheckpointLine
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// ReadCheckpoints returns the checkpoints of the .scap.zst file at path,
// in file order, without checking them (see [Verify]).
func ReadCheckpoints(path string) ([]*Checkpoint, error) {
	rep, err := Verify(path, VerifyOptions{})
	if err != nil {
		return nil, err
	}
	return rep.Checkpoints, nil
}
