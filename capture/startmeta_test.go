package capture_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// retraceCapture writes a .scap.zst capture of capgen's header and events
// (none when events is 0) with the start metadata md.
func retraceCapture(t *testing.T, md capture.Metadata, events int, opts capture.WriterOptions) []byte {
	t.Helper()
	opts.Format, opts.Metadata = capture.FormatZstd, &md
	if events == 0 {
		events = capgen.NoEvents
	}
	b, err := capgen.Bytes(capgen.Options{Events: events, Seed: 5}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// taggedFrame returns the index and offset of the first of retrace's
// skippable frames with tag in a .scap.zst file with a seek table.
func taggedFrame(t *testing.T, b []byte, tag string) (int, int) {
	t.Helper()
	for i, off := range frameOffsets(t, b) {
		if binary.LittleEndian.Uint32(b[off:]) == 0x184D2A5A && string(b[off+8:off+12]) == tag {
			return i, off
		}
	}
	t.Fatalf("no %s frame", tag)
	return 0, 0
}

// openMetadata returns the metadata [capture.Reader.Header] has once
// capture.Open returns.
func openMetadata(t *testing.T, path string) *capture.Metadata {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Header().Metadata
}

// TestReadMetadata checks the metadata ReadMetadata reads, against what
// the reader has after Open, and its errors for files it cannot read.
func TestReadMetadata(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)
	rotated := capture.Metadata{RecorderVersion: "test", Hostname: "web-01", StartTime: start,
		Rotation: &capture.Rotation{Set: "0123456789abcdef0123456789abcdef", Seq: 3}}
	member := retraceCapture(t, rotated, 200, capture.WriterOptions{})
	mi, moff := taggedFrame(t, member, "RTMS")
	multi := retraceCapture(t, rotated, 200, capture.WriterOptions{FrameSize: 512})
	if i, _ := taggedFrame(t, multi, "RTMS"); i < 3 {
		t.Fatalf("the start metadata is frame %d, want a header of several frames before it", i)
	}
	plain := smallCapture(t, capture.FormatScap, 10, capture.WriterOptions{})
	streamed, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer streamed.Close()
	mod := func(b []byte, off int, v []byte) []byte {
		b = bytes.Clone(b)
		copy(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		// data is written to a file, unless path gives one.
		data []byte
		path func(t *testing.T) string
		// want is the metadata; like Open's unless notOpen.
		want    *capture.Metadata
		notOpen bool
		wantErr string
	}{
		{name: "rotated set member", data: member, want: &rotated},
		{name: "rotated set member, header over several frames", data: multi, want: &rotated},
		{name: "rotated set member without events", data: retraceCapture(t, rotated, 0, capture.WriterOptions{}),
			want: &rotated, notOpen: true}, // Open has read the closing metadata too
		{name: "containers before the start metadata (capgen)", path: func(t *testing.T) string {
			p := filepath.Join(dir, "capgen.scap.zst")
			if _, err := capgen.WriteFile(p, capgen.Options{Events: 300, Seed: 9, Hostname: "db-02", Start: start}); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{name: "plain scap", data: plain},
		{name: "gzip", data: smallCapture(t, capture.FormatGzip, 10, capture.WriterOptions{})},
		{name: "zstd of another writer", data: streamed.EncodeAll(plain, nil)},
		{name: "sysdig capture (gzip)", path: func(t *testing.T) string {
			return testutil.SharedFile(t, "captures", "falco_cat_write.scap")
		}},
		{name: "sysdig capture (plain)", path: func(t *testing.T) string {
			return testutil.SharedFile(t, "captures", "libs_sample.scap")
		}},
		{name: "empty file", data: []byte{}, wantErr: "FILE: not a capture: an empty file"},
		{name: "text file", data: []byte("rotation: 3\n"), wantErr: "FILE: not a capture: a text file"},
		{name: "directory", path: func(t *testing.T) string { return t.TempDir() }, wantErr: "FILE: not a capture: a directory"},
		{name: "cut in the header frame", data: member[:moff/2],
			wantErr: "FILE: truncated at offset 0 (frame 0): 0 events recovered"},
		{name: "cut in the start metadata", data: member[:moff+20],
			wantErr: "FILE: truncated at offset " + itoa(moff) + " (frame " + itoa(mi) + "): 0 events recovered"},
		{name: "start metadata that is not JSON", data: mod(member, moff+12, []byte("{]")),
			wantErr: "FILE: corrupt at offset " + itoa(moff) + " (frame " + itoa(mi) + "): bad metadata frame: decode metadata: invalid character ']'"},
		{name: "bad frame magic after the header", data: mod(member, moff, []byte{0xef, 0xbe, 0xad, 0xde}),
			wantErr: "FILE: corrupt at offset " + itoa(moff) + " (frame " + itoa(mi) + "): bad frame magic 0xDEADBEEF"},
		{name: "zero-filled file", data: make([]byte, 100), wantErr: "FILE: truncated at offset 0: 0 events recovered"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "c"+itoa(i)+".scap.zst")
			if tc.path != nil {
				path = tc.path(t)
			} else if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := capture.ReadMetadata(path)
			if tc.wantErr != "" {
				want := strings.ReplaceAll(tc.wantErr, "FILE", path)
				if err == nil || !strings.HasPrefix(err.Error(), want) || !capture.IsFileError(err) {
					t.Fatalf("error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if !tc.notOpen {
				want = openMetadata(t, path)
				if tc.want != nil {
					if diff := cmp.Diff(tc.want, want); diff != "" {
						t.Fatalf("the test's metadata differs from Open's (-want +Open):\n%s", diff)
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ReadMetadata (-want +got):\n%s", diff)
			}
		})
	}
}
