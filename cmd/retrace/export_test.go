package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// retraceChild returns a command that runs retrace's main with args in a
// child process (this test binary).
func retraceChild(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1", "GOMAXPROCS=2")
	return cmd
}

// TestExportShardsUnion runs N `retrace export --shard I/N` processes at
// once into one directory and checks that together they write exactly
// the files, byte for byte, that one `retrace export` writes alone; then
// N again, into the same directory, with a clock offset that moves the
// days of the attack captures: what they wrote before is replaced, as in
// one export with the offset into an empty directory.
func TestExportShardsUnion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates captures and runs child processes")
	}
	dir := manyCaptures(t, 12, 1500)
	attacks, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(attacks) == 0 {
		t.Fatalf("no attack captures: %v", err)
	}
	inputs := append([]string{dir}, attacks[:4]...)
	single := t.TempDir()
	if out, err := retraceChild(append([]string{"export", "-q", "-o", single}, inputs...)...).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	want := testutil.FileTree(t, single)
	shift := []string{"--clock-offset", "vm=+48h"} // the attack captures' host
	shifted := t.TempDir()
	if out, err := retraceChild(append(append([]string{"export", "-q", "-o", shifted}, shift...), inputs...)...).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	wantShifted := testutil.FileTree(t, shifted)
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprint(n, " shards"), func(t *testing.T) {
			shared := t.TempDir()
			runShards(t, n, shared, inputs)
			compareTrees(t, fmt.Sprint(n, " shards"), testutil.FileTree(t, shared), want)
			runShards(t, n, shared, append(shift, inputs...))
			compareTrees(t, fmt.Sprint(n, " shards again with ", shift), testutil.FileTree(t, shared), wantShifted)
		})
	}
}

// runShards runs `retrace export --shard I/N -o dir ARGS` for I from 0 to
// n-1 at once, each in a child process.
func runShards(t *testing.T, n int, dir string, args []string) {
	t.Helper()
	var wg sync.WaitGroup
	outs := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := append([]string{"export", "--shard", fmt.Sprintf("%d/%d", i, n), "-o", dir}, args...)
			outs[i], errs[i] = retraceChild(a...).CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("shard %d/%d: %v\n%s", i, n, errs[i], outs[i])
		}
		if !bytes.Contains(outs[i], []byte(fmt.Sprintf("(shard %d/%d)", i, n))) {
			t.Errorf("shard %d/%d said %q", i, n, outs[i])
		}
	}
}

// compareTrees reports the files of want that got lacks or has with other
// bytes, and the files got has beyond want.
func compareTrees(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for name, b := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: %s written by the single export, by no shard", what, name)
		} else if !bytes.Equal(g, b) {
			t.Errorf("%s: %s: the shards' bytes differ from the single export's", what, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s is left beside the single export's files", what, name)
		}
	}
}

// exportRSS runs `retrace export` of dir and returns its peak RSS in KiB.
func exportRSS(tb testing.TB) func(dir string) int64 {
	return func(dir string) int64 { return childPeakRSS(tb, "export", "-q", "-o", tb.TempDir(), dir) }
}

// TestExportMemoryBoundedAcrossCaptures checks that exporting 200
// captures takes at most 1.5x the peak RSS of exporting 20: each capture's
// files are written and closed by the worker that replays it.
func TestExportMemoryBoundedAcrossCaptures(t *testing.T) {
	checkRSSBounded(t, 20, exportRSS(t))
}

// BenchmarkExportManyCapturesRSS reports the peak RSS of exporting 20 and
// 200 captures, and their ratio.
func BenchmarkExportManyCapturesRSS(b *testing.B) {
	var twenty, many int64
	for b.Loop() {
		twenty, many = rssOverCaptures(b, 20, 200, exportRSS(b))
	}
	b.ReportMetric(float64(twenty), "KiB-peak-20")
	b.ReportMetric(float64(many), "KiB-peak-200")
	b.ReportMetric(float64(many)/float64(twenty), "ratio")
}

// BenchmarkExportVsReplay runs `retrace replay` (built-in rules, JSON
// detections) and `retrace export` (same rules) on the same 200
// generated captures (and on 20 ten times longer ones) in child
// processes, and reports the CPU time (user
// and system, which a busy machine does not inflate as it does wall time)
// of each, the export's as a multiple of the replay's, and the Parquet
// size against the captures' size.
func BenchmarkExportVsReplay(b *testing.B) {
	for _, in := range []struct{ captures, events int }{{200, 5000}, {20, 50000}} {
		b.Run(fmt.Sprintf("%dx%d", in.captures, in.events), func(b *testing.B) {
			benchExportVsReplay(b, in.captures, in.events)
		})
	}
}

// benchExportVsReplay is BenchmarkExportVsReplay on n captures of events
// events each.
func benchExportVsReplay(b *testing.B, n, events int) {
	dir := manyCaptures(b, n, events)
	var capBytes int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			capBytes += info.Size()
		}
	}
	run := func(args ...string) time.Duration {
		cmd := retraceChild(args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var replay, export time.Duration
	var lakeBytes int64
	for b.Loop() {
		replay += run("replay", "-q", "-o", "json", "--out", os.DevNull, dir)
		lake := b.TempDir()
		export += run("export", "-q", "-o", lake, dir)
		lakeBytes = 0
		for _, data := range testutil.FileTree(b, lake) {
			lakeBytes += int64(len(data))
		}
	}
	b.ReportMetric(replay.Seconds()/float64(b.N), "cpu-s-replay")
	b.ReportMetric(export.Seconds()/float64(b.N), "cpu-s-export")
	b.ReportMetric(float64(export)/float64(replay), "export/replay")
	b.ReportMetric(float64(capBytes), "B-scap.zst")
	b.ReportMetric(float64(lakeBytes), "B-parquet")
	b.ReportMetric(float64(lakeBytes)/float64(capBytes), "parquet/scap.zst")
}

// TestExportDamagedCapture checks what `retrace export` says and leaves of
// a capture cut short (its rows up to the cut, exit status 1 as replay's)
// beside one that is not a capture (no files): the summary counts the
// files on disk and tells the two apart.
func TestExportDamagedCapture(t *testing.T) {
	src := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "escape-container.scap.zst")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	in := t.TempDir()
	cut := filepath.Join(in, "escape-container.scap.zst")
	garbage := filepath.Join(in, "garbage.scap.zst")
	if err := os.WriteFile(cut, b[:len(b)*85/100], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(garbage, []byte("not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lake := t.TempDir()
	cmd := retraceChild("export", "-o", lake, cut, garbage)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("export: %v, want exit status 1\n%s", err, out)
	}
	files := testutil.FileTree(t, lake)
	for name := range files {
		if strings.Contains(name, "garbage") {
			t.Errorf("%s written for a file that is not a capture", name)
		}
	}
	for _, want := range []string{
		cut + ": truncated at offset ",
		"(read in part: the rows of the 59380 events read are exported)",
		garbage + ": not a capture",
		"exported 59380 events from 1 of 2 captures (shard 0/1; 1 read in part; 1 failed, without files) in ",
		fmt.Sprintf(" into %d files: ", len(files)),
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(files) == 0 {
		t.Error("no files for the capture read in part")
	}
}
