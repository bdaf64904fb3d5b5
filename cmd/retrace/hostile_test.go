package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/hostile"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// Limits of every case of the hostile corpus (issue 13's acceptance): CPU
// time (user and system, so that a loaded machine does not fail a case)
// and peak RSS. A case that is still running after hostileHang of wall
// time hangs, and is killed.
const (
	hostileCPU    = 10 * time.Second
	hostileRSSKiB = 512 << 10
	hostileHang   = 2 * time.Minute
)

// hostileCase is one crafted input of the hostile corpus and the retrace
// command that reads it.
type hostileCase struct {
	name string
	file string                  // name of the input in the corpus directory
	gen  func(p string) error    // writes the input at p
	args func(p string) []string // the retrace command line
	// want is a text the command's output must hold; with fail set the
	// command must exit non-zero, otherwise zero.
	want string
	fail bool
}

// replayArgs replays a capture with the built-in rules.
func replayArgs(p string) []string { return []string{"replay", "-q", p} }

// ruleFile returns a generator writing the rules file data.
func ruleFile(data func() []byte) func(string) error {
	return func(p string) error { return os.WriteFile(p, data(), 0o644) }
}

// validateArgs validates a rules file.
func validateArgs(p string) []string { return []string{"rules", "validate", "-q", p} }

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }

// hostileCases are the crafted captures and rules files of issue 13, at
// the sizes it measured where they fit the limits.
var hostileCases = []hostileCase{
	// Decompression bombs: 2 GiB of unknown blocks in 250 KB.
	{name: "header blocks zst", file: "header.scap.zst", gen: func(p string) error { return hostile.UnknownBlocks(p, 128, 16<<20, true) }, args: replayArgs},
	{name: "event blocks zst", file: "events.scap.zst", gen: func(p string) error { return hostile.UnknownBlocks(p, 128, 16<<20, false) }, args: replayArgs},
	{name: "header blocks gz", file: "header.scap.gz", gen: func(p string) error { return hostile.UnknownBlocks(p, 32, 16<<20, true) }, args: replayArgs},
	{name: "event blocks gz", file: "events.scap.gz", gen: func(p string) error { return hostile.UnknownBlocks(p, 32, 16<<20, false) }, args: replayArgs},
	{name: "header blocks zstd stream", file: "stream.scap.zst", gen: func(p string) error { return hostile.UnknownBlocksStream(p, 64, 16<<20) }, args: replayArgs},
	{name: "64 MiB frames", file: "bigframes.scap.zst", gen: func(p string) error { return hostile.BigFrames(p, 24) }, args: replayArgs},
	{name: "ultra window", file: "ultra.scap.zst", gen: func(p string) error { return hostile.UltraWindow(p, 128<<20) }, args: replayArgs,
		want: "ultra.scap.zst: zstd window of 128 MiB at offset 0 is larger than the 64 MiB limit", fail: true},
	{name: "garbage footer", file: "garbage.scap.zst", gen: hostile.GarbageFooter, args: replayArgs,
		want: ": footer counts 18446744073709551615 events, the frames hold 2004", fail: true},
	// State bookkeeping.
	{name: "50000 exiting processes", file: "exits.scap.zst", gen: func(p string) error { return hostile.ExitingProcesses(p, 50000) }, args: replayArgs},
	{name: "50000 process snapshot", file: "snapshot.scap.zst", gen: func(p string) error { return hostile.Snapshot(p, 50000) }, args: replayArgs},
	{name: "20000 idle threads", file: "idle.scap.zst", gen: func(p string) error { return hostile.IdleThreads(p, 20000, 20000) }, args: replayArgs},
	{name: "fd flood", file: "fds.scap.zst", gen: func(p string) error { return hostile.FDFlood(p, 2_000_000) }, args: replayArgs,
		want: "fds not tracked: more than 1048576 open fds of one process"},
	{name: "container metadata flood", file: "containers.scap.zst", gen: func(p string) error { return hostile.ContainerFlood(p, 8, 6<<20) }, args: replayArgs,
		want: "container metadata frames not read: each is bounded to 1048576 bytes"},
	// A recorder killed by SIGKILL: no closing metadata, drops in the markers.
	{name: "killed recorder with drops", file: "killed.scap.zst", gen: func(p string) error { return hostile.DropMarkers(p, []uint32{120000, 120015}, false) },
		args: func(p string) []string { return []string{"info", p} }, want: "drops:       240015 events lost at 2 drop markers", fail: true},
	// Not captures.
	{name: "capture fifo", file: "fifo.scap", gen: mkfifo, args: replayArgs, want: "fifo.scap: not a capture: a named pipe (FIFO)", fail: true},
	{name: "text file", file: "notes.scap", gen: ruleFile(func() []byte { return []byte("not a capture\n") }), args: replayArgs,
		want: "notes.scap: not a capture: a text file", fail: true},
	{name: "empty file", file: "empty.scap.zst", gen: ruleFile(func() []byte { return nil }), args: replayArgs,
		want: "empty.scap.zst: not a capture: an empty file", fail: true},
	// Rules files.
	{name: "20000 list references", file: "refs.yaml", gen: ruleFile(func() []byte { return hostile.ListReferences(20000) }), args: validateArgs},
	{name: "20000 appends", file: "appends.yaml", gen: ruleFile(func() []byte { return hostile.Appends(20000) }), args: validateArgs},
	{name: "200000 exception values", file: "exceptions.yaml", gen: ruleFile(func() []byte { return hostile.ExceptionValues(200000) }), args: validateArgs},
	{name: "20000 exception tuples", file: "tuples.yaml", gen: ruleFile(func() []byte { return hostile.ExceptionTuples(20000) }), args: validateArgs},
	{name: "200000 output fields", file: "outputs.yaml", gen: ruleFile(func() []byte { return hostile.OutputFields(200000) }), args: validateArgs},
	{name: "shared macros shown", file: "macros.yaml", gen: ruleFile(func() []byte { return hostile.SharedMacros(18) }),
		args: func(p string) []string { return []string{"rules", "show", "Shared macros", p} }},
	{name: "list over the file bound", file: "large.yaml", gen: ruleFile(func() []byte { return hostile.LargeList("large", rules.MaxFileSize+1) }), args: validateArgs,
		want: "allowed per file", fail: true},
	{name: "rules fifo", file: "fifo.yaml", gen: mkfifo, args: validateArgs, want: "not a rules file: a named pipe (FIFO)", fail: true},
}

// TestHostileCorpus generates every crafted input of the hostile corpus
// and runs retrace on each in a child process, requiring the clear error
// or the success the case names within 10 s of CPU time and 512 MiB of
// peak RSS.
func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the hostile corpus and runs retrace on each input")
	}
	if testutil.RaceEnabled {
		t.Skip("the race detector's shadow memory and slowdown make the limits meaningless")
	}
	if name, p, ok := strings.Cut(os.Getenv(hostileGenEnv), "|"); ok {
		generateHostile(name, p)
		return
	}
	dir := t.TempDir()
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			// A child generates the input, so that this process stays
			// small while the corpus's large inputs are made.
			gen := exec.Command(os.Args[0], "-test.run=^TestHostileCorpus$")
			gen.Env = append(os.Environ(), hostileGenEnv+"="+tc.name+"|"+p)
			if out, err := gen.CombinedOutput(); err != nil {
				t.Fatalf("generate %s: %v\n%s", tc.file, err, out)
			}
			defer os.Remove(p)
			res := runLimited(t, hostileHang, tc.args(p))
			t.Logf("%s: exit %d, %v CPU, %v wall, peak RSS %d MiB", tc.file, res.code, res.cpu.Round(time.Millisecond),
				res.wall.Round(time.Millisecond), res.rssKiB>>10)
			if res.hung {
				t.Fatalf("retrace %s still ran after %v: killed\n%s", strings.Join(tc.args(p), " "), hostileHang, res.out)
			}
			if res.cpu > hostileCPU {
				t.Errorf("%v of CPU time, more than %v", res.cpu, hostileCPU)
			}
			if res.rssKiB > hostileRSSKiB {
				t.Errorf("peak RSS %d MiB, more than %d MiB", res.rssKiB>>10, hostileRSSKiB>>10)
			}
			if tc.fail != (res.code != 0) {
				t.Errorf("exit %d, want failure %v\n%s", res.code, tc.fail, res.out)
			}
			if !strings.Contains(res.out, tc.want) {
				t.Errorf("output does not hold %q:\n%s", tc.want, res.out)
			}
		})
	}
}

// hostileGenEnv, set to a case name and a path joined by "|", makes
// TestHostileCorpus generate that case's input at the path and exit.
const hostileGenEnv = "RETRACE_HOSTILE_GENERATE"

// generateHostile writes the input of the case called name at p.
func generateHostile(name, p string) {
	for _, tc := range hostileCases {
		if tc.name == name {
			if err := tc.gen(p); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "no hostile case %q\n", name)
	os.Exit(1)
}

// limitedRun is what a child process used.
type limitedRun struct {
	code      int
	cpu, wall time.Duration
	rssKiB    int64
	hung      bool
	out       string
}

// runLimited runs `retrace ARGS` in a child process (see retraceChild),
// killing it after hang of wall time (0: never), and measures it. The
// peak RSS is the child's own, as it reports it (testutil.MeasurePeakRSS);
// 0 when it was killed.
func runLimited(t testing.TB, hang time.Duration, args []string) limitedRun {
	t.Helper()
	cmd := retraceChild(args...)
	peak := testutil.MeasurePeakRSS(t, cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var hung atomic.Bool
	if hang > 0 {
		timer := time.AfterFunc(hang, func() { hung.Store(true); cmd.Process.Kill() })
		defer timer.Stop()
	}
	err := cmd.Wait()
	res := limitedRun{wall: time.Since(start), hung: hung.Load(), out: out.String()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("retrace %s: %v", strings.Join(args, " "), err)
	}
	res.code = cmd.ProcessState.ExitCode()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if !res.hung {
		res.rssKiB = peak()
	}
	return res
}

// TestHostileCaseNames keeps the corpus's file names apart, so that no
// case reads another's input.
func TestHostileCaseNames(t *testing.T) {
	seen := map[string]string{}
	for _, tc := range hostileCases {
		if other, ok := seen[tc.file]; ok {
			t.Errorf("cases %q and %q share %s", other, tc.name, tc.file)
		}
		seen[tc.file] = tc.name
	}
}
