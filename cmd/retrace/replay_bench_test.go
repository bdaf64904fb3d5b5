package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/rules"
)

// benchEvents is the size of the generated benchmark capture.
const benchEvents = 200_000

// benchCapture writes a generated capture with process churn and returns
// its path and event count.
func benchCapture(b *testing.B, ext string) (string, int) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench"+ext)
	st, err := capgen.WriteFile(path, capgen.Options{Events: benchEvents, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Events
}

// benchReplay measures `retrace replay` over a generated capture with the
// given rules files (nil: the built-in rules), rules loaded once.
func benchReplay(b *testing.B, ext string, ruleFiles []string) {
	path, n := benchCapture(b, ext)
	benchReplayFile(b, path, ruleFiles)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// benchReplayFile measures `retrace replay` of the capture at path with
// the given rules files, rules loaded once.
func benchReplayFile(b *testing.B, path string, ruleFiles []string) {
	cfg := &replayConfig{files: []string{path}, ruleFiles: ruleFiles, format: report.FormatText, quiet: true}
	reg := newTestRegistry()
	set, err := detect.LoadRules(ruleFiles, reg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := replayWith(context.Background(), cfg, reg, set, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplayBuiltinZstd(b *testing.B) { benchReplay(b, ".scap.zst", nil) }

func BenchmarkReplayFalco032Zstd(b *testing.B) {
	benchReplay(b, ".scap.zst", []string{testutil.SharedFile(b, "falco-rules", "falco_rules-0.32.yaml")})
}

func BenchmarkReplayFalco032Scap(b *testing.B) {
	benchReplay(b, ".scap", []string{testutil.SharedFile(b, "falco-rules", "falco_rules-0.32.yaml")})
}

func BenchmarkReplayStableZstd(b *testing.B) {
	benchReplay(b, ".scap.zst", []string{testutil.SharedFile(b, "falco-rules", "falco_rules.yaml")})
}

// TestWriteSysdigFilter writes the sysdig filter the performance
// comparison of docs/PERFORMANCE.md uses: the expanded conditions of the
// enabled rules of falco_rules-0.32.yaml that sysdig 0.29.3 accepts, ORed.
// It runs only when RETRACE_SYSDIG_FILTER names the output file.
func TestWriteSysdigFilter(t *testing.T) {
	out := os.Getenv("RETRACE_SYSDIG_FILTER")
	if out == "" {
		t.Skip("set RETRACE_SYSDIG_FILTER=FILE to write the ORed sysdig filter of falco_rules-0.32.yaml")
	}
	sysdig := testutil.NeedTool(t, "sysdig")
	empty := testutil.SharedFile(t, "captures", "falco_empty.scap")
	set, err := rules.Load([]string{testutil.SharedFile(t, "falco-rules", "falco_rules-0.32.yaml")},
		rules.Options{Fields: newTestRegistry(), EventTypes: eventTypes()})
	if err != nil {
		t.Fatal(err)
	}
	var accepted []string
	for _, r := range set.Rules {
		if !r.Enabled {
			continue
		}
		if err := exec.Command(sysdig, "-r", empty, r.Expanded()).Run(); err != nil {
			t.Logf("sysdig rejects rule %q: %v", r.Name, err)
			continue
		}
		accepted = append(accepted, r.Expanded())
	}
	t.Logf("sysdig accepts %d of %d rules", len(accepted), len(set.Rules))
	if err := os.WriteFile(out, []byte(strings.Join(accepted, " or ")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkReplayRecorded replays the capture RETRACE_BENCH_CAPTURE names
// (a recorded workload, scripts/record-workload.sh; not committed) with
// stable + incubating + sandbox, the set of issue 17's acceptance, so that
// a CPU profile of the real mix can be taken:
//
//	RETRACE_BENCH_CAPTURE=/tmp/work.scap go test -run '^$' \
//	    -bench ReplayRecorded -benchtime 3x -cpuprofile cpu.out ./cmd/retrace
func BenchmarkReplayRecorded(b *testing.B) {
	path := os.Getenv("RETRACE_BENCH_CAPTURE")
	if path == "" {
		b.Skip("set RETRACE_BENCH_CAPTURE=FILE to replay a recorded capture")
	}
	var files []string
	for _, f := range []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"} {
		files = append(files, testutil.SharedFile(b, "falco-rules", f))
	}
	benchReplayFile(b, path, files)
}
