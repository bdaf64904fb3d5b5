package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// TestSets checks how paths group into captures: the files of a set in
// sequence order at the place of the first one given, other files on
// their own, a file given twice (a ring's staged copy) once.
func TestSets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, set string, seq int) string {
		t.Helper()
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		meta := capture.Metadata{Hostname: "h"}
		if set != "" {
			meta.Rotation = &capture.Rotation{Set: set, Seq: seq}
		}
		w, err := capture.NewWriter(f, path, capture.WriterOptions{Metadata: &meta, SyncInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteHeader(&capture.Header{}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a1, a2, a3 := write("a-000001.scap.zst", "aa", 1), write("a-000002.scap.zst", "aa", 2), write("a-000003.scap.zst", "aa", 3)
	staged := write("staged-a-000002.scap.zst", "aa", 2)
	b2 := write("b-000002.scap.zst", "bb", 2)
	plain := write("plain.scap.zst", "", 0)
	text := filepath.Join(dir, "notes.scap")
	if err := os.WriteFile(text, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Sets([]string{plain, a3, b2, a1, staged, text, a2})
	want := [][]string{{plain}, {a1, staged, a3}, {b2}, {text}} // of a2 and its copy, the first given
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sets (-want +got):\n%s", diff)
	}
}

// setStart is the time the members of a set from [rotatedCapture] start
// from.
var setStart = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

// rotatedCapture returns a .scap.zst file of set at place seq with events
// capgen events in frames of frameSize bytes (0: the default), a
// container frame before its start metadata when container is set. Its
// events start seq hours after setStart, so that the files of a set
// follow each other in time.
func rotatedCapture(t testing.TB, set string, seq, events, frameSize int, container bool) []byte {
	t.Helper()
	md := capture.Metadata{Hostname: "h", Rotation: &capture.Rotation{Set: set, Seq: seq}}
	g := capgen.Options{Events: events, Seed: uint64(seq), Start: setStart.Add(time.Duration(seq) * time.Hour)}
	if events == 0 {
		g.Events = capgen.NoEvents
	}
	var containers []capture.Container
	if container {
		containers = append(containers, capture.Container{ID: "0123456789ab", Name: "web"})
	}
	b, err := capgen.Bytes(g, capture.WriterOptions{Metadata: &md, FrameSize: frameSize}, containers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSetsDamaged checks that Sets groups damaged and unusual files as it
// did when it opened every file: a file cut short after its first event
// frame (a recorder killed outright) and one whose container frame before
// the start metadata is bad (the reader reads on past it) stay in their
// set; a file cut before its first event frame, in its header or in its
// start metadata, one whose start metadata is bad, and files that are no
// retrace capture are captures of their own.
func TestSetsDamaged(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tagAt := func(b []byte, tag string) int {
		t.Helper()
		i := bytes.Index(b, []byte(tag))
		if i < 0 {
			t.Fatalf("no %s frame", tag)
		}
		return i
	}
	damage := func(b []byte, tag string, v string) []byte {
		b = bytes.Clone(b)
		copy(b[tagAt(b, tag)+4:], v)
		return b
	}
	const set = "5e7a5e7a5e7a5e7a5e7a5e7a5e7a5e7a"
	s1 := write("s-000001.scap.zst", rotatedCapture(t, set, 1, 0, 0, false))
	s2 := write("s-000002.scap.zst", damage(rotatedCapture(t, set, 2, 300, 0, true), "RTCT", "{"))
	s3 := write("s-000003.scap.zst", rotatedCapture(t, set, 3, 300, 0, false))
	long := rotatedCapture(t, set, 4, 3000, 16<<10, false)
	s4 := write("s-000004.scap.zst", long[:len(long)*2/3])
	one := rotatedCapture(t, set, 5, 3000, 0, false) // one event frame
	cutFirstFrame := write("s-000005.scap.zst", one[:len(one)*2/3])
	cutAfterMeta := write("s-000006.scap.zst", one[:tagAt(one, "RTMS")+200])
	cutInMeta := write("s-000007.scap.zst", one[:tagAt(one, "RTMS")+20])
	cutHeader := write("s-000008.scap.zst", one[:100])
	badMeta := write("s-000009.scap.zst", damage(one, "RTMS", "]"))
	gen := filepath.Join(dir, "capgen.scap.zst")
	if _, err := capgen.WriteFile(gen, capgen.Options{Events: 300}); err != nil {
		t.Fatal(err)
	}
	plainPath := filepath.Join(dir, "plain.scap")
	if _, err := capgen.WriteFile(plainPath, capgen.Options{Events: 300}); err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	misnamed := write("plain-named.scap.zst", plain)
	text := write("notes.zst", []byte("not a capture\n"))
	empty := write("empty.scap.zst", nil)

	paths := []string{s3, gen, cutFirstFrame, badMeta, s4, cutHeader, s1, cutAfterMeta, misnamed, s2, cutInMeta, text, empty}
	want := [][]string{{s1, s2, s3, s4}, {gen}, {cutFirstFrame}, {badMeta}, {cutHeader}, {cutAfterMeta}, {misnamed}, {cutInMeta}, {text}, {empty}}
	if diff := cmp.Diff(want, Sets(paths)); diff != "" {
		t.Errorf("Sets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sets(paths, openRotation), Sets(paths)); diff != "" {
		t.Errorf("Sets differs from opening every file (-open +Sets):\n%s", diff)
	}
}

// memberDamage spoils the bytes of a file of a set; a nil result means
// the file is gone (removed after the set was listed, as --keep does).
type memberDamage struct {
	name   string
	damage func(t *testing.T, b []byte) []byte
	// partial: some of the file's events are still read.
	partial bool
}

var (
	garbageHeader = memberDamage{name: "garbage header", damage: func(_ *testing.T, b []byte) []byte {
		b = bytes.Clone(b)
		copy(b, bytes.Repeat([]byte{0xa5}, 64))
		return b
	}}
	cutTo10 = memberDamage{name: "cut to 10 bytes", damage: func(_ *testing.T, b []byte) []byte { return b[:10] }}
	gone    = memberDamage{name: "gone", damage: func(*testing.T, []byte) []byte { return nil }}
	// zeroedFrame zeroes the middle event frame, found in the file's index.
	zeroedFrame = memberDamage{name: "zeroed frame in the middle", partial: true, damage: func(t *testing.T, b []byte) []byte {
		path := filepath.Join(t.TempDir(), "whole.scap.zst")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum, err := capture.ReadSummary(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Frames) < 3 {
			t.Fatalf("%d event frames, want 3 or more", len(sum.Frames))
		}
		fr := sum.Frames[len(sum.Frames)/2]
		b = bytes.Clone(b)
		clear(b[fr.Offset : fr.Offset+int64(fr.CompressedSize)])
		return b
	}}
	cutInHalf = memberDamage{name: "cut in half", partial: true, damage: func(_ *testing.T, b []byte) []byte { return b[:len(b)/2] }}
)

// damagedSet writes the three files of a set, each spoiled by its damage
// (none where nil), and returns their paths.
func damagedSet(t *testing.T, members [3][]byte, bad [3]*memberDamage) []string {
	t.Helper()
	dir := t.TempDir()
	files := make([]string, len(members))
	for i, b := range members {
		files[i] = filepath.Join(dir, fmt.Sprintf("s-%06d.scap.zst", i+1))
		if bad[i] != nil {
			if b = bad[i].damage(t, b); b == nil {
				continue
			}
		}
		if err := os.WriteFile(files[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// memberOf returns the place in its set (0, 1, 2) of the [rotatedCapture]
// file that holds an event at ts.
func memberOf(ts uint64) int {
	return int(time.Unix(0, int64(ts)).Sub(setStart)/time.Hour) - 1
}

// TestReplaySetDamagedMember checks that a rotated set goes on past a file
// that does not open or read to its end: the events of every other file
// are replayed, a note names the bad file, and the error still says what
// was wrong with each bad file, also when none reads. Detector.Run, which
// groups the files itself, replays the other files too and fails.
func TestReplaySetDamagedMember(t *testing.T) {
	const set = "da3a6ed5e7da3a6ed5e7da3a6ed5e7da"
	var members [3][]byte
	for i := range members {
		members[i] = rotatedCapture(t, set, i+1, 2000, 16<<10, false)
	}
	// count replays files as one set and counts the events (replayed, and
	// the openat lines of Run) of each file.
	count := func(t *testing.T, files []string) (events, lines [3]int, info report.CaptureInfo, err, runErr error) {
		t.Helper()
		info, err = ReplaySet(context.Background(), files, nil, nil, func(report.CaptureInfo) replay.Handler {
			return func(e *replay.Event) error {
				events[memberOf(e.Ev.Ts())]++
				return nil
			}
		})
		d, derr := New(Options{Filter: "evt.type=openat", Workers: 2})
		if derr != nil {
			t.Fatal(derr)
		}
		_, runErr = d.Run(context.Background(), files, func(it Item) error {
			lines[memberOf(it.Time)]++
			return nil
		})
		return events, lines, info, err, runErr
	}
	wholeEvents, wholeLines, _, err, runErr := count(t, damagedSet(t, members, [3]*memberDamage{}))
	if err != nil || runErr != nil {
		t.Fatalf("whole set: %v, %v", err, runErr)
	}

	tests := []struct {
		name string
		bad  [3]*memberDamage
	}{
		{"middle file: " + garbageHeader.name, [3]*memberDamage{nil, &garbageHeader, nil}},
		{"middle file: " + cutTo10.name, [3]*memberDamage{nil, &cutTo10, nil}},
		{"middle file: " + gone.name, [3]*memberDamage{nil, &gone, nil}},
		{"middle file: " + zeroedFrame.name, [3]*memberDamage{nil, &zeroedFrame, nil}},
		{"middle file: " + cutInHalf.name, [3]*memberDamage{nil, &cutInHalf, nil}},
		{"first file: " + garbageHeader.name, [3]*memberDamage{&garbageHeader, nil, nil}},
		{"first file: " + zeroedFrame.name, [3]*memberDamage{&zeroedFrame, nil, nil}},
		{"last file: " + cutInHalf.name, [3]*memberDamage{nil, nil, &cutInHalf}},
		{"two files", [3]*memberDamage{&cutTo10, nil, &gone}},
		{"every file", [3]*memberDamage{&garbageHeader, &cutTo10, &gone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := damagedSet(t, members, tc.bad)
			events, lines, info, err, runErr := count(t, files)
			total := 0
			for i, dm := range tc.bad {
				total += events[i]
				switch {
				case dm == nil && (events[i] != wholeEvents[i] || lines[i] != wholeLines[i]):
					t.Errorf("file %d: %d events, %d lines of Run; want all %d and %d", i+1, events[i], lines[i], wholeEvents[i], wholeLines[i])
				case dm != nil && dm.partial && (events[i] == 0 || events[i] >= wholeEvents[i]):
					t.Errorf("file %d: %d events, want some of its %d", i+1, events[i], wholeEvents[i])
				case dm != nil && !dm.partial && (events[i] != 0 || lines[i] != 0):
					t.Errorf("file %d: %d events, %d lines of Run; want none", i+1, events[i], lines[i])
				}
				if dm == nil {
					continue
				}
				if err == nil || !strings.Contains(err.Error(), files[i]) {
					t.Errorf("error %v, want one naming %s", err, files[i])
				}
				if runErr == nil || !strings.Contains(runErr.Error(), files[i]) {
					t.Errorf("Run error %v, want one naming %s", runErr, files[i])
				}
				noted := slices.ContainsFunc(info.Notes, func(n string) bool { return strings.HasPrefix(n, files[i]+": ") })
				if !noted {
					t.Errorf("notes %q: none names %s", info.Notes, files[i])
				}
			}
			if info.File != files[0] || info.Events != uint64(total) {
				t.Errorf("capture %s of %d events, want %s of %d", info.File, info.Events, files[0], total)
			}
		})
	}
}

// TestReplaySetStops checks that what stops a replay still ends the whole
// set, damaged files or not: the handler's ErrStop (no error), an error
// of the handler, a cancelled context.
func TestReplaySetStops(t *testing.T) {
	const set = "5709570957095709570957095709da3a"
	var members [3][]byte
	for i := range members {
		members[i] = rotatedCapture(t, set, i+1, 2000, 16<<10, false)
	}
	files := damagedSet(t, members, [3]*memberDamage{nil, &zeroedFrame, nil})
	full := errors.New("disk full")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		// stop is what the handler returns at the first event of stopAt.
		stop    error
		stopAt  int
		wantErr error
	}{
		{"stop in the first file", context.Background(), replay.ErrStop, 0, nil},
		{"stop after the damaged file", context.Background(), replay.ErrStop, 2, nil},
		{"handler error in the first file", context.Background(), full, 0, full},
		{"handler error after the damaged file", context.Background(), full, 2, full},
		{"cancelled", cancelled, nil, 0, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var after int // events after the stop
			stopped := false
			_, err := ReplaySet(tc.ctx, files, nil, nil, func(report.CaptureInfo) replay.Handler {
				return func(e *replay.Event) error {
					if stopped {
						after++
						return nil
					}
					if tc.stop != nil && memberOf(e.Ev.Ts()) == tc.stopAt {
						stopped = true
						return tc.stop
					}
					return nil
				}
			})
			if tc.wantErr == nil && tc.stopAt > 1 {
				// The damaged file before the stop is still reported.
				if err == nil || !strings.Contains(err.Error(), files[1]) {
					t.Errorf("error %v, want one naming %s", err, files[1])
				}
			} else if tc.wantErr == nil && err != nil {
				t.Errorf("error %v, want none", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if after > 0 {
				t.Errorf("%d events replayed after the stop", after)
			}
		})
	}
}

// TestSetDetectionsNameTheirFile checks that a detection in a rotated set
// names the member file that holds its event, whose frames its frame
// number counts, while its event number counts from the set's first file.
func TestSetDetectionsNameTheirFile(t *testing.T) {
	const set = "5e75e75e75e75e75e75e75e75e75e75e"
	var members [3][]byte
	for i := range members {
		members[i] = rotatedCapture(t, set, i+1, 600, 8<<10, false)
	}
	files := damagedSet(t, members, [3]*memberDamage{})
	d, err := New(Options{Rules: openOrExecRules(t, replay.NewFieldRegistry()), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var seen [3]int
	var lastNum uint64
	if _, err := d.Run(context.Background(), files, func(it Item) error {
		det := it.Detection
		m := memberOf(it.Time)
		seen[m]++
		if det.Capture != files[m] {
			t.Errorf("detection at evt.num %d of file %d names %s", det.EventNum, m+1, det.Capture)
		}
		if det.Frame < 0 {
			t.Errorf("detection at evt.num %d has no frame", det.EventNum)
		}
		if det.EventNum <= lastNum {
			t.Errorf("evt.num %d after %d: the set's numbers must go on across its files", det.EventNum, lastNum)
		}
		lastNum = det.EventNum
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n == 0 {
			t.Errorf("no detection in file %d", i+1)
		}
	}
}
