package replay

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// sysdigFields are compared event by event with sysdig's -p output.
var sysdigFields = []string{"evt.type", "evt.dir", "proc.name", "proc.cmdline", "proc.pname", "fd.name",
	"user.name", "container.id", "proc.pid", "thread.tid", "fd.typechar", "proc.exepath"}

// knownSysdigDiffs are tolerated differences, by capture and field, each
// documented in docs/COMPATIBILITY.md.
var knownSysdigDiffs = map[string]string{
	"falco_psp_run_as_user_0_container.scap evt.type": "SCAP-GENERIC-NAMES-029",
	"falco_cat_write.scap evt.type":                   "SCAP-GENERIC-UNKNOWN-029",
}

// sanitizedFields are the fields whose text sysdig's -p output strips of
// non-printable characters (libsinsp sanitizes fd names).
var sanitizedFields = map[string]bool{"fd.name": true, "fd.nameraw": true, "fd.directory": true, "fd.filename": true,
	"fd.containername": true, "fd.containerdirectory": true}

// renderField prints a field's values as sysdig's -p does.
func renderField(name string, typ engine.FieldType, vals []engine.Value) string {
	if len(vals) > 0 && typ == engine.TypeString && !sanitizedFields[name] {
		return string(vals[0].Bytes)
	}
	return renderForSysdig(typ, vals)
}

// renderValues prints extracted values as sysdig's -p does.
func renderValues(typ engine.FieldType, vals []engine.Value) string {
	if len(vals) == 0 {
		return "<NA>"
	}
	v := vals[0]
	switch typ {
	case engine.TypeString, engine.TypeBytes:
		// sysdig's -p output drops non-printable characters.
		return string(appendPrintable(nil, v.Bytes))
	case engine.TypeBool:
		if v.Num != 0 {
			return "true"
		}
		return "false"
	case engine.TypeDouble:
		return strconv.FormatFloat(math.Float64frombits(v.Num), 'f', 1, 64)
	case engine.TypeInt64, engine.TypeFD, engine.TypePID:
		return strconv.FormatInt(int64(v.Num), 10)
	default:
		return strconv.FormatUint(v.Num, 10)
	}
}

// bound is a field bound for a test.
type bound struct {
	name string
	b    engine.Binding
}

func bindAll(t testing.TB, names []string) []bound {
	t.Helper()
	reg := NewFieldRegistry()
	out := make([]bound, len(names))
	for i, n := range names {
		info, arg, err := engine.ResolveField(reg, n)
		if err != nil {
			t.Fatalf("resolve %s: %v", n, err)
		}
		b, err := reg.Bind(info.Name, arg)
		if err != nil {
			t.Fatalf("bind %s: %v", n, err)
		}
		if b.Type == engine.TypeInvalid {
			b.Type = info.Type
		}
		out[i] = bound{n, b}
	}
	return out
}

// sysdigLines runs sysdig on path and returns its values of fields for
// every event, keyed by "rawtime tid dir". (One sysdig run per field set:
// sysdig cuts output lines longer than a few kB, so the sets are kept
// apart rather than merged.)
func sysdigLines(t *testing.T, path string, fields []string) map[string][]string {
	t.Helper()
	keyed := append([]string{"evt.rawtime", "thread.tid", "evt.dir"}, fields...)
	res := map[string][]string{}
	for _, row := range testutil.SysdigEvents(t, path, keyed) {
		res[strings.Join(row[:3], " ")] = row[3:]
	}
	return res
}

// sysdigKey is the key under which sysdigLines files an event's values.
func sysdigKey(e *Event) string {
	dir := "<"
	if e.Ev.Type().IsEnter() {
		dir = ">"
	}
	return fmt.Sprintf("%d %d %s", e.Ev.Ts(), e.Ev.Tid(), dir)
}

// TestFieldsMatchSysdig compares field values of every event of the shared
// captures with what sysdig 0.29.3 prints.
func TestFieldsMatchSysdig(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	for _, path := range testutil.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := sysdigLines(t, path, sysdigFields)
			fields := bindAll(t, sysdigFields)
			var vals []engine.Value
			mismatches := map[string]int{}
			examples := map[string]string{}
			seen := 0
			lineage := newLineage029()
			_, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
				lineage.observe(e)
				w, ok := want[sysdigKey(e)]
				if !ok {
					return nil
				}
				seen++
				for i, f := range fields {
					vals = f.b.Extractor.Extract(e, vals[:0])
					got := renderField(f.name, f.b.Type, vals)
					if got == w[i] {
						continue
					}
					if id, ok := lineage.known(e, f.name, w[i]); ok {
						if _, err := compat.Known(id); err != nil {
							t.Error(err)
						}
						continue
					}
					mismatches[f.name]++
					if _, ok := examples[f.name]; !ok {
						examples[f.name] = fmt.Sprintf("evt %d %s: got %q, sysdig %q", e.Num, e.Ev.TypeName(), got, w[i])
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen != len(want) {
				t.Errorf("matched %d of sysdig's %d events", seen, len(want))
			}
			for f, n := range mismatches {
				if id, ok := knownSysdigDiffs[filepath.Base(path)+" "+f]; ok {
					if _, err := compat.Known(id); err != nil {
						t.Error(err)
					}
					t.Logf("%s: %d known differences (%s), first %s", f, n, id, examples[f])
					continue
				}
				t.Errorf("%s: %d mismatches, first %s", f, n, examples[f])
			}
		})
	}
}

// statefulParam reports parameter types whose rendering depends on state.
func statefulParam(t scap.ParamType) bool {
	switch t {
	case scap.PTFD, scap.PTPID, scap.PTUID, scap.PTGID, scap.PTFSPath, scap.PTFSRelPath, scap.PTFD32, scap.PTPID32:
		return true
	}
	return false
}

// TestStatefulArgsMatchSysdig compares the state-dependent part of
// %evt.args (fd names, process names after pids, user and group names,
// paths resolved against the cwd) with sysdig, parameter by parameter.
// The stateless renderings are checked by package scap.
func TestStatefulArgsMatchSysdig(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	for _, path := range testutil.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := sysdigLines(t, path, []string{"evt.args"})
			var buf []byte
			compared, diffs := 0, 0
			first := ""
			_, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
				w, ok := want[sysdigKey(e)]
				info := e.Ev.Info()
				if !ok || info == nil || scap.IsGeneric(e.Ev.Type()) {
					return nil
				}
				n := min(e.Ev.NumParams(), len(info.Params))
				names := make([]string, n)
				for i := range names {
					names[i] = info.Params[i].Name
				}
				vals := testutil.SplitSysdigArgs(w[0], names)
				for i, theirs := range vals {
					if !statefulParam(info.Params[i].Type) {
						continue
					}
					buf = appendParam(buf[:0], e, i, true)
					compared++
					if string(buf) != theirs {
						diffs++
						if first == "" {
							first = fmt.Sprintf("%s %s: retrace %q, sysdig %q", e.Ev.TypeName(), names[i], buf, theirs)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diffs > 0 {
				t.Errorf("%d of %d stateful parameters differ, first %s", diffs, compared, first)
			}
		})
	}
}
