package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
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

// rotatedCapture returns a .scap.zst file of set at place seq with events
// capgen events in frames of frameSize bytes (0: the default), a
// container frame before its start metadata when container is set.
func rotatedCapture(t testing.TB, set string, seq, events, frameSize int, container bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	md := capture.Metadata{Hostname: "h", Rotation: &capture.Rotation{Set: set, Seq: seq}}
	w, err := capture.NewWriter(&buf, "x.scap.zst", capture.WriterOptions{Metadata: &md, SyncInterval: -1, FrameSize: frameSize})
	if err != nil {
		t.Fatal(err)
	}
	g := capgen.Options{Events: max(events, 1), Seed: uint64(seq)}
	if err := w.WriteHeader(capgen.Header(g)); err != nil {
		t.Fatal(err)
	}
	if container {
		w.AddContainer(capture.Container{ID: "0123456789ab", Name: "web"})
	}
	if events > 0 {
		if _, err := capgen.Generate(w, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
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
