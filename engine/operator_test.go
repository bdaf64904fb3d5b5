package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
)

// TestOperatorTable checks that every check operator is named, parses back
// from its name, and is lexed in a condition with the operand kind the
// table gives it.
func TestOperatorTable(t *testing.T) {
	tests := []struct {
		op       engine.Operator
		name     string
		list     bool // takes a list
		modifier bool // takes oneof/anyof/allof
		check    string
	}{
		{engine.OpEq, "=", false, true, "proc.name = x"},
		{engine.OpNe, "!=", false, true, "proc.name != x"},
		{engine.OpLt, "<", false, false, "proc.pid < 1"},
		{engine.OpLe, "<=", false, false, "proc.pid <= 1"},
		{engine.OpGt, ">", false, false, "proc.pid > 1"},
		{engine.OpGe, ">=", false, false, "proc.pid >= 1"},
		{engine.OpContains, "contains", false, true, "proc.name contains x"},
		{engine.OpIContains, "icontains", false, true, "proc.name icontains x"},
		{engine.OpBContains, "bcontains", false, true, "proc.name bcontains 41"},
		{engine.OpStartsWith, "startswith", false, true, "proc.name startswith x"},
		{engine.OpBStartsWith, "bstartswith", false, true, "proc.name bstartswith 41"},
		{engine.OpEndsWith, "endswith", false, true, "proc.name endswith x"},
		{engine.OpGlob, "glob", false, true, "proc.name glob x*"},
		{engine.OpIGlob, "iglob", false, true, "proc.name iglob x*"},
		{engine.OpRegex, "regex", false, true, "proc.name regex x"},
		{engine.OpIn, "in", true, false, "proc.name in (x, y)"},
		{engine.OpIntersects, "intersects", true, false, "proc.aname intersects (x, y)"},
		{engine.OpPMatch, "pmatch", true, false, "fd.name pmatch (/etc)"},
		{engine.OpExists, "exists", false, false, "proc.name exists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.op.String(); got != tc.name {
				t.Errorf("String() = %q, want %q", got, tc.name)
			}
			if got, ok := engine.ParseOperator(" " + tc.name + " "); !ok || got != tc.op {
				t.Errorf("ParseOperator(%q) = %v, %v, want %v", tc.name, got, ok, tc.op)
			}
			if got := tc.op.IsListOperator(); got != tc.list {
				t.Errorf("IsListOperator() = %v, want %v", got, tc.list)
			}
			if got := tc.op.TakesModifier(); got != tc.modifier {
				t.Errorf("TakesModifier() = %v, want %v", got, tc.modifier)
			}
			n, err := engine.Parse(tc.check, engine.ParseOptions{})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.check, err)
			}
			c, ok := n.(*engine.CheckExpr)
			if !ok || c.Op != tc.op {
				t.Fatalf("Parse(%q) = %#v, want a check with operator %v", tc.check, n, tc.op)
			}
			if n.String() != tc.check {
				t.Errorf("String() = %q, want %q", n.String(), tc.check)
			}
			if tc.modifier {
				mod := tc.check[:len(tc.check)-len(c.Right.String())] + "oneof (a, b)"
				m, err := engine.Parse(mod, engine.ParseOptions{})
				if err != nil {
					t.Fatalf("Parse(%q): %v", mod, err)
				}
				if mc, ok := m.(*engine.CheckExpr); !ok || mc.Mod != engine.ModOneOf {
					t.Errorf("Parse(%q) = %v, want a oneof modifier", mod, m)
				}
			}
		})
	}
	if op, ok := engine.ParseOperator("=="); !ok || op != engine.OpEq {
		t.Errorf(`ParseOperator("==") = %v, %v, want =`, op, ok)
	}
	for _, bad := range []string{"", "invalid", "===", "not", "oneof"} {
		if op, ok := engine.ParseOperator(bad); ok {
			t.Errorf("ParseOperator(%q) = %v, want no operator", bad, op)
		}
	}
}

// TestModifiers checks the modifier names.
func TestModifiers(t *testing.T) {
	tests := []struct {
		mod  engine.Modifier
		name string
	}{
		{engine.ModOneOf, "oneof"},
		{engine.ModAnyOf, "anyof"},
		{engine.ModAllOf, "allof"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.mod.String(); got != tc.name {
				t.Errorf("String() = %q, want %q", got, tc.name)
			}
			if got, ok := engine.ParseModifier(tc.name); !ok || got != tc.mod {
				t.Errorf("ParseModifier(%q) = %v, %v, want %v", tc.name, got, ok, tc.mod)
			}
		})
	}
	if m, ok := engine.ParseModifier(""); ok {
		t.Errorf(`ParseModifier("") = %v, want none`, m)
	}
}
