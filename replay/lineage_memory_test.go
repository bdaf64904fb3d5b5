package replay_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
)

// lineageChildEnv names the capture a re-executed test binary replays.
const lineageChildEnv = "RETRACE_LINEAGE_MEMORY_CHILD"

// TestMain lets the test binary act as the replaying child of
// TestLineageMemoryBounded.
func TestMain(m *testing.M) {
	if path := os.Getenv(lineageChildEnv); path != "" {
		live, err := replayWithProvenance(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		testutil.ReportPeakRSS()
		fmt.Printf("live_kib=%d\n", live)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// liveEvery is how often, in events, the child measures its live heap.
const liveEvery = 50_000

// replayWithProvenance replays path and builds the provenance of every
// exec, as detections on them would. It returns the largest live heap
// (after a collection, every liveEvery events) in KiB.
func replayWithProvenance(path string) (int64, error) {
	links, n := 0, 0
	var live uint64
	_, err := replay.ReplayFile(context.Background(), path, replay.Options{}, func(e *replay.Event) error {
		if info := e.Ev.Info(); info != nil && info.Dir == 'X' && e.Ev.TypeName() == "execve" {
			if p := detect.ProvenanceOf(e); p != nil {
				links += len(p.Chain)
			}
		}
		if n++; n%liveEvery == 0 {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			live = max(live, ms.HeapAlloc)
		}
		return nil
	})
	if err == nil && links == 0 {
		err = fmt.Errorf("%s: no provenance built", path)
	}
	return int64(live >> 10), err
}

// lineageMemory replays path in a child process and returns its peak RSS
// and its largest live heap, in KiB (the lower of two runs each).
func lineageMemory(t *testing.T, path string) (rss, live int64) {
	t.Helper()
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), lineageChildEnv+"="+path, "GOMAXPROCS=2")
		peak := testutil.MeasurePeakRSS(t, cmd)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("replay %s: %v\n%s", path, err, out)
		}
		var l int64
		if _, err := fmt.Sscanf(string(out), "live_kib=%d", &l); err != nil {
			t.Fatalf("replay %s: no live heap in %q: %v", path, out, err)
		}
		r := peak()
		if rss == 0 || r < rss {
			rss = r
		}
		if live == 0 || l < live {
			live = l
		}
	}
	return rss, live
}

// TestLineageMemoryBounded checks that provenance memory follows live
// processes, not capture length: a capture with 4x the process churn
// (every command forks, execs and exits) replays with provenance built
// for every exec in at most 1.2x the live heap of the 1x capture, and
// at most 1.5x its peak RSS (which also counts the garbage between
// collections, a few MiB either way at this size).
func TestLineageMemoryBounded(t *testing.T) {
	if testing.Short() || testutil.RaceEnabled {
		t.Skip("memory measurement: not with -short or the race detector")
	}
	dir := t.TempDir()
	sizes := map[int]string{}
	for _, n := range []int{1, 4} {
		path := filepath.Join(dir, fmt.Sprintf("churn%dx.scap.zst", n))
		if _, err := capgen.WriteFile(path, capgen.Options{Events: n * 150_000, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		sizes[n] = path
	}
	rss1, live1 := lineageMemory(t, sizes[1])
	rss4, live4 := lineageMemory(t, sizes[4])
	t.Logf("live heap: 1x %d KiB, 4x %d KiB (%.2fx); peak RSS: 1x %d KiB, 4x %d KiB (%.2fx)",
		live1, live4, float64(live4)/float64(live1), rss1, rss4, float64(rss4)/float64(rss1))
	if float64(live4) > 1.2*float64(live1) {
		t.Errorf("live heap at 4x capture length is %d KiB, more than 1.2x the %d KiB at 1x", live4, live1)
	}
	if float64(rss4) > 1.5*float64(rss1) {
		t.Errorf("peak RSS at 4x capture length is %d KiB, more than 1.5x the %d KiB at 1x", rss4, rss1)
	}
}
