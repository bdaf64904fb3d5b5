package scap

import (
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// sysdigLine is one event as sysdig -p '%evt.num %evt.type %evt.args' prints it.
type sysdigLine struct {
	num  int
	typ  string
	args string
}

func runSysdigArgs(t *testing.T, path string) []sysdigLine {
	t.Helper()
	var lines []sysdigLine
	for _, row := range testutil.SysdigEvents(t, path, []string{"evt.num", "evt.type", "evt.args"}) {
		n, err := strconv.Atoi(row[0])
		if err != nil {
			t.Errorf("sysdig -r %s: evt.num %q", path, row[0])
			continue
		}
		lines = append(lines, sysdigLine{num: n, typ: row[1], args: row[2]})
	}
	return lines
}

// sysdigText prints rows of testutil.SysdigEvents as lines of values apart
// by spaces, for failure messages.
func sysdigText(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// sameType reports whether sysdig 0.29.3's type name for a parameter is
// the current type t, counting ENUMFLAGS as FLAGS (0.29.3 had no enum flags).
func sameType(sdType string, t ParamType) bool {
	cur := strings.Replace(t.String(), "ENUMFLAGS", "FLAGS", 1)
	if sdType == "DYNAMIC" {
		sdType = "DYN"
	}
	return sdType == cur
}

// fdListTypeless replaces the fd type characters of a rendered FDLIST by '?'.
func fdListTypeless(s string) string {
	b := []byte(s)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == ':' {
			b[i+1] = '?'
		}
	}
	return string(b)
}

// paramAgrees compares FormatParam's rendering of raw with sysdig's.
func paramAgrees(p Param, raw []byte, ours, theirs string) bool {
	if ours == theirs {
		return true
	}
	if p.Type == PTDyn {
		if real, _, ok := DynValue(p, raw); ok {
			p = real
		}
	}
	if p.Type == PTFDList {
		return fdListTypeless(theirs) == ours
	}
	return needsState(p.Type) && strings.HasPrefix(theirs, ours+"(") && strings.HasSuffix(theirs, ")")
}

func TestFormatMatchesSysdig(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	type key struct{ enum, param string }
	type sample struct {
		file, ours, theirs string
		n                  int
	}
	diffs := map[key]*sample{}
	compared := 0
	known029, _ := alignSysdig029(readSysdig029(t))
	paths := testutil.Captures(t)
	// Run sysdig on the captures in parallel subtests (-parallel, by
	// default as many as there are cores).
	outputs := make([][]sysdigLine, len(paths))
	if !t.Run("sysdig", func(t *testing.T) {
		for i, path := range paths {
			t.Run(filepath.Base(path), func(t *testing.T) {
				t.Parallel()
				outputs[i] = runSysdigArgs(t, path)
			})
		}
	}) {
		return
	}
	for pi, path := range paths {
		base := filepath.Base(path)
		var evs []Event
		for _, ce := range walkCapture(t, path) {
			var e Event
			if err := e.Decode(ce.raw, ce.v1); err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			if e.Type() < Sysdig029NumTypes {
				evs = append(evs, e)
			}
		}
		for _, l := range outputs[pi] {
			if l.num < 1 || l.num > len(evs) {
				t.Fatalf("%s: sysdig event number %d outside the %d events read", base, l.num, len(evs))
			}
			e := &evs[l.num-1]
			want := e.TypeName()
			if IsGeneric(e.Type()) {
				// sysdig 0.29.3 names the ID as written; retrace, as current
				// libs, names an ID of 0 by its nativeID.
				id := binary.LittleEndian.Uint16(e.Param(0))
				if n := SyscallNameSysdig029(id); n != want {
					if id == 0 {
						knownDifference(t, "SCAP-GENERIC-UNKNOWN-029")
					} else {
						knownDifference(t, "SCAP-GENERIC-NAMES-029")
					}
					want = n
				}
			}
			if l.typ != want {
				t.Errorf("%s event %d: sysdig evt.type %s, retrace %s", base, l.num, l.typ, want)
				continue
			}
			info := e.Info()
			if IsGeneric(e.Type()) {
				if l.args != "" {
					t.Errorf("%s event %d: generic event args %q", base, l.num, l.args)
				}
				continue
			}
			n := min(e.NumParams(), len(info.Params))
			// sysdig prints its own parameter names (see SCAP-PARAM-RENAMED-029).
			names := make([]string, n)
			for i := range names {
				names[i] = info.Params[i].Name
				if sd, ok := known029[e.Type()]; ok && i < len(sd.params) && sd.params[i].name != names[i] {
					knownDifference(t, "SCAP-PARAM-RENAMED-029")
					names[i] = sd.params[i].name
				}
			}
			vals := testutil.SplitSysdigArgs(l.args, names)
			for i, theirs := range vals {
				p := info.Params[i]
				ours := FormatParam(p, e.Param(i))
				compared++
				if paramAgrees(p, e.Param(i), ours, theirs) {
					continue
				}
				if sd, ok := known029[e.Type()]; ok && i < len(sd.params) && !sameType(sd.params[i].typ, p.Type) {
					knownDifference(t, "SCAP-ARGTYPES-029")
					continue
				}
				k := key{info.Enum, p.Name}
				if diffs[k] == nil {
					diffs[k] = &sample{file: base, ours: ours, theirs: theirs}
				}
				diffs[k].n++
			}
		}
	}
	for k, s := range diffs {
		t.Errorf("%s %s: %d differences, e.g. %s: retrace %q, sysdig %q", k.enum, k.param, s.n, s.file, s.ours, s.theirs)
	}
	t.Logf("compared %d parameter values", compared)
}

// TestGenericEventsOnCapture checks SyscallName on the generic events of
// falco_syscall.scap, which sysdig prints as madvise.
func TestGenericEventsOnCapture(t *testing.T) {
	path := testutil.SharedFile(t, "captures", "falco_syscall.scap")
	var idx EventTypeIndex
	n := 0
	for _, ce := range walkCapture(t, path) {
		var e Event
		if err := e.Decode(ce.raw, ce.v1); err != nil {
			t.Fatal(err)
		}
		if !IsGeneric(e.Type()) {
			continue
		}
		n++
		if e.TypeName() != "madvise" || idx.Name(e.DispatchID()) != "madvise" {
			t.Errorf("generic event %s: TypeName %q, dispatch name %q", e.Type(), e.TypeName(), idx.Name(e.DispatchID()))
		}
	}
	if n != 4 {
		t.Errorf("%d generic events, want 4 (2 madvise enter/exit pairs)", n)
	}
}
