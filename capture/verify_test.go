package capture_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// signedCapture writes a signed capture of 200 events in small frames with
// a checkpoint after every event frame, and returns it with the lines its
// checkpoints left the host as.
func signedCapture(t testing.TB, key *minisig.PrivateKey) ([]byte, []byte) {
	t.Helper()
	var buf, lines bytes.Buffer
	w, err := capture.NewWriter(&buf, "signed.scap.zst", capture.WriterOptions{FrameSize: 1200, SyncInterval: -1,
		SignKey: key, CheckpointInterval: time.Nanosecond, Checkpoints: &lines,
		Metadata: &capture.Metadata{RecorderVersion: "test", Hostname: "h"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		ev := scap.AppendEvent(nil, resyncBase+uint64(i), 7, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(int64(i)))
		if err := w.WriteEvent(0, 0, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), lines.Bytes()
}

// reencode decompresses a zstd frame, lets mutate change its content, and
// compresses it again with a valid checksum: only the chain can tell.
func reencode(t *testing.T, frame []byte, mutate func([]byte)) []byte {
	t.Helper()
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	raw, err := dec.DecodeAll(frame, nil)
	if err != nil {
		t.Fatal(err)
	}
	mutate(raw)
	enc, _ := zstd.NewWriter(nil, zstd.WithSingleSegment(true), zstd.WithEncoderCRC(true))
	defer enc.Close()
	return enc.EncodeAll(raw, nil)
}

// TestVerifyTampering tampers a signed recording in each way an intruder
// could (recomputing the zstd checksums) and checks each verdict, and that
// the minisign tool accepts the untouched recording's signatures.
func TestVerifyTampering(t *testing.T) {
	key, err := minisig.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	orig, lines := signedCapture(t, key)
	offs := append(frameOffsets(t, orig), len(orig)-int(binary.LittleEndian.Uint32(orig[len(orig)-9:]))*8-17, len(orig))
	var events, checkpoints []int // frame indexes
	for i := 0; i+1 < len(offs); i++ {
		f := orig[offs[i]:offs[i+1]]
		if len(frameEvents(t, f)) > 0 && i > 0 {
			events = append(events, i)
		}
		if len(f) > 12 && string(f[8:12]) == "RTCK" {
			checkpoints = append(checkpoints, i)
		}
	}
	if len(events) < 6 || len(checkpoints) < 6 {
		t.Fatalf("%d event frames, %d checkpoints", len(events), len(checkpoints))
	}
	frame := func(i int) []byte { return orig[offs[i]:offs[i+1]] }
	k, k2 := events[3], events[4]                                                // the frames tampered with
	modified := reencode(t, frame(k), func(raw []byte) { raw[len(raw)-8] ^= 1 }) // an event's fd
	other, _ := minisig.GenerateKey(nil)
	forged, _ := signedCapture(t, other) // the same events, signed with the intruder's key
	lastGood := checkpoints[2]
	cut := orig[:offs[lastGood+1]]

	tests := []struct {
		name    string
		data    []byte
		lines   []byte
		verdict capture.Verdict
		kind    capture.FindingKind
		frame   int   // -1: any
		offset  int64 // -1: any
		text    string
	}{
		{"intact", orig, lines, capture.VerdictIntact, 0, 0, 0, ""},
		{"modified", slices.Concat(orig[:offs[k]], modified, orig[offs[k+1]:]), nil, capture.VerdictTampered, capture.FindingModified, k, int64(offs[k]), "differs from its chain record"},
		{"removed", slices.Concat(orig[:offs[k]], orig[offs[k+1]:]), nil, capture.VerdictTampered, capture.FindingRemoved, k, int64(offs[k]), "is chained but not in the file"},
		{"inserted", slices.Concat(orig[:offs[k+1]], modified, orig[offs[k+1]:]), nil, capture.VerdictTampered, capture.FindingInserted, k + 1, int64(offs[k+1]), "is in no chain record"},
		{"reordered", slices.Concat(orig[:offs[k]], frame(k2), frame(k+1), frame(k), orig[offs[k2+1]:]), nil, capture.VerdictTampered, capture.FindingReordered, -1, -1, "when it was chained"},
		{"checkpoint moved before its frames", slices.Concat(orig[:offs[k]], frame(k+1), frame(k), orig[offs[k+2]:]), nil, capture.VerdictTampered, capture.FindingReordered, -1, int64(offs[k]), "precedes frames it covers"},
		{"truncated", cut, nil, capture.VerdictTruncated, capture.FindingTruncated, -1, int64(offs[lastGood]), "ends after checkpoint 2"},
		{"truncated, checkpoints left the host", cut, lines, capture.VerdictTruncated, capture.FindingTruncated, -1, -1, "the file was cut after checkpoint 2"},
		{"re-signed by an intruder", forged, nil, capture.VerdictTampered, capture.FindingSignature, -1, -1, "made with key " + other.ID.String()},
		{"rewritten, checkpoints left the host", forged, lines, capture.VerdictTampered, capture.FindingOffHost, -1, -1, "the file was rewritten"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "c.scap.zst")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			cl, err := capture.ParseCheckpointLines("lines", tc.lines)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := capture.Verify(path, capture.VerifyOptions{PublicKey: key.Public(), Checkpoints: cl})
			if err != nil {
				t.Fatal(err)
			}
			if v := rep.Verdict(); v != tc.verdict {
				t.Errorf("verdict %d, want %d: %v", v, tc.verdict, rep.Findings)
			}
			if tc.kind == 0 {
				if len(rep.Findings) > 0 || !rep.Signed || !rep.KeyTrusted || !rep.Final {
					t.Errorf("intact capture: %+v", rep)
				}
				return
			}
			for _, f := range rep.Findings {
				if f.Kind == tc.kind && (tc.frame < 0 || f.Frame == tc.frame) && (tc.offset < 0 || f.Offset == tc.offset) && strings.Contains(f.Text, tc.text) {
					return
				}
			}
			t.Errorf("no %v finding of frame %d at offset %d saying %q: %v", tc.kind, tc.frame, tc.offset, tc.text, rep.Findings)
		})
	}
	t.Run("unsigned without a key", func(t *testing.T) {
		path := filepath.Join(dir, "u.scap.zst")
		os.WriteFile(path, orig, 0o644)
		rep, err := capture.Verify(path, capture.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict() != capture.VerdictUnsigned || rep.Key != key.ID.String() {
			t.Errorf("verdict %d key %s, want unsigned (no trusted key) and key %s", rep.Verdict(), rep.Key, key.ID)
		}
	})
	t.Run("minisign accepts the checkpoints", func(t *testing.T) {
		tool := testutil.NeedTool(t, "minisign")
		path := filepath.Join(dir, "m.scap.zst")
		os.WriteFile(path, orig, 0o644)
		cps, err := capture.ReadCheckpoints(path)
		if err != nil || len(cps) != len(checkpoints) {
			t.Fatalf("%d checkpoints, %v", len(cps), err)
		}
		pub := filepath.Join(dir, "k.pub")
		os.WriteFile(pub, key.Public().Encode(), 0o644)
		for _, cp := range []*capture.Checkpoint{cps[0], cps[len(cps)-1]} {
			st := filepath.Join(dir, "statement")
			os.WriteFile(st, cp.Statement, 0o644)
			os.WriteFile(st+".minisig", cp.Signature, 0o644)
			out, err := exec.Command(tool, "-V", "-p", pub, "-m", st).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Signature and comment signature verified") {
				t.Errorf("minisign -V of checkpoint %d: %v\n%s", cp.Number, err, out)
			}
		}
	})
}

// TestReadCustody checks the chain of custody retrace info shows for a
// signed capture, a tampered copy and a capture cut after a checkpoint.
func TestReadCustody(t *testing.T) {
	key, _ := minisig.GenerateKey(nil)
	orig, _ := signedCapture(t, key)
	cps := func(path string) []*capture.Checkpoint {
		c, err := capture.ReadCheckpoints(path)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.scap.zst")
	os.WriteFile(path, orig, 0o644)
	all := cps(path)
	third := all[2]
	cutAt := third.Offset + int64(binary.LittleEndian.Uint32(orig[third.Offset+4:])) + 8
	flipped := slices.Clone(orig)
	flipped[all[1].Offset-10] ^= 1 // a byte of the frame before checkpoint 1
	tests := []struct {
		name, status string
		data         []byte
		checkpoints  int
	}{
		{"signed", "chain intact, signatures valid for key " + key.ID.String(), orig, len(all)},
		{"tampered", "TAMPERED OR DAMAGED", flipped, len(all)},
		{"cut", "truncated after checkpoint 2", orig[:cutAt], 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(path, tc.data, 0o644)
			c, err := capture.ReadCustody(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.Status, tc.status) || c.Key != key.ID.String() || c.Checkpoints != tc.checkpoints ||
				c.RecorderVersion != "test" || c.Hostname != "h" || c.First.IsZero() || c.Last.Before(c.First) {
				t.Errorf("custody %+v, want status %q, key %s, %d checkpoints", c, tc.status, key.ID, tc.checkpoints)
			}
		})
	}
}

func TestVerifyReportWords(t *testing.T) {
	for _, tc := range []struct {
		rep  capture.VerifyReport
		want string
	}{
		{capture.VerifyReport{File: "f"}, "f: no checkpoints"},
		{capture.VerifyReport{File: "f", Checkpoints: []*capture.Checkpoint{{}}}, "f: checkpoints are not signed"},
		{capture.VerifyReport{File: "f", Checkpoints: []*capture.Checkpoint{{}}, Key: "K"}, "f: signed by key K, which no --pubkey vouches for"},
	} {
		if got := tc.rep.UnsignedReason(); got != tc.want {
			t.Errorf("UnsignedReason = %q, want %q", got, tc.want)
		}
		b, err := json.Marshal(&tc.rep)
		if err != nil || !strings.Contains(string(b), `"verdict":"intact chain, not signed by a trusted key"`) {
			t.Errorf("JSON = %s, %v", b, err)
		}
	}
}
