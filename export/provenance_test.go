package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// genCapture writes a capture of events events recorded on host at path
// (its format from its name) and returns the path.
func genCapture(t *testing.T, path, host string, events int) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := capgen.WriteFile(path, capgen.Options{Events: events, Seed: 7, Hostname: host}); err != nil {
		t.Fatal(err)
	}
	return path
}

// replayFrames returns the frame of each event the rules see in the
// capture at path, by evt.num, as the replay gives it.
func replayFrames(t *testing.T, det *detect.Detector, path string) map[int64]int64 {
	t.Helper()
	frames := map[int64]int64{}
	if _, err := det.Events(context.Background(), path, func(_ report.CaptureInfo, e *replay.Event, _ []*report.Detection) error {
		frames[int64(e.Num)] = int64(e.Frame)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestProvenance checks where a row says it comes from: its capture's file
// name (metadata.log_name), its host and the frame that holds its event
// (unmapped.frame: the replay's, -1 in a capture without frames), with
// captures of the same name from two hosts exported side by side.
func TestProvenance(t *testing.T) {
	in := t.TempDir()
	web1 := genCapture(t, filepath.Join(in, "a", "web.scap.zst"), "web-1", 20000) // two frames of events
	web2 := genCapture(t, filepath.Join(in, "b", "web.scap.zst"), "web-2", 20000)
	plain := genCapture(t, filepath.Join(in, "plain.scap"), "web-3", 3000)
	det, reg := builtinDetector(t, 2)
	out := t.TempDir()
	sum, err := Run(context.Background(), []string{web1, web2, plain}, Options{Detector: det, Registry: reg, Dir: out, Workers: 2, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		path, host, logName string
		framed              bool
	}{
		{web1, "web-1", "web.scap.zst", true},
		{web2, "web-2", "web.scap.zst", true},
		{plain, "web-3", "plain.scap", false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			frames := replayFrames(t, det, tc.path)
			c := sum.Captures[i]
			if len(c.Files) == 0 {
				t.Fatal("no files")
			}
			distinct := map[int64]bool{}
			for _, f := range c.Files {
				rel, _ := filepath.Rel(out, f)
				if !strings.Contains(filepath.ToSlash(rel), "/host="+tc.host+"/") {
					t.Errorf("%s is not in host %s's partition", rel, tc.host)
				}
				if !strings.Contains(rel, string(filepath.Separator)+"class=process_activity") && !strings.HasPrefix(rel, "class=process_activity") {
					continue
				}
				rows, err := parquet.ReadFile[ProcessActivity](f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					want, ok := frames[r.Metadata.Sequence]
					if r.Metadata.LogName != tc.logName || r.Device.Hostname != tc.host || !ok || r.Unmapped.Frame != want {
						t.Fatalf("%s: row of event %d: log_name %q, host %q, frame %d; want %q, %q, frame %d (replayed: %v)",
							rel, r.Metadata.Sequence, r.Metadata.LogName, r.Device.Hostname, r.Unmapped.Frame, tc.logName, tc.host, want, ok)
					}
					distinct[r.Unmapped.Frame] = true
				}
			}
			if tc.framed && (len(distinct) < 2 || distinct[-1]) || !tc.framed && !(len(distinct) == 1 && distinct[-1]) {
				t.Errorf("frames of the rows: %v", distinct)
			}
		})
	}

	// The same name and host would write the same files.
	twin := genCapture(t, filepath.Join(in, "c", "web.scap.zst"), "web-1", 3000)
	out2 := t.TempDir()
	_, err = Run(context.Background(), []string{web1, web2, twin}, Options{Detector: det, Registry: reg, Dir: out2, Workers: 1})
	for _, want := range []string{web1, twin, "host web-1", "rename one"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
	if n := len(testutil.FileTree(t, out2)); n != 0 {
		t.Errorf("%d files written despite two inputs of the same name and host", n)
	}
}

// TestShardSameNames checks that inputs of the same name and size (from
// two hosts) go to the same shards whatever their order.
func TestShardSameNames(t *testing.T) {
	in := t.TempDir()
	var paths []string
	for i := range 6 {
		paths = append(paths, genCapture(t, filepath.Join(in, fmt.Sprint(i), "web.scap"), fmt.Sprintf("web-%d", i), 3000)) // not compressed: one size
	}
	for _, p := range paths[1:] {
		a, _ := os.Stat(paths[0])
		b, _ := os.Stat(p)
		if a == nil || b == nil || a.Size() != b.Size() {
			t.Fatalf("the captures differ in size: the shards would tell them apart by it")
		}
	}
	for _, n := range []int{2, 4} {
		hostsOf := func(order []string) [][]string {
			var out [][]string
			for i := range n {
				sel, err := Shard{Index: i, Count: n}.Select(order)
				if err != nil {
					t.Fatal(err)
				}
				var dirs []string
				for _, p := range sel {
					dirs = append(dirs, filepath.Base(filepath.Dir(p)))
				}
				slices.Sort(dirs)
				out = append(out, dirs)
			}
			return out
		}
		rev := slices.Clone(paths)
		slices.Reverse(rev)
		if a, b := hostsOf(paths), hostsOf(rev); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%d shards: %v in one order, %v in the other", n, a, b)
		}
	}
}
