package rules_test

import (
	"testing"

	"github.com/retrace-dev/retrace/rules"
)

func TestYAMLErrorLines(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
	}{
		{"first line", "this : is : not : yaml\n", 1},
		{"bad indentation", "- rule: a\n  desc: b\n condition: c\n", 3},
		{"sequence inside a mapping", "- rule: a\n  desc: b\n  - x\n", 3},
		{"mapping value in a plain scalar", "# c\n- rule: a\n  desc: b: c\n", 3},
		{"unterminated quote", "- rule: a\n  desc: \"b\n  condition: c\n", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml)
			e := firstError(t, err)
			if e.Code != rules.CodeYAMLParse || e.Pos.Line != tc.line {
				t.Errorf("got %s at line %d, want %s at line %d: %s", e.Code, e.Pos.Line, rules.CodeYAMLParse, tc.line, e.Detail())
			}
		})
	}
}
