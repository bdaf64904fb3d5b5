package replay

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestCaptureFields replays a generated capture in each container format
// and checks capture.file and capture.frame on every event: the file as
// opened; for .scap.zst the frames in the order of the file's frame index,
// each holding as many events as the index says, within its time span;
// no frame for the formats without frames.
func TestCaptureFields(t *testing.T) {
	tests := []struct {
		name   string
		format capture.Format
		framed bool
	}{
		{"scap.zst", capture.FormatZstd, true},
		{"scap", capture.FormatScap, false},
		{"scap.gz", capture.FormatGzip, false},
	}
	fields := bindAll(t, []string{"capture.file", "capture.frame"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Small frames: the events spread over many.
			data, err := capgen.Bytes(capgen.Options{Events: 2000, Hostname: "web-01"}, capture.WriterOptions{Format: tc.format, FrameSize: 16 << 10})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "web-01."+tc.name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			type run struct {
				frame           uint64
				events          uint64
				firstTS, lastTS uint64
			}
			var runs []run
			var vals []engine.Value
			if _, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
				if vals = fields[0].b.Extractor.Extract(e, vals[:0]); len(vals) != 1 || string(vals[0].Bytes) != path {
					t.Fatalf("evt %d: capture.file %v, want %q", e.Num, vals, path)
				}
				vals = fields[1].b.Extractor.Extract(e, vals[:0])
				if !tc.framed {
					if len(vals) != 0 {
						t.Fatalf("evt %d: capture.frame %d, want none", e.Num, vals[0].Num)
					}
					return nil
				}
				if len(vals) != 1 {
					t.Fatalf("evt %d: capture.frame missing", e.Num)
				}
				f, ts := vals[0].Num, e.Ev.Ts()
				switch n := len(runs); {
				case n > 0 && runs[n-1].frame == f:
					runs[n-1].events++
					runs[n-1].lastTS = ts
				case n > 0 && runs[n-1].frame > f:
					t.Fatalf("evt %d: capture.frame %d after %d", e.Num, f, runs[n-1].frame)
				default:
					runs = append(runs, run{frame: f, events: 1, firstTS: ts, lastTS: ts})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !tc.framed {
				return
			}
			sum, err := capture.ReadSummary(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) < 3 || len(runs) != len(sum.Frames) {
				t.Fatalf("events in %d frames, the file's index lists %d event frames; want the same, 3 or more", len(runs), len(sum.Frames))
			}
			for i, r := range runs {
				ix := sum.Frames[i]
				if r.events != ix.Events || r.firstTS != ix.FirstTS || r.lastTS != ix.LastTS {
					t.Errorf("capture.frame %d: %d events from %d to %d; index entry %d: %d events from %d to %d",
						r.frame, r.events, r.firstTS, r.lastTS, i, ix.Events, ix.FirstTS, ix.LastTS)
				}
			}
		})
	}
}

// TestCaptureFieldsWithoutFile checks that events applied without a reader
// (no file) have neither capture field.
func TestCaptureFieldsWithoutFile(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	e := replaySteps(t, s, []step{ev(scap.SyscallCloseE, 200, 0)})
	for _, name := range []string{"capture.file", "capture.frame"} {
		if got := field(t, e, name); got != "<NA>" {
			t.Errorf("%s = %q, want <NA>", name, got)
		}
	}
}

// TestCaptureFieldsAreRetraces checks that the capture.* class is
// retrace's own: current libs have no field in it (the reference list of
// sinsp's fields), each field says it is retrace's, and
// docs/COMPATIBILITY.md documents them.
func TestCaptureFieldsAreRetraces(t *testing.T) {
	n := 0
	for _, fi := range NewFieldRegistry().Fields() {
		if strings.HasPrefix(fi.Name, "capture.") {
			n++
			if !strings.HasSuffix(fi.Desc, "A retrace field.") {
				t.Errorf("%s: description %q does not say it is a retrace field", fi.Name, fi.Desc)
			}
		}
	}
	if n == 0 {
		t.Error("no capture.* field in the registry")
	}
	if _, err := compatKnown("REPLAY-CAPTURE-FIELDS"); err != nil {
		t.Error(err)
	}
	tsv, err := os.ReadFile(testutil.SharedFile(t, "reference", "sinsp-fields.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(tsv)) {
		if name, _, _ := strings.Cut(line, "\t"); strings.HasPrefix(name, "capture.") {
			t.Errorf("libsinsp has %s: the capture.* class is not retrace's alone", name)
		}
	}
}
