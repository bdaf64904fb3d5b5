package engine_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/engine"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		cond string
		kind engine.ErrorKind
		want string // Error() + "\n" + Snippet()
	}{
		{"proc.pid contains x", engine.KindType,
			"1:10: operator 'contains' cannot be used with field 'proc.pid' of type pid\nproc.pid contains x\n         ^"},
		{"proc.nme = cat", engine.KindUnknownField,
			"1:1: unknown field 'proc.nme'\nproc.nme = cat\n^"},
		{"proc.pid = abc", engine.KindType,
			"1:12: 'abc' is not a valid pid value for field 'proc.pid'\nproc.pid = abc\n           ^"},
		{"evt.type = nosuchcall", engine.KindUnknownEventType,
			"1:12: unknown event type 'nosuchcall'\nevt.type = nosuchcall\n           ^"},
		{"evt.type in (open, bogus)", engine.KindUnknownEventType,
			"1:20: unknown event type 'bogus'\nevt.type in (open, bogus)\n                   ^"},
		{"evt.is_open_read = yes", engine.KindType,
			"1:20: 'yes' is not a valid bool value for field 'evt.is_open_read' (use true or false)\nevt.is_open_read = yes\n                   ^"},
		{"fd.sip = 10.0.0.300", engine.KindType,
			"1:10: '10.0.0.300' is not a valid IP address or network for field 'fd.sip'\nfd.sip = 10.0.0.300\n         ^"},
		{"proc.name = cat and undefined_macro", engine.KindUndefinedMacro,
			"1:21: undefined macro 'undefined_macro' used in filter\nproc.name = cat and undefined_macro\n                    ^"},
		{"proc.aname[x] = a", engine.KindBadArgument,
			"1:1: bad field argument: field 'proc.aname' needs a numeric index, got 'x'\nproc.aname[x] = a\n^"},
		{"proc.name[1] = a", engine.KindBadArgument,
			"1:1: bad field argument: field 'proc.name' takes no argument\nproc.name[1] = a\n^"},
		{"evt.arg = a", engine.KindBadArgument,
			"1:1: bad field argument: field 'evt.arg' requires an argument\nevt.arg = a\n^"},
		{"proc.name regex '('", engine.KindType,
			"1:17: invalid regular expression '(': error parsing regexp: missing closing ): `^(?:()$`\nproc.name regex '('\n                ^"},
		{"evt.buffer bcontains xyz", engine.KindType,
			"1:22: 'xyz' is not a valid hex string for operator 'bcontains'\nevt.buffer bcontains xyz\n                     ^"},
		{"fd.types = file", engine.KindType,
			"1:10: list field 'fd.types' only supports operators 'exists', 'in' and 'intersects'\nfd.types = file\n         ^"},
		{"join(proc.name) = a", engine.KindTransformer,
			"1:1: unsupported transformer 'join'\njoin(proc.name) = a\n^"},
		{"tolower(proc.pid) = a", engine.KindTransformer,
			"1:1: transformer 'tolower' cannot be applied to field 'proc.pid' of type pid\ntolower(proc.pid) = a\n^"},
		{"tolower(proc.aname) = a", engine.KindTransformer,
			"1:9: field 'proc.aname' does not support transformers\ntolower(proc.aname) = a\n        ^"},
		{"proc.name = val(proc.pid)", engine.KindType,
			"1:11: cannot compare field 'proc.name' of type string with field 'proc.pid' of type pid\nproc.name = val(proc.pid)\n          ^"},
		{"proc.name = val(proc.aname)", engine.KindType,
			"1:17: field 'proc.aname' cannot be used on the right-hand side of a check\nproc.name = val(proc.aname)\n                ^"},
		{"evt.type = val(proc.name)", engine.KindType,
			"1:12: right-hand field comparisons on `evt.type` checks are not supported by event code search\nevt.type = val(proc.name)\n           ^"},
		{"tolower(evt.type) = open", engine.KindType,
			"1:1: event code search does not support `evt.type` checks with transformers\ntolower(evt.type) = open\n^"},
		{"evt.outputtime > 0", engine.KindType,
			"1:1: field 'evt.outputtime' can only be used in outputs\nevt.outputtime > 0\n^"},
		{"proc.pid = 99999999999999999999", engine.KindType,
			"1:12: '99999999999999999999' is not a valid pid value for field 'proc.pid'\nproc.pid = 99999999999999999999\n           ^"},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			_, _, err := compile(t, tc.cond)
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("compile error = %v, want *engine.Error", err)
			}
			if e.Kind != tc.kind {
				t.Errorf("Kind = %v, want %v", e.Kind, tc.kind)
			}
			if diff := cmp.Diff(tc.want, e.Error()+"\n"+e.Snippet()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMacroExpansion(t *testing.T) {
	parse := func(s string) engine.Node {
		n, err := engine.Parse(s, engine.ParseOptions{})
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		return n
	}
	macros := map[string]string{
		"is_cat":   "proc.name = cat",
		"open_etc": "evt.type in (open, openat) and fd.name startswith /etc",
		"broken":   "proc.pid contains 1",
	}
	resolve := func(ref *engine.MacroRef) (engine.Node, error) {
		text, ok := macros[ref.Name]
		if !ok {
			return nil, errors.New("undefined macro " + ref.Name)
		}
		ref.Text = text
		return parse(text), nil
	}
	root := parse("open_etc and not is_cat or never")
	refs := engine.MacroRefs(root)
	var names []string
	for _, r := range refs {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"open_etc", "is_cat", "never"}, names); diff != "" {
		t.Errorf("MacroRefs (-want +got):\n%s", diff)
	}
	if err := engine.ExpandMacros(root, resolve); err == nil || err.Error() != "undefined macro never" {
		t.Errorf("ExpandMacros error = %v, want undefined macro never", err)
	}

	root = parse("open_etc and not is_cat")
	if err := engine.ExpandMacros(root, resolve); err != nil {
		t.Fatalf("ExpandMacros: %v", err)
	}
	if refs := engine.MacroRefs(root); len(refs) != 0 {
		t.Errorf("MacroRefs after expansion = %d, want 0", len(refs))
	}
	c, _, err := engine.Compile(root, "open_etc and not is_cat", testOpts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	ev := sampleEvent() // openat of /etc/shadow by cat
	if c.Eval(ev) {
		t.Errorf("Eval = true, want false (is_cat)")
	}
	if got, want := typeNames(c.EventTypes()), []string{"open", "openat"}; !cmp.Equal(got, want) {
		t.Errorf("EventTypes = %v, want %v", got, want)
	}

	// An error inside a macro names the macro and points into its text.
	root = parse("evt.type = open and broken")
	if err := engine.ExpandMacros(root, resolve); err != nil {
		t.Fatalf("ExpandMacros: %v", err)
	}
	_, _, err = engine.Compile(root, "evt.type = open and broken", testOpts)
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("Compile error = %v, want *engine.Error", err)
	}
	if e.Macro != "broken" || e.Pos.Col != 10 || e.Snippet() != "proc.pid contains 1\n         ^" {
		t.Errorf("error in macro: Macro=%q Pos=%v Snippet=%q", e.Macro, e.Pos, e.Snippet())
	}
}

// typeNames maps dispatch ids to distinct names in id order.
func typeNames(ids []int) []string {
	var names []string
	for _, id := range ids {
		n := testTypes.Name(id)
		if len(names) == 0 || names[len(names)-1] != n {
			names = append(names, n)
		}
	}
	return names
}

func TestEventTypeInference(t *testing.T) {
	all := testTypes.Names()
	except := func(drop ...string) []string {
		var out []string
		for _, n := range all {
			keep := true
			for _, d := range drop {
				keep = keep && n != d
			}
			if keep {
				out = append(out, n)
			}
		}
		return out
	}
	tests := []struct {
		cond string
		want []string
		warn engine.WarningKind // 0: none
	}{
		{"evt.type = openat and proc.name = nginx", []string{"openat"}, 0},
		{"evt.type = openat or proc.name = nginx", all, engine.WarnNoEventType},
		{"proc.name = nginx", all, engine.WarnNoEventType},
		{"not proc.name = nginx", all, engine.WarnNoEventType},
		{"evt.type in (open, openat, execve)", []string{"open", "openat", "execve"}, 0},
		{"evt.type in (open, openat) and evt.type in (openat, close)", []string{"openat"}, 0},
		{"evt.type = open or evt.type = close", []string{"open", "close"}, 0},
		{"not evt.type in (openat, close)", except("openat", "close"), 0},
		{"evt.type != openat", except("openat"), 0},
		{"not evt.type != openat", []string{"openat"}, 0},
		{"not (evt.type = open or evt.type = close)", except("open", "close"), 0},
		{"not (evt.type = open and proc.name = x)", all, engine.WarnNoEventType},
		{"not (evt.type != open and evt.type != close)", []string{"open", "close"}, 0},
		{"evt.type = madvise", []string{"madvise"}, 0},
		{"evt.type exists", all, engine.WarnNoEventType},
		{"not evt.type exists", nil, engine.WarnNoEvents},
		{"syscall.type = execve", []string{"execve"}, 0},
		{"evt.num = 0", nil, engine.WarnNoEvents},
		{"evt.type = open and evt.num = 0", nil, engine.WarnNoEvents},
		{"evt.type = open or evt.num = 0", []string{"open"}, 0},
		{"not evt.num = 0", all, engine.WarnNoEventType},
		{"evt.num > 0", all, engine.WarnNoEventType},
		{"evt.num in (0)", nil, engine.WarnNoEvents},
		{"evt.type = open and evt.type = close", nil, engine.WarnNoEvents},
		{"evt.type startswith open", all, engine.WarnNoEventType},
		{"(evt.type = open and proc.name = a) or (evt.type = execve and not proc.name = b)", []string{"open", "execve"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			c, warns, err := compile(t, tc.cond)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if diff := cmp.Diff(tc.want, typeNames(c.EventTypes())); diff != "" {
				t.Errorf("event types (-want +got):\n%s", diff)
			}
			var kinds []engine.WarningKind
			for _, w := range warns {
				if w.Kind != engine.WarnDeprecatedField {
					kinds = append(kinds, w.Kind)
				}
			}
			var want []engine.WarningKind
			if tc.warn != 0 {
				want = []engine.WarningKind{tc.warn}
			}
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileNodeBudget(t *testing.T) {
	// m0 = proc.name = x; each further macro uses the previous one twice,
	// so m40 would expand to 2^40 checks.
	parse := func(s string) engine.Node {
		n, err := engine.Parse(s, engine.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	prev := parse("proc.name = x")
	for i := 1; i <= 40; i++ {
		n := parse("a or b")
		refs := engine.MacroRefs(n)
		for _, r := range refs {
			r.Expansion = prev
		}
		prev = n
	}
	_, _, err := engine.Compile(prev, "a or b", engine.CompileOptions{Registry: testReg, MaxNodes: 100000})
	var e *engine.Error
	if !errors.As(err, &e) || e.Kind != engine.KindLimit {
		t.Fatalf("Compile error = %v, want a limit error", err)
	}
	if want := "condition exceeds 100000 nodes after macro expansion"; e.Msg != want {
		t.Errorf("Msg = %q, want %q", e.Msg, want)
	}
}

// TestCheckListNames checks that a list operator or modifier followed by a
// bare name is reported as an undefined list, in the text's own checks
// only.
func TestCheckListNames(t *testing.T) {
	tests := []struct {
		cond string
		want string // Error() + "\n" + Snippet(), or "" for no error
	}{
		{"proc.name in (a, b)", ""},
		{"proc.name = a", ""},
		{"proc.name = val(proc.pname)", ""},
		{"some_macro", ""},
		{"proc.name in shells", "1:14: undefined list 'shells' used in filter\nproc.name in shells\n             ^"},
		{"fd.name pmatch dirs", "1:16: undefined list 'dirs' used in filter\nfd.name pmatch dirs\n               ^"},
		{"proc.name startswith anyof prefixes",
			"1:28: undefined list 'prefixes' used in filter\nproc.name startswith anyof prefixes\n                           ^"},
		{"proc.name = a or\n  not proc.aname intersects x and proc.name in z",
			"2:29: undefined list 'x' used in filter\n  not proc.aname intersects x and proc.name in z\n                            ^"},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			root, err := engine.Parse(tc.cond, engine.ParseOptions{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = engine.CheckListNames(root, tc.cond)
			if tc.want == "" {
				if err != nil {
					t.Errorf("CheckListNames = %v, want nil", err)
				}
				return
			}
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("CheckListNames = %v, want *engine.Error", err)
			}
			if e.Kind != engine.KindUndefinedList {
				t.Errorf("Kind = %v, want %v", e.Kind, engine.KindUndefinedList)
			}
			if diff := cmp.Diff(tc.want, e.Error()+"\n"+e.Snippet()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMacroErrors checks the errors callers that expand macros themselves
// report for undefined macros and reference loops.
func TestMacroErrors(t *testing.T) {
	text := "proc.name = a and\n  m1"
	root, err := engine.Parse(text, engine.ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ref := engine.MacroRefs(root)[0]
	tests := []struct {
		name string
		err  *engine.Error
		kind engine.ErrorKind
		want string
	}{
		{"undefined", engine.NewUndefinedMacroError(ref, text), engine.KindUndefinedMacro,
			"2:3: undefined macro 'm1' used in filter\n  m1\n  ^"},
		{"loop", engine.NewMacroLoopError(ref, text), engine.KindMacroLoop,
			"2:3: reference loop in macro 'm1'\n  m1\n  ^"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err.Kind != tc.kind {
				t.Errorf("Kind = %v, want %v", tc.err.Kind, tc.kind)
			}
			if diff := cmp.Diff(tc.want, tc.err.Error()+"\n"+tc.err.Snippet()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
