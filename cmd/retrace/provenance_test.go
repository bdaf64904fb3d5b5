package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/replay"
)

// eventFrames returns the frame of every event of the capture at path by
// its evt.num, as the reader says.
func eventFrames(t *testing.T, path string) map[uint64]int {
	t.Helper()
	out := map[uint64]int{}
	if _, err := replay.ReplayFile(context.Background(), path, replay.Options{}, func(e *replay.Event) error {
		out[e.Num] = e.Frame
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEventsProvenance replays the captures of two hosts (a directory) and
// checks that every line of retrace events and replay -F names the host
// and capture file of its event, with the frame that holds its evt.num;
// that filters select on capture.file and capture.frame; and that a rule
// output's %capture.file and %capture.frame agree with the alert's
// provenance.
func TestEventsProvenance(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var paths []string
	for i, host := range []string{"web-01", "db-02"} {
		// Small frames: each capture's events spread over many.
		data, err := capgen.Bytes(capgen.Options{Events: 1500, Seed: uint64(i + 1), Hostname: host, Start: start.Add(time.Duration(i) * time.Microsecond)},
			capture.WriterOptions{FrameSize: 16 << 10})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, host+".scap.zst")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	frames := map[string]map[uint64]int{paths[0]: eventFrames(t, paths[0]), paths[1]: eventFrames(t, paths[1])}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"events", []string{"events", dir, "evt.type=execve"}},
		{"replay -F", []string{"replay", "-q", "-F", "evt.type=execve", dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runRetrace(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			perHost := map[string]int{}
			for l := range strings.Lines(string(out)) {
				f := strings.Fields(l)
				file, frame, ok := strings.Cut(f[1], ":")
				if len(f) < 4 || !ok {
					t.Fatalf("line %q: want HOST FILE:FRAME EVT.NUM ...", l)
				}
				fr, known := frames[file]
				if !known {
					t.Fatalf("line %q names %q, not one of the captures", l, file)
				}
				if want := strings.TrimSuffix(filepath.Base(file), ".scap.zst"); f[0] != want {
					t.Errorf("line %q: host %q, want %q", l, f[0], want)
				}
				num, err := strconv.ParseUint(f[2], 10, 64)
				if err != nil {
					t.Fatalf("line %q: evt.num: %v", l, err)
				}
				if want := strconv.Itoa(fr[num]); frame != want {
					t.Errorf("line %q: frame %s, want %s (evt %d of %s)", l, frame, want, num, file)
				}
				perHost[f[0]]++
			}
			if perHost["web-01"] < 10 || perHost["db-02"] < 10 {
				t.Errorf("lines per host %v, want 10 or more each", perHost)
			}
		})
	}

	t.Run("filters", func(t *testing.T) {
		frame := frames[paths[1]][700] // one in the middle
		for _, tc := range []struct {
			filter string
			want   func(file string, frame int) bool
		}{
			{"capture.file = " + paths[1], func(file string, _ int) bool { return file == paths[1] }},
			{"capture.file endswith web-01.scap.zst", func(file string, _ int) bool { return file == paths[0] }},
			{"capture.frame = " + strconv.Itoa(frame), func(_ string, f int) bool { return f == frame }},
			{"capture.frame > " + strconv.Itoa(frame) + " and capture.file contains db-02", func(file string, f int) bool { return file == paths[1] && f > frame }},
		} {
			out, _, err := runRetrace(t, "events", dir, tc.filter, "-p", "%capture.file %evt.num")
			if err != nil {
				t.Fatalf("%s: %v", tc.filter, err)
			}
			got := 0
			for l := range strings.Lines(string(out)) {
				file, n, _ := strings.Cut(strings.TrimSpace(l), " ")
				num, _ := strconv.ParseUint(n, 10, 64)
				if !tc.want(file, frames[file][num]) {
					t.Errorf("%s: line %q, frame %d", tc.filter, l, frames[file][num])
				}
				got++
			}
			want := 0
			for file, fr := range frames {
				for _, f := range fr {
					if tc.want(file, f) {
						want++
					}
				}
			}
			t.Logf("%s: %d lines of %d events", tc.filter, got, want)
			// events hides procinfo and container events, as sysdig.
			if got == 0 || got > want || got < want*9/10 {
				t.Errorf("%s: %d lines, want about %d", tc.filter, got, want)
			}
		}
	})

	t.Run("rule output", func(t *testing.T) {
		rules := filepath.Join(t.TempDir(), "rules.yaml")
		if err := os.WriteFile(rules, []byte(`- rule: Program run
  desc: an execve
  condition: evt.type = execve and evt.dir = <
  output: "run %proc.name (file=%capture.file frame=%capture.frame)"
  priority: NOTICE
`), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _, err := runRetrace(t, "replay", "-q", "-r", rules, "-o", "json", dir)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for l := range strings.Lines(string(out)) {
			var a struct {
				Output       string         `json:"output"`
				OutputFields map[string]any `json:"output_fields"`
				Provenance   struct {
					Capture string `json:"capture"`
					Frame   int    `json:"frame"`
					EvtNum  uint64 `json:"evt_num"`
				} `json:"provenance"`
			}
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			p := a.Provenance
			if a.OutputFields["capture.file"] != p.Capture || a.OutputFields["capture.frame"] != float64(p.Frame) ||
				!strings.Contains(a.Output, "file="+p.Capture+" frame="+strconv.Itoa(p.Frame)+")") {
				t.Errorf("alert on evt %d of %s frame %d: output %q, fields %v", p.EvtNum, p.Capture, p.Frame, a.Output, a.OutputFields)
			}
			if want := frames[p.Capture][p.EvtNum]; p.Frame != want {
				t.Errorf("alert on evt %d of %s: frame %d, want %d", p.EvtNum, p.Capture, p.Frame, want)
			}
			n++
		}
		if n < 20 {
			t.Errorf("%d alerts, want 20 or more", n)
		}
	})
}
