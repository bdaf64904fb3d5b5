package capture

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
)

// startMetaSeeds are the seed inputs of FuzzReadMetadata: a file of a
// rotated set with a container frame before its start metadata and a header
// over two frames, the same cut inside its start metadata, and the start of
// a plain scap file.
func startMetaSeeds(tb testing.TB) [][]byte {
	var buf bytes.Buffer
	md := &Metadata{Hostname: "h", Rotation: &Rotation{Set: "00112233445566778899aabbccddeeff", Seq: 2}}
	w, err := NewWriter(&buf, "seed.scap.zst", WriterOptions{FrameSize: 128, Metadata: md, SyncInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	h := &Header{Machine: &MachineInfo{Hostname: "h"}, Users: []User{{UID: 1, Name: "a"}, {UID: 2, Name: "b"}}}
	if err := w.WriteHeader(h); err != nil {
		tb.Fatal(err)
	}
	w.AddContainer(Container{ID: "abc"})
	for i := range 4 {
		ev := scap.AppendEvent(nil, uint64(100+i), 1, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3))
		if err := w.WriteEvent(0, 0, ev); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	full := buf.Bytes()
	meta := bytes.Index(full, []byte(tagMetaStart))
	if meta < 0 {
		tb.Fatal("no start metadata in the seed")
	}
	return [][]byte{full, full[:meta+10], full[:min(len(full), 200)]}
}

// FuzzReadMetadata fuzzes ReadMetadata's walk over the frames before the
// start metadata and its parser: it must not panic, and its errors are the
// reader's typed errors.
func FuzzReadMetadata(f *testing.F) {
	for _, s := range startMetaSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := readMetadata(bytes.NewReader(data), "fuzz"); err != nil && !IsFileError(err) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}

// TestWriteStartMetaFuzzSeeds writes the seed corpus of FuzzReadMetadata
// when RETRACE_UPDATE_SEEDS is set.
func TestWriteStartMetaFuzzSeeds(t *testing.T) {
	if os.Getenv("RETRACE_UPDATE_SEEDS") == "" {
		t.Skip("set RETRACE_UPDATE_SEEDS=1 to rewrite testdata/fuzz/FuzzReadMetadata")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadMetadata")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range startMetaSeeds(t) {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
