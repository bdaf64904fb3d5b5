package export

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
)

// attacks returns the attack corpus's captures.
func attacks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no captures in testdata/attacks: %v", err)
	}
	return paths
}

// builtinDetector returns a detector of the built-in rules with workers
// workers, and its registry.
func builtinDetector(tb testing.TB, workers int) (*detect.Detector, *engine.FieldTable) {
	tb.Helper()
	reg := replay.NewFieldRegistry()
	set, err := detect.LoadRules(nil, reg)
	if err != nil {
		tb.Fatal(err)
	}
	det, err := detect.New(detect.Options{Registry: reg, Rules: set, Workers: workers})
	if err != nil {
		tb.Fatal(err)
	}
	return det, reg
}

// exportTo exports paths into dir with the built-in rules.
func exportTo(t *testing.T, paths []string, dir string, workers int) (Summary, error) {
	t.Helper()
	det, reg := builtinDetector(t, workers)
	return Run(context.Background(), paths, Options{Detector: det, Registry: reg, Dir: dir, Workers: workers, Version: "test"})
}

// TestExportAttacks exports the attack corpus and compares the files
// written and the rows per class with testdata/attacks.golden; a second
// export, with one worker, gives the same bytes.
func TestExportAttacks(t *testing.T) {
	paths := attacks(t)
	a, b := t.TempDir(), t.TempDir()
	sum, err := exportTo(t, paths, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, c := range sum.Captures {
		var files []string
		for _, f := range c.Files {
			rel, _ := filepath.Rel(a, f)
			files = append(files, filepath.ToSlash(rel))
		}
		var rows []string
		for _, cl := range Classes {
			rows = append(rows, fmt.Sprintf("%s=%d", cl.Partition, c.Rows[cl.UID]))
		}
		lines = append(lines, fmt.Sprintf("%s: %s\n  %s", filepath.Base(paths[i]), strings.Join(rows, " "), strings.Join(files, "\n  ")))
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "attacks.golden")
	want := testutil.Golden(t, golden, []byte(got))
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("export of testdata/attacks differs from %s (-want +got; -update rewrites it):\n%s", golden, diff)
	}

	if _, err := exportTo(t, paths, b, 1); err != nil {
		t.Fatal(err)
	}
	ta, tb := testutil.FileTree(t, a), testutil.FileTree(t, b)
	if len(ta) == 0 || !maps2Equal(ta, tb) {
		t.Errorf("two exports of the same captures differ: %d and %d files", len(ta), len(tb))
	}
	for name := range ta {
		if strings.Contains(name, ".tmp-") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}

// maps2Equal reports whether two file trees are byte for byte equal.
func maps2Equal(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// TestExportBadInput checks that a capture that cannot be read is reported
// by name and cause, leaves no files, and does not stop the others; and
// that two inputs of the same name are refused before anything is written.
func TestExportBadInput(t *testing.T) {
	good := attacks(t)[0]
	dir := t.TempDir()
	bad := filepath.Join(dir, "garbage.scap.zst")
	if err := os.WriteFile(bad, []byte("this is not a capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.scap")
	out := t.TempDir()
	sum, err := exportTo(t, []string{bad, good, missing}, out, 2)
	for _, want := range []string{"garbage.scap.zst", "missing.scap"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one naming %s", err, want)
		}
	}
	if len(sum.Captures) != 3 || len(sum.Captures[1].Files) == 0 || sum.Captures[0].Files != nil {
		t.Fatalf("results %+v: want the good capture's files only", sum.Captures)
	}
	for name := range testutil.FileTree(t, out) {
		if strings.Contains(name, "garbage") || strings.Contains(name, "missing") {
			t.Errorf("file %s written for a capture that failed", name)
		}
	}

	twin := filepath.Join(dir, filepath.Base(good))
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(twin, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out2 := t.TempDir()
	if _, err := exportTo(t, []string{good, twin}, out2, 1); err == nil || !strings.Contains(err.Error(), "rename one") {
		t.Errorf("error %v, want the duplicate name refused", err)
	}
	if n := len(testutil.FileTree(t, out2)); n != 0 {
		t.Errorf("%d files written despite the duplicate names", n)
	}
}

// TestShard checks the shard assignment: every input in exactly one
// shard, the same answer whatever the directories or the order of the
// inputs, and the parse errors.
func TestShard(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	var paths, moved []string
	for i := range 13 {
		name := fmt.Sprintf("host%02d.scap.zst", i)
		for _, d := range []string{dir, other} {
			if err := os.WriteFile(filepath.Join(d, name), bytes.Repeat([]byte{1}, (i*7919)%1000), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		paths = append(paths, filepath.Join(dir, name))
		moved = append(moved, filepath.Join(other, name))
	}
	slices.Reverse(moved)
	for _, n := range []int{1, 2, 3, 5, 20} {
		t.Run(fmt.Sprint(n, " shards"), func(t *testing.T) {
			seen := map[string]int{}
			for i := range n {
				s := Shard{Index: i, Count: n}
				a, err := s.Select(paths)
				if err != nil {
					t.Fatal(err)
				}
				b, err := s.Select(moved)
				if err != nil {
					t.Fatal(err)
				}
				var na, nb []string
				for _, p := range a {
					na = append(na, Stem(p))
				}
				for _, p := range b {
					nb = append(nb, Stem(p))
				}
				slices.Sort(na)
				slices.Sort(nb)
				if diff := cmp.Diff(na, nb); diff != "" {
					t.Errorf("shard %d/%d depends on directories or order (-a +b):\n%s", i, n, diff)
				}
				for _, name := range na {
					seen[name]++
				}
			}
			for _, p := range paths {
				if seen[Stem(p)] != 1 {
					t.Errorf("%s is in %d shards", p, seen[Stem(p)])
				}
			}
		})
	}
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/4", Shard{3, 4}, ""},
		{"4/4", Shard{}, "0 <= I < N"},
		{"-1/4", Shard{}, "0 <= I < N"},
		{"1/0", Shard{}, "0 <= I < N"},
		{"1", Shard{}, "want I/N"},
		{"a/b", Shard{}, "want I/N"},
	} {
		t.Run("parse "+tc.in, func(t *testing.T) {
			got, err := ParseShard(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestPartitionValue checks the escaping of host names in paths.
func TestPartitionValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"web-1.example.com", "web-1.example.com"},
		{"", "__HIVE_DEFAULT_PARTITION__"},
		{"a/b=c d", "a%2Fb%3Dc%20d"},
		{"café-1", "café-1"},
		{"日本-1", "日本-1"},
		{"a\xffb", "a%FFb"},
		{"zero\u200bwidth", "zero%E2%80%8Bwidth"},
		{"__HIVE_DEFAULT_PARTITION__", "%5F_HIVE_DEFAULT_PARTITION__"},
		{"x__HIVE_DEFAULT_PARTITION__", "x__HIVE_DEFAULT_PARTITION__"},
	} {
		if got := partitionValue(tc.in); got != tc.want {
			t.Errorf("partitionValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// exportBoth exports paths twice, describing each thread's process once
// per process generation and anew on every row, and fails when the files
// differ.
func exportBoth(t *testing.T, paths []string) {
	t.Helper()
	det, reg := builtinDetector(t, 1)
	dirs := [2]string{t.TempDir(), t.TempDir()}
	for i, fresh := range []bool{false, true} {
		// An error (a truncated capture) must be the same both ways too.
		_, err := Run(context.Background(), paths, Options{Detector: det, Registry: reg, Dir: dirs[i], Workers: 1, fresh: fresh})
		t.Logf("fresh=%v: %v", fresh, err)
	}
	memo, fresh := testutil.FileTree(t, dirs[0]), testutil.FileTree(t, dirs[1])
	if len(memo) == 0 {
		t.Fatal("nothing exported")
	}
	for name, b := range fresh {
		if !bytes.Equal(memo[name], b) {
			t.Errorf("%s differs when each row's process is described anew", name)
		}
	}
	if len(memo) != len(fresh) {
		t.Errorf("%d files with the memo, %d without", len(memo), len(fresh))
	}
}

// TestProcessMemoMatchesFreshDescriptions checks the process memo (one
// description per thread and process generation) against describing
// every row anew, over the committed recordings and generated captures.
func TestProcessMemoMatchesFreshDescriptions(t *testing.T) {
	var paths []string
	for _, dir := range []string{"attacks", "benign", "incident"} {
		m, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", dir, "*.scap.zst"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no captures in testdata/%s: %v", dir, err)
		}
		paths = append(paths, m...)
	}
	paths = append(paths, genCaptures(t, 3, 20000)...)
	exportBoth(t, paths)
}

// TestProcessMemoMatchesFreshDescriptionsShared does the same over the
// shared sysdig and Falco captures.
func TestProcessMemoMatchesFreshDescriptionsShared(t *testing.T) {
	exportBoth(t, testutil.Captures(t))
}

// TestStatistics checks the statistics docs/EXPORT.md promises: minimum
// and maximum for numbers and times, null counts only for text.
func TestStatistics(t *testing.T) {
	dir := t.TempDir()
	if _, err := exportTo(t, attacks(t)[:3], dir, 1); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "class=*", "*", "*", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files: %v", err)
	}
	for _, path := range files {
		pf := openParquet(t, path)
		for _, rg := range pf.Metadata().RowGroups {
			for _, c := range rg.Columns {
				md := c.MetaData
				name := strings.Join(md.PathInSchema, ".")
				hasBounds := md.Statistics.MinValue != nil || md.Statistics.MaxValue != nil
				switch {
				case md.Type.String() == "BYTE_ARRAY" && hasBounds:
					t.Errorf("%s: text column %s has bounds", path, name)
				case name == "time" && !hasBounds:
					t.Errorf("%s: time has no bounds", path)
				}
			}
		}
	}
}

// damagedCopy writes damage(the bytes of the capture at src) into dir
// under the same name and returns its path.
func damagedCopy(t *testing.T, src, dir string, damage func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(path, damage(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExportDamaged checks that a capture read in part (cut short, or
// with a damaged frame) keeps the rows of the events read (every detection
// replay finds in it), that its error names the file and where it broke,
// that each of its files says so in its key-value metadata, and that the
// files do not depend on the capture's directory; the files of a whole
// capture exported next by the same worker carry no such key.
func TestExportDamaged(t *testing.T) {
	src := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "escape-container.scap.zst")
	det, reg := builtinDetector(t, 1)
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
		// where is in what the error says of where it broke.
		where string
	}{
		{"cut at 85%", func(b []byte) []byte { return b[:len(b)*85/100] }, "truncated at offset"},
		{"damaged frame in the middle", func(b []byte) []byte {
			b = bytes.Clone(b)
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				b[i] ^= 0x55
			}
			return b
		}, "events recovered around 1 damaged place: frame 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := damagedCopy(t, src, t.TempDir(), tc.damage)
			var detections int64
			_, replayErr := det.Run(context.Background(), []string{bad}, func(it detect.Item) error {
				if it.Detection != nil {
					detections++
				}
				return nil
			})
			if replayErr == nil || !strings.HasPrefix(replayErr.Error(), bad+": ") || !strings.Contains(replayErr.Error(), tc.where) || detections == 0 {
				t.Fatalf("replay of the damaged capture: %d detections, error %v; want detections and %q", detections, replayErr, tc.where)
			}
			where := strings.TrimPrefix(replayErr.Error(), bad+": ")

			dirs := []string{t.TempDir(), t.TempDir()}
			for i, dir := range dirs {
				in := bad
				if i == 1 {
					in = damagedCopy(t, src, t.TempDir(), tc.damage) // the same bytes elsewhere
				}
				sum, err := Run(context.Background(), []string{in}, Options{Detector: det, Registry: reg, Dir: dir, Workers: 1, Version: "test"})
				if err == nil || !strings.Contains(err.Error(), in+": "+where) || !strings.Contains(err.Error(), "read in part") {
					t.Errorf("error %v, want one naming %s, where it broke and that it was read in part", err, in)
				}
				c := sum.Captures[0]
				if !c.Partial || len(c.Files) == 0 || c.Info.Events == 0 {
					t.Fatalf("result %+v: want the capture read in part, with files", c)
				}
				if got := c.Rows[ClassDetectionFinding]; got != detections {
					t.Errorf("%d Detection Finding rows, replay found %d", got, detections)
				}
				for _, f := range c.Files {
					if v, ok := openParquet(t, f).Lookup("retrace.export.incomplete"); !ok || v != where {
						t.Errorf("%s: retrace.export.incomplete = %q, %v; want %q", f, v, ok, where)
					}
				}
			}
			if a, b := testutil.FileTree(t, dirs[0]), testutil.FileTree(t, dirs[1]); len(a) == 0 || !maps2Equal(a, b) {
				t.Errorf("the same damaged capture in two directories gives different files (%d and %d)", len(a), len(b))
			}

			// The whole capture after it, by the same worker (and its writers).
			whole := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "clear-logs.scap.zst")
			sum, err := exportTo(t, []string{bad, whole}, t.TempDir(), 1)
			if err == nil || !sum.Captures[0].Partial || sum.Captures[1].Err != nil || len(sum.Captures[1].Files) == 0 {
				t.Fatalf("damaged and whole capture: %v; results %+v", err, sum.Captures)
			}
			for _, f := range sum.Captures[1].Files {
				if v, ok := openParquet(t, f).Lookup("retrace.export.incomplete"); ok {
					t.Errorf("%s of a whole capture says it is incomplete: %q", f, v)
				}
			}
		})
	}
}

// TestReexportReplaces exports captures, then exports them again into the
// same directory with other options (a clock offset moving their day
// partitions, rules without detections), and checks that the directory
// then holds exactly what a fresh export with those options writes, plus
// the files the captures do not own: another capture's, and one named
// after a capture but in another host's partition.
func TestReexportReplaces(t *testing.T) {
	paths := attacks(t)[:3] // host vm
	foreign := map[string][]byte{
		"class=file_activity/host=vm/day=2026-12-05/other-capture.parquet":                 []byte("other"),
		"class=file_activity/host=elsewhere/day=2026-12-05/" + Stem(paths[0]) + ".parquet": []byte("other host"),
	}
	noRules := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(noRules, []byte("- rule: Never\n  desc: never\n  condition: proc.name = no-such-process\n  output: never\n  priority: NOTICE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(dir string, clock detect.ClockOffsets, rules []string) Summary {
		t.Helper()
		reg := replay.NewFieldRegistry()
		set, err := detect.LoadRules(rules, reg)
		if err != nil {
			t.Fatal(err)
		}
		det, err := detect.New(detect.Options{Registry: reg, Rules: set, Workers: 2, Scope: detect.Scope{Clock: clock}})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := Run(context.Background(), paths, Options{Detector: det, Registry: reg, Dir: dir, Workers: 2, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	for _, tc := range []struct {
		name  string
		clock detect.ClockOffsets
		rules []string
	}{
		{"clock offset", detect.ClockOffsets{"vm": 48 * time.Hour}, nil},
		{"rules", nil, []string{noRules}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := t.TempDir()
			for name, b := range foreign {
				p := filepath.Join(lake, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run(lake, nil, nil)
			run(lake, tc.clock, tc.rules)
			fresh := t.TempDir()
			run(fresh, tc.clock, tc.rules)
			want := testutil.FileTree(t, fresh)
			for name, b := range foreign {
				want[name] = b
			}
			got := testutil.FileTree(t, lake)
			var extra, missing []string
			for name := range got {
				if _, ok := want[name]; !ok {
					extra = append(extra, name)
				}
			}
			for name, b := range want {
				if g, ok := got[name]; !ok || !bytes.Equal(g, b) {
					missing = append(missing, name)
				}
			}
			if len(extra)+len(missing) > 0 {
				t.Errorf("the re-export left files of the first: %q; lacks or differs from a fresh export: %q", extra, missing)
			}
		})
	}
}
