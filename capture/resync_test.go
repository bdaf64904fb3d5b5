package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// resyncCapture writes a capture of 120 close events (event i has
// timestamp resyncBase+i) in small frames, with a container frame in the
// middle, and returns it.
func resyncCapture(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, "resync.scap.zst", capture.WriterOptions{FrameSize: 1200, SyncInterval: -1,
		Metadata: &capture.Metadata{RecorderVersion: "test", Hostname: "h"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		ev := scap.AppendEvent(nil, resyncBase+uint64(i), 7, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(int64(i)))
		if err := w.WriteEvent(0, 0, ev); err != nil {
			t.Fatal(err)
		}
		if i == 50 {
			w.AddContainer(capture.Container{ID: "0123456789ab", Name: "web"})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const resyncBase = 1_700_000_000_000_000_000

// frameEvents returns the timestamps of the events in the frame f (none
// for a skippable frame).
func frameEvents(t testing.TB, f []byte) []uint64 {
	t.Helper()
	if binary.LittleEndian.Uint32(f) != 0xFD2FB528 {
		return nil
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	raw, err := dec.DecodeAll(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ts []uint64
	for len(raw) >= 12 {
		typ, n := binary.LittleEndian.Uint32(raw), binary.LittleEndian.Uint32(raw[4:])
		if typ == capture.BlockEVV2 {
			ts = append(ts, binary.LittleEndian.Uint64(raw[10:]))
		}
		raw = raw[n:]
	}
	return ts
}

// zstdHeaderLen returns the length of the zstd frame header at the start
// of f.
func zstdHeaderLen(f []byte) int {
	desc := f[4]
	n := 5
	if desc&0x20 == 0 {
		n++ // window descriptor
	}
	n += [4]int{0, 1, 2, 4}[desc&3]
	fcs := [4]int{0, 2, 4, 8}[desc>>6]
	if desc>>6 == 0 && desc&0x20 != 0 {
		fcs = 1
	}
	return n + fcs
}

// TestResync damages each frame of a multi-frame capture in turn, in each
// of six ways, and checks that every event of every other frame is read,
// once and in order, and that the damage names the frame, its offset and
// the events lost. Each file is read twice: by Open, which resynchronises
// with the seek table, and as a stream, which searches for the next frame.
func TestResync(t *testing.T) {
	orig := resyncCapture(t)
	offs := frameOffsets(t, orig)
	seekTable := len(orig) - int(binary.LittleEndian.Uint32(orig[len(orig)-9:]))*8 - 17
	offs = append(offs, seekTable, len(orig))
	frames := make([][]byte, len(offs)-1)
	var all []uint64
	for i := range frames {
		frames[i] = orig[offs[i]:offs[i+1]]
		all = append(all, frameEvents(t, frames[i])...)
	}
	if len(all) != 120 || len(frames) < 12 {
		t.Fatalf("capture has %d frames and %d events", len(frames), len(all))
	}
	// Each damage returns the new file.
	replace := func(i int, f []byte) []byte {
		return slices.Concat(orig[:offs[i]], f, orig[offs[i+1]:])
	}
	damages := []struct {
		name string
		lost bool // the frame's events are lost
		fn   func(i int, f []byte) []byte
	}{
		{"checksum", true, func(i int, f []byte) []byte {
			f = slices.Clone(f)
			if binary.LittleEndian.Uint32(f) == 0xFD2FB528 {
				f[len(f)-1] ^= 0xff // zstd content checksum
			} else {
				f[len(f)/2+4] ^= 0xff // garbage in the payload
			}
			return replace(i, f)
		}},
		{"header", true, func(i int, f []byte) []byte {
			f = slices.Clone(f)
			if binary.LittleEndian.Uint32(f) == 0xFD2FB528 {
				f[4] |= 0x08 // reserved bit of the frame descriptor
			} else {
				binary.LittleEndian.PutUint32(f, 0xDEADBEEF)
			}
			return replace(i, f)
		}},
		{"length", true, func(i int, f []byte) []byte {
			f = slices.Clone(f)
			if binary.LittleEndian.Uint32(f) == 0xFD2FB528 {
				h := zstdHeaderLen(f)
				bh := uint32(f[h]) | uint32(f[h+1])<<8 | uint32(f[h+2])<<16
				bh += 700 << 3 // the first block claims 700 more bytes
				f[h], f[h+1], f[h+2] = byte(bh), byte(bh>>8), byte(bh>>16)
			} else {
				binary.LittleEndian.PutUint32(f[4:], binary.LittleEndian.Uint32(f[4:])+700)
			}
			return replace(i, f)
		}},
		{"zero-filled", true, func(i int, f []byte) []byte { return replace(i, make([]byte, len(f))) }},
		{"deleted", true, func(i int, f []byte) []byte { return replace(i, nil) }},
		{"duplicated", false, func(i int, f []byte) []byte { return replace(i, slices.Concat(f, f)) }},
	}
	dir := t.TempDir()
	for i, f := range frames {
		inFrame := frameEvents(t, f)
		for _, dm := range damages {
			data := dm.fn(i, f)
			want := all
			if dm.lost {
				want = slices.DeleteFunc(slices.Clone(all), func(ts uint64) bool { return slices.Contains(inFrame, ts) })
			}
			path := filepath.Join(dir, "damaged.scap.zst")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, mode := range []string{"file", "stream"} {
				name := dm.name + "/frame" + itoa(i) + "/" + mode
				t.Run(name, func(t *testing.T) {
					var r *capture.Reader
					var err error
					if mode == "file" {
						r, err = capture.Open(path)
					} else {
						r, err = capture.NewReader(bytes.NewReader(data), path)
					}
					if err != nil {
						t.Fatalf("open: %v", err)
					}
					defer r.Close()
					var got []uint64
					for {
						ev, err2 := r.Next()
						if err2 != nil {
							err = err2
							break
						}
						got = append(got, ev.Ts())
					}
					if !slices.Equal(got, want) {
						t.Fatalf("read %d events %v..., want %d: the events of other frames must all be read, once, in order", len(got), head(got), len(want))
					}
					if err == io.EOF {
						err = nil
					}
					if len(inFrame) == 0 {
						return // metadata and header frames: only the events count
					}
					var de *capture.DamagedError
					if !errors.As(err, &de) {
						t.Fatalf("error %v, want a *capture.DamagedError", err)
					}
					if !strings.HasPrefix(err.Error(), path+": "+itoa(len(want))+" events recovered around ") {
						t.Errorf("error %q does not start with the file and the events recovered", err)
					}
					checkDamage(t, de, dm.name, i, int64(offs[i]), len(inFrame), mode == "file")
				})
			}
		}
	}
}

// checkDamage checks that de reports the damage to event frame i at off.
func checkDamage(t *testing.T, de *capture.DamagedError, kind string, i int, off int64, events int, fromIndex bool) {
	t.Helper()
	for _, d := range de.Damage {
		switch {
		case kind == "duplicated":
			if d.Kind == capture.DamageDuplicate && d.Frame == i+1 && !d.Lost() {
				return
			}
		case kind == "deleted":
			if d.Kind == capture.DamageIndex && d.Offset == off && d.Events == uint64(events) && d.Lost() {
				return
			}
		case d.Frame == i && d.Offset == off && d.End > off && d.Lost():
			if d.EventsKnown && d.Events != uint64(events) {
				t.Errorf("damage %v counts %d events lost, the frame held %d", d, d.Events, events)
			}
			if fromIndex && !d.EventsKnown {
				t.Errorf("damage %v: events lost unknown, though the index is intact", d)
			}
			return
		}
	}
	t.Errorf("no damage names frame %d at offset %d (%s): %v", i, off, kind, de)
}

func head(ts []uint64) []uint64 {
	if len(ts) > 5 {
		return ts[:5]
	}
	return ts
}

// TestIndexCrossCheck checks that frames out of order and a frame index
// that lies are reported in a capture without signatures, and that
// ReaderOptions.Since does not trust a lying index to skip events.
func TestIndexCrossCheck(t *testing.T) {
	orig := resyncCapture(t)
	offs := append(frameOffsets(t, orig), len(orig))
	// Find two adjacent event frames, and the index frame.
	ev, ix := -1, -1
	for i := 0; i+2 < len(offs); i++ {
		if ev < 0 && i > 2 && len(frameEvents(t, orig[offs[i]:offs[i+1]])) > 0 && len(frameEvents(t, orig[offs[i+1]:offs[i+2]])) > 0 {
			ev = i
		}
		if string(orig[offs[i]+8:offs[i]+12]) == "RTIX" {
			ix = offs[i] + 12
		}
	}
	if ev < 0 || ix < 0 {
		t.Fatal("no two adjacent event frames or no index")
	}
	swapped := slices.Concat(orig[:offs[ev]], orig[offs[ev+1]:offs[ev+2]], orig[offs[ev]:offs[ev+1]], orig[offs[ev+2]:])
	// Set every index entry's last timestamp to 0, as if every frame ended
	// before any Since.
	idx := slices.Clone(orig)
	for e := range int(binary.LittleEndian.Uint32(idx[ix+4:])) {
		binary.LittleEndian.PutUint64(idx[ix+8+e*40+24:], 0)
	}
	tests := []struct {
		name  string
		data  []byte
		since uint64
		kind  capture.DamageKind
		frame int
		want  string
	}{
		{"reordered", swapped, 0, capture.DamageOrder, ev + 1, "frames out of order"},
		{"lying index", idx, 0, capture.DamageIndex, 2, "is not in the frame index"},
		{"lying index with since", idx, resyncBase + 1, capture.DamageIndex, 2, "is not in the frame index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.scap.zst")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := capture.OpenOptions(path, capture.ReaderOptions{Since: tc.since})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n := 0
			for {
				if _, err = r.Next(); err != nil {
					break
				}
				n++
			}
			if n != 120 {
				t.Errorf("read %d events, want all 120", n)
			}
			var de *capture.DamagedError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *capture.DamagedError", err)
			}
			for _, d := range de.Damage {
				if d.Kind == tc.kind && d.Frame == tc.frame && strings.Contains(d.String(), tc.want) {
					return
				}
			}
			t.Errorf("no %v damage of frame %d saying %q: %v", tc.kind, tc.frame, tc.want, err)
		})
	}
}

// TestCopyDamaged checks that Copy (retrace convert) writes every event of
// every intact frame of a damaged capture and returns the damage.
func TestCopyDamaged(t *testing.T) {
	orig := resyncCapture(t)
	offs := frameOffsets(t, orig)
	bad := slices.Clone(orig)
	bad[offs[3]-1] ^= 0xff // checksum of frame 2, the first event frame
	r, err := capture.NewReader(bytes.NewReader(bad), "in")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	w, err := capture.NewWriter(&out, "out.scap.zst", capture.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := capture.Copy(w, r)
	var de *capture.DamagedError
	if !errors.As(err, &de) || len(de.Damage) != 1 || de.Damage[0].Frame != 2 {
		t.Fatalf("Copy: %v, want the damage of frame 2", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, evs, err := readAll(t, out.Bytes())
	if err != nil || n != 100 || len(evs) != 100 {
		t.Errorf("copied %d events, read back %d (%v), want 100", n, len(evs), err)
	}
}
