package replay_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
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
		if err := replayWithProvenance(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// replayWithProvenance replays path and builds the provenance of every
// exec, as detections on them would.
func replayWithProvenance(path string) error {
	links := 0
	_, err := replay.ReplayFile(context.Background(), path, replay.Options{}, func(e *replay.Event) error {
		if info := e.Ev.Info(); info != nil && info.Dir == 'X' && e.Ev.TypeName() == "execve" {
			if p := detect.ProvenanceOf(e); p != nil {
				links += len(p.Chain)
			}
		}
		return nil
	})
	if err == nil && links == 0 {
		err = fmt.Errorf("%s: no provenance built", path)
	}
	return err
}

// lineagePeakRSS replays path in a child process and returns its peak RSS
// in KiB (the lower of two runs).
func lineagePeakRSS(t *testing.T, path string) int64 {
	t.Helper()
	low := int64(0)
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), lineageChildEnv+"="+path, "GOMAXPROCS=2")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("replay %s: %v\n%s", path, err, out)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		if low == 0 || rss < low {
			low = rss
		}
	}
	return low
}

// TestLineageMemoryBounded checks that provenance memory follows live
// processes, not capture length: a capture with 4x the process churn
// (every command forks, execs and exits) replays with provenance built
// for every exec in at most 1.2x the peak RSS of the 1x capture.
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
	one, four := lineagePeakRSS(t, sizes[1]), lineagePeakRSS(t, sizes[4])
	t.Logf("peak RSS: 1x %d KiB, 4x %d KiB (%.2fx)", one, four, float64(four)/float64(one))
	if float64(four) > 1.2*float64(one) {
		t.Errorf("peak RSS at 4x capture length is %d KiB, more than 1.2x the %d KiB at 1x", four, one)
	}
}
