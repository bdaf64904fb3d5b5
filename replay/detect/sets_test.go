package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
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
