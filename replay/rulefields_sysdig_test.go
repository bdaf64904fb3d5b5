package replay

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// sysdigFieldList returns the field names `sysdig -l` lists.
func sysdigFieldList(t *testing.T, sysdig string) map[string]bool {
	t.Helper()
	out, err := exec.Command(sysdig, "-l").Output()
	if err != nil {
		t.Fatalf("sysdig -l: %v", err)
	}
	known := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], ".") && line[0] != ' ' {
			known[f[0]] = true
		}
	}
	return known
}

// sysdigKnows reports whether sysdig's field list has the field a
// reference names (proc.aname[2] -> proc.aname, evt.arg.flags -> evt.arg).
func sysdigKnows(known map[string]bool, ref string) bool {
	if i := strings.IndexByte(ref, '['); i >= 0 {
		ref = ref[:i]
	}
	for n := ref; n != ""; {
		if known[n] {
			return n == ref || strings.HasPrefix(ref, n+".")
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return false
}

// renderForSysdig prints values as sysdig's -p does, including addresses.
func renderForSysdig(typ engine.FieldType, vals []engine.Value) string {
	if len(vals) > 0 && typ == engine.TypeIPAddr {
		if a, ok := netip.AddrFromSlice(vals[0].Bytes); ok {
			return a.String()
		}
	}
	if len(vals) > 0 && typ == engine.TypeBytes {
		// sysdig prints buffers with dots for non-printable bytes, cut
		// at 80 bytes.
		b := vals[0].Bytes
		if len(b) > 80 {
			b = b[:80]
		}
		return string(appendSanitized(nil, b, -1))
	}
	return renderValues(typ, vals)
}

// compareWithSysdig replays the capture at path and compares the fields'
// values on every event with what sysdig prints, failing the test for each
// field that differs other than as knownRuleFieldDiff allows. each, if not
// nil, sees every replayed event, including those sysdig does not print.
func compareWithSysdig(t *testing.T, path string, fields []bound, each func(*Event)) {
	t.Helper()
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	want := sysdigLines(t, path, names)
	mismatches := map[string]int{}
	examples := map[string]string{}
	var vals []engine.Value
	hidden := uint64(0) // events sysdig 0.29.3 does not count
	view := newSysdig029View()
	_, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
		if e.Ev.Type() >= sysdig029MaxCode {
			hidden++
		}
		view.observe(e)
		defer view.after(e)
		if each != nil {
			each(e)
		}
		w, ok := want[sysdigKey(e)]
		if !ok {
			return nil
		}
		for i, f := range fields {
			vals = f.b.Extractor.Extract(e, vals[:0])
			got := renderField(f.name, f.b.Type, vals)
			if f.name == "evt.num" && len(vals) == 1 {
				// sysdig 0.29.3 skips event types it does not know.
				got = fmt.Sprint(vals[0].Num - hidden)
			}
			if got == w[i] {
				continue
			}
			if id, ok := knownRuleFieldDiff(e, f.name, got, w[i]); ok {
				if _, err := compatKnown(id); err != nil {
					t.Error(err)
				}
				continue
			}
			if id, ok := view.lineage.known(e, f.name, w[i]); ok {
				if _, err := compatKnown(id); err != nil {
					t.Error(err)
				}
				continue
			}
			mismatches[f.name]++
			if _, ok := examples[f.name]; !ok {
				examples[f.name] = fmt.Sprintf("evt %d %s: retrace %q, sysdig %q", e.Num, e.Ev.TypeName(), got, w[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for n := range mismatches {
		bad = append(bad, n)
	}
	sort.Strings(bad)
	base := filepath.Base(path)
	for _, n := range bad {
		t.Errorf("%s: %s: %d mismatches, first %s", base, n, mismatches[n], examples[n])
	}
}

// TestRuleFieldsMatchSysdig extracts every field the upstream rules use on
// every event of the shared captures, compares it with sysdig's output
// where sysdig 0.29.3 knows the field, and checks that each field has a
// value on at least one event. Fields no shared capture exercises are
// listed in noCaptureValue with the reason; they are covered by the
// synthetic state tests instead.
func TestRuleFieldsMatchSysdig(t *testing.T) {
	sysdig := testutil.NeedTool(t, "sysdig")
	caps := testutil.Captures(t)
	refs := ruleFieldRefs(t)
	reg := NewFieldRegistry()
	known := sysdigFieldList(t, sysdig)
	var printable []string
	for _, r := range refs {
		info, _, err := engine.ResolveField(reg, r)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if info.Flags&engine.FlagFilterOnly != 0 || !sysdigKnows(known, r) {
			continue
		}
		if b := bindAll(t, []string{r})[0].b; b.Values != engine.Single {
			// sysdig prints list fields without index in its own way.
			continue
		}
		if r == "evt.args" || strings.HasPrefix(r, "evt.arg[") {
			// Stateless renderings are checked by package scap, the
			// state-dependent ones by TestStatefulArgsMatchSysdig.
			continue
		}
		printable = append(printable, r)
	}
	allBound := bindAll(t, refs)
	printBound := bindAll(t, printable)
	hasValue := map[string]bool{}
	for _, path := range caps {
		var vals []engine.Value
		compareWithSysdig(t, path, printBound, func(e *Event) {
			for _, f := range allBound {
				if vals = f.b.Extractor.Extract(e, vals[:0]); len(vals) > 0 {
					hasValue[f.name] = true
				}
			}
		})
	}
	for _, r := range refs {
		if hasValue[r] {
			continue
		}
		if why, ok := noCaptureValue[r]; ok {
			if strings.Contains(why, "REPLAY-DNS-NAMES") {
				if _, err := compatKnown("REPLAY-DNS-NAMES"); err != nil {
					t.Error(err)
				}
			}
			t.Logf("%s: no value on the shared captures (%s)", r, why)
			continue
		}
		if i := strings.IndexByte(r, '['); i >= 0 {
			if why, ok := noCaptureValuePrefix[r[:i+1]]; ok {
				t.Logf("%s: no value on the shared captures (%s)", r, why)
				continue
			}
		}
		t.Errorf("%s: no value on any shared capture", r)
	}
}
