package scap

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// sysdigLine is one event as sysdig -p '%evt.num %evt.type %evt.args' prints it.
type sysdigLine struct {
	num  int
	typ  string
	args string
}

func runSysdigArgs(t *testing.T, sysdig, path string) []sysdigLine {
	t.Helper()
	cmd := exec.Command(sysdig, "-r", path, "-p", "*%evt.num %evt.type %evt.args")
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("sysdig -r %s: %v", path, err)
		return nil
	}
	var lines []sysdigLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		numS, rest, _ := strings.Cut(sc.Text(), " ")
		typ, args, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(numS)
		if err != nil {
			continue // a message, not an event line
		}
		lines = append(lines, sysdigLine{num: n, typ: typ, args: args})
	}
	return lines
}

// splitSysdigArgs cuts sysdig's %evt.args text into values, given the
// parameter names in order; it stops at the first name it cannot find.
func splitSysdigArgs(args string, names []string) []string {
	var vals []string
	rest := args
	for i, n := range names {
		if !strings.HasPrefix(rest, n+"=") {
			break
		}
		rest = rest[len(n)+1:]
		end := len(rest)
		if i+1 < len(names) {
			if j := strings.Index(rest, " "+names[i+1]+"="); j >= 0 {
				end = j
			}
		}
		vals = append(vals, strings.TrimSuffix(rest[:end], " "))
		if end == len(rest) {
			break
		}
		rest = rest[end+1:]
	}
	return vals
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
	sysdig := testutil.NeedTool(t, "sysdig")
	type key struct{ enum, param string }
	type sample struct {
		file, ours, theirs string
		n                  int
	}
	diffs := map[key]*sample{}
	compared := 0
	known029, _ := alignSysdig029(readSysdig029(t))
	paths := testutil.Captures(t)
	// Run sysdig on two captures at a time (the machine has two cores).
	outputs := make([][]sysdigLine, len(paths))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outputs[i] = runSysdigArgs(t, sysdig, path)
		}()
	}
	wg.Wait()
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
				id, _ := e.syscallID()
				if n := SyscallNameSysdig029(id); n != want {
					knownDifference(t, "SCAP-GENERIC-NAMES-029")
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
			vals := splitSysdigArgs(l.args, names)
			for i, theirs := range vals {
				p := info.Params[i]
				ours := FormatParam(p, e.Param(i))
				if j := strings.IndexByte(ours, '\n'); j >= 0 {
					ours = ours[:j] // sysdig's line ends where the value has a newline
				}
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
