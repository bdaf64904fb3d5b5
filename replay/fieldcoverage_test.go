package replay

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// noValueOffline lists the rule fields that cannot have a value on any
// capture replayed offline, each with the docs/COMPATIBILITY.md row that
// says why. TestRuleFieldCoverage fails when one of them gets a value (the
// entry is then stale) or when its row is missing.
var noValueOffline = map[string]string{
	"fd.cip.name": "REPLAY-DNS-NAMES",
	"fd.lip.name": "REPLAY-DNS-NAMES",
	"fd.rip.name": "REPLAY-DNS-NAMES",
	"fd.sip.name": "REPLAY-DNS-NAMES",
}

// fieldExpectation states the value a field sysdig 0.29.3 cannot print
// (unknown to it, filter-only, or a list) must have on at least one event
// of a committed capture: the events of capture matching filter are
// extracted and check must accept one of them.
type fieldExpectation struct {
	capture string // base name under testdata/
	filter  string // retrace filter selecting the events looked at
	check   func(e *Event, typ engine.FieldType, vals []engine.Value) error
}

// wantText accepts values that render as want (sysdig's -p rendering).
func wantText(want string) func(*Event, engine.FieldType, []engine.Value) error {
	return func(e *Event, typ engine.FieldType, vals []engine.Value) error {
		if got := renderValues(typ, vals); got != want {
			return fmt.Errorf("got %q, want %q", got, want)
		}
		return nil
	}
}

// wantSuffix accepts values whose rendering ends with want.
func wantSuffix(want string) func(*Event, engine.FieldType, []engine.Value) error {
	return func(e *Event, typ engine.FieldType, vals []engine.Value) error {
		if got := renderValues(typ, vals); !strings.HasSuffix(got, want) {
			return fmt.Errorf("got %q, want it to end with %q", got, want)
		}
		return nil
	}
}

// wantContains accepts a list value holding want among its elements.
func wantContains(want string) func(*Event, engine.FieldType, []engine.Value) error {
	return func(e *Event, _ engine.FieldType, vals []engine.Value) error {
		var got []string
		for _, v := range vals {
			got = append(got, string(v.Bytes))
		}
		if !slices.Contains(got, want) {
			return fmt.Errorf("got %q, want an element %q", got, want)
		}
		return nil
	}
}

// wantNear accepts a single time value at most maxAgo before the event
// and not after it (inode times of an executable written moments before).
func wantNear(maxAgo uint64) func(*Event, engine.FieldType, []engine.Value) error {
	return func(e *Event, _ engine.FieldType, vals []engine.Value) error {
		if len(vals) != 1 {
			return fmt.Errorf("got %d values, want 1", len(vals))
		}
		ts := e.Ev.Ts()
		if v := vals[0].Num; v > ts || ts-v > maxAgo {
			return fmt.Errorf("got %d, want within %d ns before the event at %d", v, maxAgo, ts)
		}
		return nil
	}
}

// wantBetween accepts a single number in [lo, hi].
func wantBetween(lo, hi uint64) func(*Event, engine.FieldType, []engine.Value) error {
	return func(e *Event, _ engine.FieldType, vals []engine.Value) error {
		if len(vals) != 1 || vals[0].Num < lo || vals[0].Num > hi {
			return fmt.Errorf("got %v, want one number in [%d, %d]", vals, lo, hi)
		}
		return nil
	}
}

// wantAny accepts any non-missing value: for filter-only fields, whose
// filter (the event selector) already states the value.
func wantAny(*Event, engine.FieldType, []engine.Value) error { return nil }

// allCaps is the capability list of a root process on the recording host.
const allCaps = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"

// droppedTrue selects the exec of file-ops.sh's freshly written binary.
const droppedTrue = "evt.type=execve and evt.dir=< and proc.exepath=/tmp/retrace-fileops/true"

// fieldExpectations are the expected values of the rule fields sysdig
// 0.29.3 cannot print, from what the scenarios under
// testdata/attacks/scenarios did.
var fieldExpectations = map[string]fieldExpectation{
	// file-ops.sh: bash ran /tmp/retrace-fileops/true, written (cat) and
	// chmod-ed a few milliseconds before, under `retrace record -- bash`.
	"proc.exe_ino.ctime_duration_proc_start": {"attacks/file-ops.scap.zst", droppedTrue, wantBetween(1, 1e9)},
	"proc.exe_ino.ctime":                     {"attacks/file-ops.scap.zst", droppedTrue, wantNear(1e9)},
	"proc.exe_ino.mtime":                     {"attacks/file-ops.scap.zst", droppedTrue, wantNear(1e9)},
	"proc.exe_ino":                           {"attacks/file-ops.scap.zst", droppedTrue, wantBetween(1, math.MaxUint64)},
	"proc.pexe":                              {"attacks/file-ops.scap.zst", droppedTrue, wantText("bash")},
	"proc.pexepath":                          {"attacks/file-ops.scap.zst", droppedTrue, wantText("/usr/bin/bash")},
	// The recorder, from the checkout it ran in (testdata/attacks/README.md).
	"proc.aexe[2]":           {"attacks/file-ops.scap.zst", droppedTrue, wantSuffix("/bin/retrace")},
	"proc.aexepath[2]":       {"attacks/file-ops.scap.zst", droppedTrue, wantSuffix("/bin/retrace")},
	"proc.aname":             {"attacks/file-ops.scap.zst", droppedTrue, wantContains("retrace")},
	"proc.is_exe_from_memfd": {"attacks/file-ops.scap.zst", droppedTrue, wantText("false")},
	"thread.cap_effective":   {"attacks/file-ops.scap.zst", droppedTrue, wantText(allCaps)},
	"thread.cap_permitted":   {"attacks/file-ops.scap.zst", droppedTrue, wantText(allCaps)},
	"fd.nameraw": {"attacks/file-ops.scap.zst", "evt.type=openat and evt.dir=< and fd.name=/etc/ld.so.cache",
		wantText("/etc/ld.so.cache")},
	// drop-and-exec-container.sh: /tmp/dropped, copied into the
	// container's overlay upper layer, runs as the session leader of its
	// podman exec.
	"proc.is_exe_upper_layer": {"attacks/drop-and-exec-container.scap.zst", "evt.type=execve and evt.dir=< and proc.exepath=/tmp/dropped",
		wantText("true")},
	"proc.is_vpgid_leader": {"attacks/container-mounts.scap.zst", "evt.type=execve and evt.dir=< and proc.name=cat and container.name=retrace-mounts",
		wantText("true")},
	// container-mounts.sh: the container's JSON says created_time
	// 1796457295 (seconds) and names it retrace-mounts.
	"container.start_ts": {"attacks/container-mounts.scap.zst", "container.name=retrace-mounts",
		wantText("1796457295000000000")},
	"container.info": {"attacks/container-mounts.scap.zst", "evt.type=execve and evt.dir=< and proc.name=cat",
		wantText("retrace-mounts (id=2b9b0f522df9)")},
	// Filter-only fields: the filter states the value.
	"fd.port": {"attacks/reverse-shell.scap.zst", "fd.port=44444", wantAny},
	"fd.ip":   {"attacks/reverse-shell.scap.zst", "fd.ip=127.0.0.1", wantAny},
	"fd.net":  {"attacks/reverse-shell.scap.zst", "fd.net=127.0.0.0/8", wantAny},
	"fd.cnet": {"attacks/reverse-shell.scap.zst", "fd.cnet=127.0.0.0/8", wantAny},
	"fd.snet": {"attacks/reverse-shell.scap.zst", "fd.snet=127.0.0.0/8", wantAny},
	"fd.rnet": {"attacks/reverse-shell.scap.zst", "fd.rnet=127.0.0.0/8", wantAny},
}

// committedCaptures returns the captures committed under testdata/ (attack,
// benign and demo recordings), then the shared ones.
func committedCaptures(t *testing.T) []string {
	t.Helper()
	var caps []string
	for _, dir := range []string{"attacks", "benign", "demo"} {
		m, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", dir, "*.scap.zst"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no captures in testdata/%s", dir)
		}
		caps = append(caps, m...)
	}
	return append(caps, testutil.Captures(t)...)
}

// plainCapture returns path decompressed into dir when it is a .zst file,
// for sysdig, which reads plain captures only.
func plainCapture(t *testing.T, path, dir string) string {
	t.Helper()
	if !strings.HasSuffix(path, ".zst") {
		return path
	}
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dec, err := zstd.NewReader(in)
	if err != nil {
		t.Fatalf("decompress %s: %v", path, err)
	}
	defer dec.Close()
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), ".zst"))
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, dec); err != nil {
		t.Fatalf("decompress %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sysdigChunk is how many fields one sysdig run prints (sysdig cuts long
// output lines).
const sysdigChunk = 24

// TestRuleFieldCoverage lists every field the upstream rule files use and
// requires each to have a value on at least one event of the committed
// and shared captures that agrees with sysdig 0.29.3's -p output for the
// same event, or, for the fields sysdig cannot print, the value
// fieldExpectations states. Only the fields in noValueOffline, each tied
// to a documented COMPATIBILITY.md row, may have no value anywhere.
func TestRuleFieldCoverage(t *testing.T) {
	sysdig := testutil.NeedTool(t, "sysdig")
	refs := ruleFieldRefs(t)
	reg := NewFieldRegistry()
	known := sysdigFieldList(t, sysdig)

	var bySysdig []string
	for _, r := range refs {
		info, _, err := engine.ResolveField(reg, r)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		_, expected := fieldExpectations[r]
		_, offline := noValueOffline[r]
		switch {
		case expected && offline:
			t.Errorf("%s: both expected and allowed no value", r)
		case expected, offline:
		case info.Flags&engine.FlagFilterOnly != 0 || !sysdigKnows(known, r) ||
			bindAll(t, []string{r})[0].b.Values != engine.Single:
			t.Errorf("%s: sysdig 0.29.3 cannot print it and fieldExpectations has no value for it", r)
		default:
			bySysdig = append(bySysdig, r)
		}
	}
	for f := range fieldExpectations {
		if !slices.Contains(refs, f) {
			t.Errorf("fieldExpectations: %s is not used by the rule files", f)
		}
	}
	for f, id := range noValueOffline {
		if _, err := compatKnown(id); err != nil {
			t.Errorf("noValueOffline %s: %v", f, err)
		}
	}

	caps := committedCaptures(t)
	tmp := t.TempDir()
	covered := map[string]string{} // field -> capture and event agreeing with sysdig
	valued := map[string]bool{}    // field -> some value on some capture
	allBound := bindAll(t, refs)
	for _, path := range caps {
		var todo []string
		for _, r := range bySysdig {
			if covered[r] == "" {
				todo = append(todo, r)
			}
		}
		plain := ""
		if len(todo) > 0 {
			plain = plainCapture(t, path, tmp)
		}
		coverWithSysdig(t, path, plain, todo, covered)
		if plain != "" && plain != path {
			os.Remove(plain)
		}
		var vals []engine.Value
		if _, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
			for _, f := range allBound {
				if !valued[f.name] {
					if vals = f.b.Extractor.Extract(e, vals[:0]); len(vals) > 0 {
						valued[f.name] = true
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("replay %s: %v", path, err)
		}
	}
	for _, r := range bySysdig {
		if covered[r] == "" {
			t.Errorf("%s: no event of any capture has a value agreeing with sysdig", r)
		}
	}
	checkExpectations(t, reg)
	var names []string
	for f := range noValueOffline {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if !slices.Contains(refs, f) {
			t.Errorf("noValueOffline: %s is not used by the rule files", f)
			continue
		}
		if valued[f] {
			t.Errorf("%s: has a value now; remove it from noValueOffline", f)
			continue
		}
		t.Logf("%s: no value offline (%s)", f, noValueOffline[f])
	}
	if testing.Verbose() {
		for _, r := range bySysdig {
			t.Logf("%s: %s", r, covered[r])
		}
	}
}

// zeroText are renderings that do not count as a value for coverage: a
// field that only ever gives its type's zero value (empty, 0, false) could
// be one that never works, so each field must agree with sysdig on a
// value other than these at least once.
var zeroText = map[string]bool{"": true, "0": true, "false": true}

// coverWithSysdig replays path and, for each of fields, records in covered
// the first event whose value is neither missing nor a zero value
// (zeroText) and equals what sysdig
// prints for plain (path decompressed) on the same event.
func coverWithSysdig(t *testing.T, path, plain string, fields []string, covered map[string]string) {
	t.Helper()
	base := filepath.Base(path)
	for start := 0; start < len(fields); start += sysdigChunk {
		chunk := fields[start:min(start+sysdigChunk, len(fields))]
		want := sysdigLines(t, plain, chunk)
		bs := bindAll(t, chunk)
		hidden := uint64(0)
		mismatches := map[string]int{}
		view := newSysdig029View()
		var vals []engine.Value
		if _, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
			if e.Ev.Type() >= sysdig029MaxCode {
				hidden++
			}
			view.observe(e)
			defer view.after(e)
			dir := "<"
			if e.Ev.Type().IsEnter() {
				dir = ">"
			}
			w, ok := want[fmt.Sprintf("%d %d %s", e.Ev.Ts(), e.Ev.Tid(), dir)]
			if !ok {
				return nil
			}
			for i, f := range bs {
				if vals = f.b.Extractor.Extract(e, vals[:0]); len(vals) == 0 {
					continue
				}
				got := renderField(f.name, f.b.Type, vals)
				if f.name == "evt.num" {
					got = fmt.Sprint(vals[0].Num - hidden)
				}
				if got != w[i] {
					if w[i] == "<NA>" {
						continue // a value sysdig 0.29.3 lacks is not a disagreement
					}
					var ids []string
					if id, ok := knownRuleFieldDiff(e, f.name, got, w[i]); ok {
						ids = []string{id}
					} else if ids, ok = view.known(e, f.name, got, w[i]); !ok {
						ids = nil
					}
					if len(ids) > 0 {
						for _, id := range ids {
							if _, err := compatKnown(id); err != nil {
								t.Error(err)
							}
						}
						continue
					}
					if mismatches[f.name]++; mismatches[f.name] == 1 {
						t.Errorf("%s: %s: evt %d %s: retrace %q, sysdig %q (no docs/COMPATIBILITY.md row explains it)",
							base, f.name, e.Num, e.Ev.TypeName(), got, w[i])
					}
					continue
				}
				if covered[f.name] == "" && !zeroText[got] {
					covered[f.name] = fmt.Sprintf("%s evt %d %s: %q", base, e.Num, e.Ev.TypeName(), got)
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("replay %s: %v", path, err)
		}
		for _, f := range chunk {
			if n := mismatches[f]; n > 1 {
				t.Errorf("%s: %s: %d events disagree in all", base, f, n)
			}
		}
	}
}

// checkExpectations checks fieldExpectations on their captures.
func checkExpectations(t *testing.T, reg engine.Registry) {
	t.Helper()
	var names []string
	for f := range fieldExpectations {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, name := range names {
		x := fieldExpectations[name]
		t.Run(name, func(t *testing.T) {
			root, err := engine.Parse(x.filter, engine.ParseOptions{})
			if err != nil {
				t.Fatalf("parse %q: %v", x.filter, err)
			}
			cond, _, err := engine.Compile(root, x.filter, engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}})
			if err != nil {
				t.Fatalf("compile %q: %v", x.filter, err)
			}
			f := bindAll(t, []string{name})[0]
			matched, ok := 0, false
			var firstErr error
			var vals []engine.Value
			path := filepath.Join(testutil.RepoRoot(), "testdata", x.capture)
			if _, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
				if ok || !cond.Eval(e) {
					return nil
				}
				matched++
				if vals = f.b.Extractor.Extract(e, vals[:0]); len(vals) == 0 {
					if firstErr == nil {
						firstErr = fmt.Errorf("evt %d %s: no value", e.Num, e.Ev.TypeName())
					}
					return nil
				}
				if err := x.check(e, f.b.Type, vals); err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("evt %d %s: %w", e.Num, e.Ev.TypeName(), err)
					}
					return nil
				}
				ok = true
				return nil
			}); err != nil {
				t.Fatalf("replay %s: %v", path, err)
			}
			if !ok {
				t.Errorf("%s: %d events match %q, none has the expected value (first: %v)", x.capture, matched, x.filter, firstErr)
			}
		})
	}
}
