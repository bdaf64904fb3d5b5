package detect

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/replay"
)

// twoHosts writes the captures of two hosts whose events interleave in
// time: web-01's as .scap.zst in small frames, db-02's as .scap (no
// frames). It returns their paths and host names.
func twoHosts(t *testing.T) (paths, hosts []string) {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, c := range []struct {
		host   string
		format capture.Format
		ext    string
	}{{"web-01", capture.FormatZstd, ".scap.zst"}, {"db-02", capture.FormatScap, ".scap"}} {
		data, err := capgen.Bytes(capgen.Options{Events: 1500, Seed: uint64(i + 1), Hostname: c.host, Start: start.Add(time.Duration(i) * time.Microsecond)},
			capture.WriterOptions{Format: c.format, FrameSize: 16 << 10})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, c.host+c.ext)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths, hosts = append(paths, p), append(hosts, c.host)
	}
	return paths, hosts
}

// frames returns the frame of every event of the capture at path by its
// evt.num, as the reader says (-1: no frames).
func frames(t *testing.T, path string) map[uint64]int {
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

// lines runs a filter over paths and returns the lines.
func lines(t *testing.T, opts Options, paths ...string) []string {
	t.Helper()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if _, err := d.Run(context.Background(), paths, func(it Item) error {
		out = append(out, string(it.Line))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestManyCapturesDefaultLine checks the default line of a filter over two
// hosts' captures: each is the host, FILE:FRAME and then exactly the line
// the capture alone prints for that event (sysdig's default line), the
// host and file those of the capture that holds event evt.num, the frame
// the reader's for it; the same for the JSON keys. A given format is not
// changed, and one capture alone prints sysdig's line
// (docs/COMPATIBILITY.md, EVENTS-MANY-CAPTURES).
func TestManyCapturesDefaultLine(t *testing.T) {
	if _, err := compat.Known("EVENTS-MANY-CAPTURES"); err != nil {
		t.Error(err)
	}
	paths, hosts := twoHosts(t)
	const filter = "evt.type in (execve, openat, connect, close)"
	for _, tc := range []struct {
		name    string
		json    bool
		workers int
	}{
		{"text, a worker per capture", false, 0},
		{"text, spilled", false, 1},
		{"json, a worker per capture", true, 0},
		{"json, spilled", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Filter: filter, JSON: tc.json, Workers: tc.workers}
			// What each capture prints alone, by evt.num.
			alone := make([]map[string]string, len(paths))
			for i, p := range paths {
				alone[i] = map[string]string{}
				for _, l := range lines(t, opts, p) {
					alone[i][eventNum(t, l, tc.json)] = l
				}
				if len(alone[i]) < 100 {
					t.Fatalf("%s: %d matching events", p, len(alone[i]))
				}
			}
			fr := []map[uint64]int{frames(t, paths[0]), frames(t, paths[1])}
			got := lines(t, opts, paths...)
			if want := len(alone[0]) + len(alone[1]); len(got) != want {
				t.Fatalf("%d lines, want %d", len(got), want)
			}
			seen := make([]int, len(paths))
			for _, l := range got {
				host, file, frame, rest := splitMany(t, l, tc.json)
				i := slices.Index(paths, file)
				if i < 0 {
					t.Fatalf("line names capture %q, not one of %q: %s", file, paths, l)
				}
				seen[i]++
				if host != hosts[i] {
					t.Errorf("line of %s names host %q, want %q: %s", file, host, hosts[i], l)
				}
				num := eventNum(t, rest, tc.json)
				n, err := strconv.ParseUint(num, 10, 64)
				if err != nil {
					t.Fatalf("evt.num %q: %v", num, err)
				}
				if want := frameText(fr[i][n], tc.json); frame != want {
					t.Errorf("%s evt %d: frame %s, want %s", file, n, frame, want)
				}
				if want := alone[i][num]; rest != want {
					t.Errorf("%s evt %d:\n got %s\nwant %s", file, n, rest, want)
				}
			}
			if seen[0] != len(alone[0]) || seen[1] != len(alone[1]) {
				t.Errorf("lines per capture %v, want %d and %d", seen, len(alone[0]), len(alone[1]))
			}
			if fr0 := slices.Collect(maps.Values(fr[0])); slices.Min(fr0) == slices.Max(fr0) {
				t.Errorf("%s: every event in frame %d; want several frames", paths[0], fr0[0])
			}
		})
	}
	t.Run("format given", func(t *testing.T) {
		got := lines(t, Options{Filter: filter, Format: "%evt.num %proc.name"}, paths...)
		for _, l := range got {
			if f := strings.Fields(l); len(f) != 2 {
				t.Fatalf("line %q: want the format's 2 fields", l)
			}
		}
	})
	t.Run("one capture", func(t *testing.T) {
		for _, asJSON := range []bool{false, true} {
			sysdig := DefaultFormat
			if asJSON {
				sysdig = DefaultJSONFormat
			}
			got := lines(t, Options{Filter: filter, JSON: asJSON}, paths[0])
			if want := lines(t, Options{Filter: filter, JSON: asJSON, Format: sysdig}, paths[0]); len(got) == 0 || !slices.Equal(got, want) {
				t.Errorf("json %v: %d lines unlike the %d of sysdig's format %q", asJSON, len(got), len(want), sysdig)
			}
		}
	})
}

// eventNum returns the evt.num of a line that starts with it (text) or
// has it as a key (JSON).
func eventNum(t *testing.T, line string, asJSON bool) string {
	t.Helper()
	if !asJSON {
		num, _, _ := strings.Cut(line, " ")
		return num
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return string(m["evt.num"])
}

// splitMany splits a line of ManyFormat (text) or ManyJSONFormat (JSON)
// into the host, capture file, frame and the rest: the text after the
// prefix, or the JSON object without the three keys, re-encoded as
// DefaultJSONFormat's lines are (sorted keys, no spaces).
func splitMany(t *testing.T, line string, asJSON bool) (host, file, frame, rest string) {
	t.Helper()
	if !asJSON {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 {
			t.Fatalf("line %q: want HOST FILE:FRAME ...", line)
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			t.Fatalf("line %q: want FILE:FRAME second", line)
		}
		return f[0], f[1][:i], f[1][i+1:], f[2]
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if err := json.Unmarshal(m["evt.hostname"], &host); err != nil {
		t.Fatalf("%s: evt.hostname: %v", line, err)
	}
	if err := json.Unmarshal(m["capture.file"], &file); err != nil {
		t.Fatalf("%s: capture.file: %v", line, err)
	}
	frame = string(m["capture.frame"])
	delete(m, "evt.hostname")
	delete(m, "capture.file")
	delete(m, "capture.frame")
	var b strings.Builder
	enc := json.NewEncoder(&b) // sorted keys, values as they were
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return host, file, frame, strings.TrimSuffix(b.String(), "\n")
}

// frameText is how a line prints frame f (-1: none).
func frameText(f int, asJSON bool) string {
	switch {
	case f >= 0:
		return strconv.Itoa(f)
	case asJSON:
		return "null"
	default:
		return "<NA>"
	}
}
