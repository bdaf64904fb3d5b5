package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/rules"
)

// genCaptures writes n generated captures whose events interleave in time
// (each starts 1 ms after the previous one) and returns their paths.
func genCaptures(t testing.TB, n, events int) []string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("c%03d.scap.zst", i))
		opts := capgen.Options{Events: events, Seed: uint64(i + 1), Start: start.Add(time.Duration(i) * time.Millisecond),
			Hostname: fmt.Sprintf("host%d", i)}
		if _, err := capgen.WriteFile(paths[i], opts); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// collect runs d over paths and returns the output lines (detections as
// "time rule host") and the summary.
func collect(t *testing.T, d *Detector, paths []string) ([]string, Summary) {
	t.Helper()
	var out []string
	var last uint64
	sum, err := d.Run(context.Background(), paths, func(it Item) error {
		if it.Time < last {
			t.Errorf("item at %d after one at %d", it.Time, last)
		}
		last = it.Time
		if it.Detection != nil {
			out = append(out, fmt.Sprintf("%d %s %s", it.Time, it.Detection.Rule, it.Detection.Hostname))
		} else {
			out = append(out, string(it.Line))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, sum
}

// TestRunStreamingAndSpilledAgree checks that the live merge (a worker per
// capture) and the spilled one (fewer workers) give the same output, in
// time order, for filter lines, encoded detections and detections.
func TestRunStreamingAndSpilledAgree(t *testing.T) {
	paths := genCaptures(t, 5, 3000)
	reg := replay.NewFieldRegistry()
	set := openOrExecRules(t, reg)
	encode := func(dst []byte, d *report.Detection) []byte {
		return report.AppendText(dst, d, report.Options{TZ: time.UTC})
	}
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"filter", Options{Filter: "evt.type in (openat, execve, connect)", Format: "%evt.rawtime %evt.num %proc.name %fd.name"}},
		{"encoded detections", Options{Rules: set, Encode: encode}},
		{"detections", Options{Rules: set}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, workers := range []int{len(paths), 2, 1} {
				opts := tc.opts
				opts.Registry, opts.Workers, opts.TempDir = reg, workers, t.TempDir()
				d, err := New(opts)
				if err != nil {
					t.Fatal(err)
				}
				got, sum := collect(t, d, paths)
				if len(got) == 0 || sum.Found != uint64(len(got)) {
					t.Fatalf("%d workers: %d items, %d found", workers, len(got), sum.Found)
				}
				if len(sum.Captures) != len(paths) || sum.Captures[3].Hostname != "host3" {
					t.Errorf("%d workers: captures %+v", workers, sum.Captures)
				}
				if want == nil {
					want = got
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%d workers differ from one per capture (-want +got):\n%s", workers, diff)
				}
			}
		})
	}
}

// TestRunErrors checks that a capture that cannot be read is reported
// without stopping the others, and that an output error stops the run
// (live and spilled) without a hang.
func TestRunErrors(t *testing.T) {
	paths := genCaptures(t, 3, 2000)
	missing := filepath.Join(t.TempDir(), "missing.scap.zst")
	for _, workers := range []int{4, 1} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			d, err := New(Options{Filter: "evt.type=openat", Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			sum, err := d.Run(context.Background(), append([]string{missing}, paths...), func(Item) error { n++; return nil })
			if err == nil || !strings.Contains(err.Error(), "missing.scap.zst") {
				t.Errorf("error %v, want one naming the missing capture", err)
			}
			if n == 0 || sum.Found != uint64(n) {
				t.Errorf("%d lines, %d found: the other captures were not replayed", n, sum.Found)
			}

			full := errors.New("disk full")
			n = 0
			_, err = d.Run(context.Background(), paths, func(Item) error {
				if n++; n == 3 {
					return full
				}
				return nil
			})
			if !errors.Is(err, full) {
				t.Errorf("error %v, want %v", err, full)
			}
			if n != 3 {
				t.Errorf("emit called %d times after its error, want it to stop at 3", n)
			}
		})
	}
}

// TestNewRejects checks the options New refuses.
func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"nothing to run", Options{}, "no rules and no filter"},
		{"bad filter", Options{Filter: "evt.type = = open"}, "parse filter"},
		{"unknown field", Options{Filter: "proc.nme = sh"}, "proc.nme"},
		{"bad format", Options{Filter: "evt.type=open", Format: "%proc.nme"}, "compile format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestCaptureMatchesRun checks that Capture gives one capture's items as
// Run does.
func TestCaptureMatchesRun(t *testing.T) {
	paths := genCaptures(t, 1, 2000)
	d, err := New(Options{Filter: "evt.type=openat", Format: "%evt.num %fd.name"})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if _, err := d.Capture(context.Background(), paths[0], func(it Item) error { a.Write(it.Line); a.WriteByte('\n'); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Run(context.Background(), paths, func(it Item) error { b.Write(it.Line); b.WriteByte('\n'); return nil }); err != nil {
		t.Fatal(err)
	}
	if a.Len() == 0 || a.String() != b.String() {
		t.Errorf("Capture gave %d bytes, Run %d bytes; they differ", a.Len(), b.Len())
	}
}

// openOrExecRules loads a rule that fires on every openat and execve.
func openOrExecRules(t *testing.T, reg engine.Registry) *rules.Set {
	t.Helper()
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	const rule = `- rule: Open or exec
  desc: every open and exec
  condition: evt.type in (openat, execve)
  output: "%proc.name %fd.name"
  priority: NOTICE
`
	if err := os.WriteFile(rulesFile, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := LoadRules([]string{rulesFile}, reg)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
