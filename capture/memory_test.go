package capture_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// memChildEnv names the capture a memory-measuring child reads.
const memChildEnv = "RETRACE_CAPTURE_MEM_CHILD"

// memBaseEvents is the length of the 1x capture of TestReaderMemoryFlat:
// about 12 zstd frames of 1 MiB, more than the reader's pool of frame
// buffers, so the pool is warm before the 1x file ends.
const memBaseEvents = 125_000

// memChild reads every event of path with Open and Next, as a replay does
// without its state, and prints its peak RSS and allocation totals.
func memChild(path string) {
	r, err := capture.Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var n int
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		n++
	}
	st := r.Stats()
	r.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	hwm, err := testutil.PeakRSS()
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("events=%d frames=%d hwm_kb=%d total_alloc=%d\n", n, st.Frames, hwm, ms.TotalAlloc)
}

// memUse is what a child measured.
type memUse struct {
	events, frames int
	hwmKB          int64
	totalAlloc     int64
}

// measureRead reads path in a fresh child process.
func measureRead(t *testing.T, path string) memUse {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReaderMemoryFlat$")
	cmd.Env = append(os.Environ(), memChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child reading %s: %v\n%s", path, err, out)
	}
	var m memUse
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "events=") {
			fmt.Sscanf(line, "events=%d frames=%d hwm_kb=%d total_alloc=%d", &m.events, &m.frames, &m.hwmKB, &m.totalAlloc)
		}
	}
	if m.hwmKB == 0 {
		t.Fatalf("child reading %s printed no figures:\n%s", path, out)
	}
	return m
}

// TestReaderMemoryFlat reads generated captures of 1x and 4x the length,
// in each format (and as one big zstd frame, as the zstd tool writes a
// whole file), in child processes and checks that the reader's memory
// does not follow the file's length: peak RSS (VmHWM) at 4x stays within
// 1.2x of 1x (the replay issue's bound), and the bytes allocated over the
// whole read grow by at most a small allowance per extra frame (the frame
// index entries), so per-frame garbage shows up even before it moves the
// RSS.
func TestReaderMemoryFlat(t *testing.T) {
	if path := os.Getenv(memChildEnv); path != "" {
		memChild(path)
		return
	}
	if testing.Short() {
		t.Skip("generates captures and spawns child processes")
	}
	if testutil.RaceEnabled {
		t.Skip("the race detector's shadow memory makes peak RSS meaningless")
	}
	if _, err := testutil.PeakRSS(); err != nil {
		testutil.SkipMissing(t, "no peak RSS to measure: %v", err)
	}
	dir := t.TempDir()
	formats := []struct {
		name, ext string
		oneFrame  bool // compress a plain capture into one zstd frame, as the zstd tool does
	}{
		{"scap.zst", ".scap.zst", false},
		{"scap.gz", ".scap.gz", false},
		{"scap", ".scap", false},
		{"zstd-tool", ".scap", true},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var use [2]memUse
			for i, n := range []int{memBaseEvents, 4 * memBaseEvents} {
				path := filepath.Join(dir, fmt.Sprintf("x%d%s", i, f.ext))
				if _, err := capgen.WriteFile(path, capgen.Options{Events: n, Seed: 1}); err != nil {
					t.Fatal(err)
				}
				if f.oneFrame {
					path = oneZstdFrame(t, path)
				}
				// The lower of two runs: the peak depends a little on when
				// the garbage collector runs.
				use[i] = measureRead(t, path)
				if again := measureRead(t, path); again.hwmKB < use[i].hwmKB {
					use[i] = again
				}
				os.Remove(path)
			}
			one, four := use[0], use[1]
			t.Logf("1x: %d events, %d frames, peak RSS %d kB, %d bytes allocated; 4x: %d events, %d frames, peak RSS %d kB, %d bytes allocated (RSS ratio %.3f)",
				one.events, one.frames, one.hwmKB, one.totalAlloc, four.events, four.frames, four.hwmKB, four.totalAlloc,
				float64(four.hwmKB)/float64(one.hwmKB))
			if four.events < 4*one.events*9/10 {
				t.Fatalf("the 4x capture has %d events, the 1x %d", four.events, one.events)
			}
			if float64(four.hwmKB) > 1.2*float64(one.hwmKB) {
				t.Errorf("peak RSS grows with the file: %d kB at 4x vs %d kB at 1x", four.hwmKB, one.hwmKB)
			}
			// 256 KiB for noise (the runtime's own allocations) plus 2 KiB
			// per extra frame; the frame index costs 80 bytes per frame.
			allow := int64(256<<10 + 2<<10*(four.frames-one.frames))
			if grown := four.totalAlloc - one.totalAlloc; grown > allow {
				t.Errorf("allocations grow with the file: %d bytes at 4x vs %d at 1x (%d more, allowed %d)",
					four.totalAlloc, one.totalAlloc, grown, allow)
			}
		})
	}
}

// oneZstdFrame compresses the file at path into a single zstd frame with a
// 2 MiB window and its content size, as `zstd FILE` writes it, and returns
// the new file's path.
func oneZstdFrame(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithWindowSize(2<<20), zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	out := enc.EncodeAll(raw, nil)
	enc.Close()
	os.Remove(path)
	path += ".zst"
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
