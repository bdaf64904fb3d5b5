//go:build linux && amd64

package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/inspect"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// rotateChildEnv makes the test binary a rotating recorder to be killed:
// its value is the output path.
const rotateChildEnv = "RETRACE_TEST_ROTATE_CHILD"

// busyLoop is a command that runs programs until killed.
var busyLoop = []string{"/bin/sh", "-c", "while :; do cat /etc/hostname >/dev/null; sleep 0.01; done"}

// loopFor runs programs for about d.
func loopFor(d time.Duration) []string {
	n := int(d / (20 * time.Millisecond))
	return []string{"/bin/sh", "-c", fmt.Sprintf("i=0; while [ $i -lt %d ]; do cat /etc/hostname >/dev/null; sleep 0.02; i=$((i+1)); done", n)}
}

// rotateChild records with rotation until killed (see rotateChildEnv).
func rotateChild(out string) {
	_, err := Record(context.Background(), Options{Output: out, Snaplen: 80, OnlyCommand: true,
		RotateTime: 2 * time.Second, Command: busyLoop})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// setFile is a file of a recorded set, read back.
type readSetFile struct {
	path   string
	header *capture.Header
	events []event
	err    error // the read error that ended it (nil: io.EOF)
}

// readSet reads every file of the set in dir (names sorted), tolerating
// a truncation, which it returns.
func readSet(t *testing.T, dir string) []readSetFile {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*-??????-*.scap.zst"))
	slices.Sort(names)
	return readSetFiles(t, names)
}

// readSetFiles reads the captures names, tolerating a truncation.
func readSetFiles(t *testing.T, names []string) []readSetFile {
	t.Helper()
	var out []readSetFile
	for _, name := range names {
		f := readSetFile{path: name}
		r, err := capture.Open(name)
		var te *capture.TruncatedError
		if errors.As(err, &te) {
			f.err = err // killed before its first event
			out = append(out, f)
			continue
		}
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		for {
			ev, err := r.Next()
			if err != nil {
				if err != io.EOF {
					f.err = err
				}
				break
			}
			f.events = append(f.events, event{ts: ev.Ts(), tid: ev.Tid(), typ: ev.Type(), name: ev.Info().Name})
		}
		f.header = r.Header()
		r.Close()
		out = append(out, f)
	}
	return out
}

// TestRecordRotate records with --rotate-time and checks the set: names
// with sequence numbers and start times, every file a complete capture
// with its own snapshot (the command's processes in the later ones) and
// rotation metadata, each event in exactly one file, in time order across
// the files, and the totals.
func TestRecordRotate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rot.scap.zst")
	c := recordRun(t, Options{Output: out, OnlyCommand: true, RotateTime: 500 * time.Millisecond}, loopFor(2500*time.Millisecond)...)
	files := readSet(t, dir)
	if len(files) < 3 || len(files) != len(c.result.Files) {
		t.Fatalf("%d files on disk, %d reported (%q); want 3 or more, the same", len(files), len(c.result.Files), c.result.Files)
	}
	var set string
	var total uint64
	var lastTs uint64
	seen := map[[3]int64]bool{}
	for i, f := range files {
		if f.err != nil {
			t.Errorf("%s: %v", f.path, f.err)
		}
		if f.path != c.result.Files[i] {
			t.Errorf("file %d is %s, reported %s", i, f.path, c.result.Files[i])
		}
		m := f.header.Metadata
		if m == nil || m.Rotation == nil || m.Drops == nil {
			t.Fatalf("%s: metadata %+v lacks rotation or drops", f.path, m)
		}
		if set == "" {
			set = m.Rotation.Set
		}
		if m.Rotation.Set != set || m.Rotation.Seq != i+1 || len(set) != 32 {
			t.Errorf("%s: rotation %+v, want seq %d of set %s", f.path, m.Rotation, i+1, set)
		}
		if want := SetFileName(out, i+1, m.StartTime); f.path != want {
			t.Errorf("file %d is %s, want %s (its start time)", i, f.path, want)
		}
		if f.header.Machine == nil || len(f.header.Processes) == 0 || len(f.header.Users) == 0 {
			t.Errorf("%s: header lacks a snapshot: machine %v, %d processes, %d users", f.path, f.header.Machine, len(f.header.Processes), len(f.header.Users))
		}
		if i > 0 {
			// The command's shell is alive in every later snapshot.
			var sh bool
			for _, p := range f.header.Processes {
				sh = sh || p.Comm == "sh"
			}
			if !sh && i < len(files)-1 {
				t.Errorf("%s: the snapshot lacks the command's shell: %d processes", f.path, len(f.header.Processes))
			}
		}
		if len(f.events) == 0 {
			t.Errorf("%s: no events", f.path)
		}
		for _, e := range f.events {
			key := [3]int64{int64(e.ts), e.tid, int64(e.typ)}
			if seen[key] && e.typ != scap.ContainerJsonV2E {
				t.Errorf("%s: event %v written twice", f.path, key)
			}
			seen[key] = true
			if e.ts+uint64(200*time.Millisecond) < lastTs {
				t.Errorf("%s: event at %d before the previous file's %d", f.path, e.ts, lastTs)
			}
		}
		if n := len(f.events); n > 0 {
			lastTs = f.events[n-1].ts
		}
		total += uint64(len(f.events))
	}
	if total != c.result.Events {
		t.Errorf("%d events in the files, %d reported", total, c.result.Events)
	}

	// Replayed together (given in any order), the files are one capture.
	var execs, lines int
	var paths []string
	for _, f := range files {
		paths = append([]string{f.path}, paths...)
		for _, e := range f.events {
			if e.name == "execve" && e.typ%2 == 1 {
				execs++
			}
		}
	}
	det, err := detect.New(detect.Options{Filter: "evt.type=execve and evt.dir=<"})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := det.Run(context.Background(), paths, func(detect.Item) error { lines++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Captures) != 1 || sum.Events != total || lines != execs || execs == 0 {
		t.Errorf("replay of the set: %d captures, %d events, %d execve lines; want 1, %d, %d", len(sum.Captures), sum.Events, lines, total, execs)
	}
	reps, err := timeline.RunViews(context.Background(), paths, []string{timeline.ViewCommands}, timeline.Options{})
	if err != nil || len(reps) != 1 || len(reps[0].Captures) != 1 || len(reps[0].Detections) == 0 {
		t.Fatalf("timeline of the set: %v; want one capture with commands", err)
	}
	// The drill-down replays the set too: the last command, in the last
	// file, gets its context.
	rep := reps[0]
	last := len(rep.Detections) - 1
	rep.Detections = rep.Detections[last:]
	if _, err := timeline.Drill(context.Background(), rep, timeline.DrillOptions{}); err != nil || rep.Detections[0].Drill == nil {
		t.Errorf("drill-down of the set's last command (%s): %v, %+v", rep.Detections[0].Time, err, rep.Detections[0].Drill)
	}
	if info := sum.Captures[0]; info.File != files[0].path || !slices.ContainsFunc(info.Notes, func(n string) bool { return strings.HasPrefix(n, "rotated set of ") }) {
		t.Errorf("replay of the set: capture %s, notes %q", info.File, info.Notes)
	}
}

// TestRecordRotateKeep checks that --keep leaves the newest N files.
func TestRecordRotateKeep(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "keep.scap.zst")
	c := recordRun(t, Options{Output: out, OnlyCommand: true, RotateTime: 300 * time.Millisecond, Keep: 2}, loopFor(2*time.Second)...)
	files := readSet(t, dir)
	if len(files) != 2 || len(c.result.Files) != 2 {
		t.Fatalf("%d files (%q reported), want 2", len(files), c.result.Files)
	}
	first, last := files[0].header.Metadata.Rotation.Seq, files[1].header.Metadata.Rotation.Seq
	if first < 3 || last != first+1 {
		t.Errorf("kept seqs %d and %d, want the two newest of 4 or more", first, last)
	}
}

// TestRecordRing records into a 1 s ring for 4 s, asking for a write-out
// after about 1 s: the files written then stay, the ring keeps only the
// last second of the rest, the staging directory goes, and each file
// reads alone.
func TestRecordRing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ring.scap.zst")
	sig := make(chan os.Signal, 1)
	go func() {
		time.Sleep(1200 * time.Millisecond)
		sig <- syscall.SIGUSR1
	}()
	c := recordRun(t, Options{Output: out, OnlyCommand: true, RingDuration: time.Second, WriteOut: sig}, loopFor(4*time.Second)...)
	if _, err := os.Stat(filepath.Join(dir, "ring.ring")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging directory left: %v", err)
	}
	files := readSet(t, dir)
	if len(files) != len(c.result.Files) || len(files) < 3 {
		t.Fatalf("%d files on disk, %q reported", len(files), c.result.Files)
	}
	var seqs []int
	for _, f := range files {
		if f.err != nil {
			t.Errorf("%s: %v", f.path, f.err)
		}
		seqs = append(seqs, f.header.Metadata.Rotation.Seq)
	}
	last := files[len(files)-1].header.Metadata
	if seqs[0] != 1 {
		t.Errorf("seqs %v: the first file, written out on the signal, is missing", seqs)
	}
	if len(seqs) >= last.Rotation.Seq {
		t.Errorf("seqs %v: nothing left out of %d files", seqs, last.Rotation.Seq)
	}
	// The files after the gap span the last second and no more than
	gap := len(seqs) - 1
	for gap > 0 && seqs[gap-1] == seqs[gap]-1 {
		gap--
	}
	// the ring's second plus at most its oldest file (a file lasts a quarter
	// ring plus the time its successor's snapshot took).
	span := last.StopTime.Sub(files[gap].header.Metadata.StartTime)
	oldest := files[gap].header.Metadata.StopTime.Sub(files[gap].header.Metadata.StartTime)
	if span < time.Second || span > time.Second+oldest+100*time.Millisecond {
		t.Errorf("the ring's last files (seqs %v) span %v, want 1s to 1s plus the oldest file's %v", seqs[gap:], span, oldest)
	}
}

// TestRecordKilledDuringRotation kills a recorder that rotates every 2 s
// with SIGKILL 1.5 s into its third file: every closed file reads
// completely, the last one up to its truncation, after the events of its
// frames written by then (the writer flushes every second).
func TestRecordKilledDuringRotation(t *testing.T) {
	needBPF(t)
	probeMu.Lock()
	defer probeMu.Unlock()
	dir := t.TempDir()
	kill := startChild(t, rotateChildEnv, filepath.Join(dir, "k.scap.zst"), "3 files", func() bool {
		names, _ := filepath.Glob(filepath.Join(dir, "*.scap.zst"))
		return len(names) >= 3
	})
	time.Sleep(1500 * time.Millisecond)
	kill()
	files := readSet(t, dir)
	for i, f := range files {
		if i < len(files)-1 {
			if f.err != nil || len(f.events) == 0 || f.header.Metadata.Drops == nil {
				t.Errorf("closed file %s: %d events, %v; closing metadata %+v", f.path, len(f.events), f.err, f.header.Metadata)
			}
			continue
		}
		var te *capture.TruncatedError
		if !errors.As(f.err, &te) || len(f.events) == 0 {
			t.Errorf("the file being written, %s: %d events, %v; want events, then a truncation", f.path, len(f.events), f.err)
		}
		t.Logf("%d files; the last, %s: %d events, %v", len(files), filepath.Base(f.path), len(f.events), f.err)
	}
}

// TestRecordOutputGuards runs a recorder and checks that a second one on
// its path refuses, with and without force, and that deleting its output
// stops it with ErrOutputGone.
func TestRecordOutputGuards(t *testing.T) {
	needBPF(t)
	probeMu.Lock()
	defer probeMu.Unlock()
	out := filepath.Join(t.TempDir(), "g.scap.zst")
	done := make(chan error, 1)
	go func() {
		_, err := Record(context.Background(), Options{Output: out, Snaplen: 80, OnlyCommand: true, Command: loopFor(20 * time.Second)})
		done <- err
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(out); err == nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first recorder wrote nothing within 20s")
		}
	}
	for _, force := range []bool{false, true} {
		_, err := Record(context.Background(), Options{Output: out, Force: force, OnlyCommand: true, Command: []string{"/bin/true"}})
		want := ErrOutputExists
		if force {
			want = ErrOutputBusy
		}
		if !errors.Is(err, want) {
			t.Errorf("second recorder (force %v): %v, want %v", force, err, want)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrOutputGone) {
			t.Errorf("recorder after its output was deleted: %v, want ErrOutputGone", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the recorder did not notice its deleted output within 10s")
	}
}

// TestRecordStatus checks the counters Options.Status receives each
// second.
func TestRecordStatus(t *testing.T) {
	var got []Status
	c := recordRun(t, Options{OnlyCommand: true, Status: func(s Status) { got = append(got, s) }}, loopFor(2500*time.Millisecond)...)
	if len(got) < 2 {
		t.Fatalf("%d statuses in a 2.5 s recording, want 2 or more", len(got))
	}
	last := got[len(got)-1]
	if last.Events == 0 || last.Events > c.result.Events || last.Bytes <= 0 || last.Rate <= 0 || last.Elapsed < time.Second || last.Files != 1 {
		t.Errorf("last status %+v; the recording wrote %d events", last, c.result.Events)
	}
	if s := last.String(); !strings.HasPrefix(s, "recording ") || !strings.Contains(s, " events (") || !strings.Contains(s, " dropped, ") {
		t.Errorf("status line %q", s)
	}
}

// dropChildEnv makes the test binary a recorder that loses events (a
// 64 KiB ring, a stalled reader) and then idles until killed.
const dropChildEnv = "RETRACE_TEST_DROP_CHILD"

func dropChild(out string) {
	_, err := Record(context.Background(), Options{Output: out, Snaplen: 80, OnlyCommand: true,
		RingBytes: 64 << 10, readerStall: 50 * time.Millisecond,
		Command: []string{"/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=1 count=100000 2>/dev/null; while :; do sleep 1; done"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestRecordKilledShowsDrops kills, with SIGKILL, a recorder that lost
// events: every complete frame reads, and retrace info shows the drops
// from the drop markers, the recorder's totals never having been written.
func TestRecordKilledShowsDrops(t *testing.T) {
	needBPF(t)
	probeMu.Lock()
	defer probeMu.Unlock()
	out := filepath.Join(t.TempDir(), "dropkill.scap.zst")
	// dd's burst, then at least two flushes of the writer.
	kill := startChild(t, dropChildEnv, out, "an event frame", func() bool {
		st, err := os.Stat(out)
		return err == nil && st.Size() > 32<<10
	})
	time.Sleep(2500 * time.Millisecond)
	kill()
	files := readSetFiles(t, []string{out})
	var te *capture.TruncatedError
	if f := files[0]; !errors.As(f.err, &te) || len(f.events) == 0 {
		t.Fatalf("killed capture: %d events, %v; want events, then a truncation", len(f.events), f.err)
	}
	d, err := inspect.Describe(out, nil)
	if err != nil && d == nil {
		t.Fatal(err)
	}
	var text strings.Builder
	d.WriteText(&text)
	if !d.DropsFromMarkers || d.Drops == nil || d.Drops.Total == 0 || !strings.Contains(text.String(), "from the drop markers") {
		t.Errorf("retrace info of the killed capture does not show its drops:\n%s", text.String())
	}
}

// startChild starts the test binary as a recorder (env names its mode, out
// its output) in a process group of its own, waits up to 30 s until ready
// (what says what it waits for) and returns the function that kills the
// group with SIGKILL and waits for the child (also run at the test's end).
func startChild(t *testing.T, env, out, what string, ready func() bool) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	kill = func() {
		if !done {
			done = true
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	for deadline := time.Now().Add(30 * time.Second); !ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the recorder wrote no %s within 30s", what)
		}
	}
	return kill
}
