package rules_test

import (
	"testing"

	"github.com/retrace-dev/retrace/rules"
)

// TestConditionPositions checks that a problem inside a condition is
// reported at its line and column in the file, through YAML scalar styles,
// list substitution, macros and generated exception text.
func TestConditionPositions(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		line, col int
	}{
		{"plain", "- rule: r\n  desc: d\n  condition: evt.type=open and proc.name=cat cat\n  output: o\n  priority: INFO\n", 3, 46},
		{"plain multi-line", "- rule: r\n  desc: d\n  condition: evt.type=open and\n    proc.name=cat cat\n  output: o\n  priority: INFO\n", 4, 19},
		{"folded", "- rule: r\n  desc: d\n  condition: >\n    evt.type=open and\n    proc.name=cat cat\n  output: o\n  priority: INFO\n", 5, 19},
		{"literal more indented", "- rule: r\n  desc: d\n  condition: |\n    evt.type=open and\n      proc.name=cat cat\n  output: o\n  priority: INFO\n", 5, 21},
		{"double quoted with escapes", "- rule: r\n  desc: d\n  condition: \"evt.type=open and \\\"x\\\" \n    proc.name=cat\"\n  output: o\n  priority: INFO\n", 3, 33},
		{"single quoted", "- rule: r\n  desc: d\n  condition: 'evt.type=open and proc.name=''x'' ''y'''\n  output: o\n  priority: INFO\n", 3, 49},
		{"folded with a blank line", "- rule: r\n  desc: d\n  condition: >-\n    evt.type=open\n\n    and proc.name=cat cat\n  output: o\n  priority: INFO\n", 6, 23},
		{"double quoted escaped line break", "- rule: r\n  desc: d\n  condition: \"evt.type=open and \\\n    proc.name=cat cat\"\n  output: o\n  priority: INFO\n", 4, 19},
		{"double quoted hex escape", "- rule: r\n  desc: d\n  condition: \"evt.type=open and proc.name=\\x63at cat\"\n  output: o\n  priority: INFO\n", 3, 50},
		{"inside a macro", "- macro: m\n  condition: >\n    proc.name=cat\n    and proc.nope=1\n- rule: r\n  desc: d\n  condition: evt.type=open and m\n  output: o\n  priority: INFO\n", 4, 9},
		{"after list substitution", "- list: l\n  items: [a, b]\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.name in (l) and proc.nope=1\n  output: o\n  priority: INFO\n", 5, 53},
		{"undefined macro", "- rule: r\n  desc: d\n  condition: evt.type=open and\n    not nomacro\n  output: o\n  priority: INFO\n", 4, 9},
		{"exception comp", "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, proc.pid]\n      comps: [=, contains]\n      values:\n        - [a, b]\n", 9, 18},
		{"output field", "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: \"file %fd.name by %proc.nope\"\n  priority: INFO\n", 4, 30},
		{"appended condition", "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n- rule: r\n  condition: and proc.nope=1\n  append: true\n", 7, 18},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml)
			e := firstError(t, err)
			want := rules.Position{File: "a.yaml", Line: tc.line, Col: tc.col}
			if e.Pos != want {
				t.Errorf("position %v, want %v:\n%s", e.Pos, want, e.Detail())
			}
			if e.Snippet == "" {
				t.Errorf("no snippet")
			}
		})
	}
}

// TestWarningPositionInMacro checks that a warning about a field written
// in a macro points at the macro's text, and is reported once.
func TestWarningPositionInMacro(t *testing.T) {
	set := mustLoad(t, `- macro: exit_open
  condition: evt.type=open and
    evt.dir=<
- rule: r1
  desc: d
  condition: exit_open and proc.name=cat
  output: o
  priority: INFO
- rule: r2
  desc: d
  condition: exit_open and proc.name=dog
  output: o
  priority: INFO
`)
	var got []rules.Position
	for _, w := range set.Warnings {
		if w.Code == rules.WarnCondition {
			got = append(got, w.Pos)
		}
	}
	want := []rules.Position{{File: "a.yaml", Line: 3, Col: 5}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("warnings at %v, want %v", got, want)
	}
}
