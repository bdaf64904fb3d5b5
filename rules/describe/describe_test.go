package describe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/rules"
)

func TestEventTypes(t *testing.T) {
	for _, tc := range []struct {
		r    rules.Rule
		want string
	}{
		{rules.Rule{AllEventTypes: true}, "all"},
		{rules.Rule{}, "none"},
		{rules.Rule{EventTypes: []string{"execve", "execveat"}}, "execve,execveat"},
	} {
		if got := EventTypes(&tc.r); got != tc.want {
			t.Errorf("EventTypes(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestFieldFlagsAndSyntax(t *testing.T) {
	if got := strings.Join(FieldFlags(engine.FlagFilterOnly|engine.FlagDeprecated), ","); got != "filter-only,deprecated" {
		t.Errorf("FieldFlags = %q", got)
	}
	if got := strings.Join(ArgSyntax(engine.ArgIndex|engine.ArgDotted), ","); got != "[N],.name" {
		t.Errorf("ArgSyntax = %q", got)
	}
}

func TestNewRuleJSON(t *testing.T) {
	r := &rules.Rule{Name: "r", AllEventTypes: true, Condition: "evt.type=open", Output: "o"}
	for _, tc := range []struct {
		full     bool
		wantCond string
	}{{false, ""}, {true, "evt.type=open"}} {
		var buf bytes.Buffer
		if err := writeJSON(&buf, NewRule(r, tc.full)); err != nil {
			t.Fatal(err)
		}
		var got Rule
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Condition != tc.wantCond || len(got.EventTypes) != 1 || got.EventTypes[0] != "all" {
			t.Errorf("full=%t: got %+v", tc.full, got)
		}
	}
}

func TestValidationOfFailedLoad(t *testing.T) {
	le := &rules.LoadError{Errors: []*rules.Error{{}}}
	v := NewValidation(nil, le)
	if v.OK || len(v.Errors) != 1 || v.Files == nil || v.Warnings == nil {
		t.Errorf("NewValidation = %+v", v)
	}
	var buf bytes.Buffer
	Verdicts(&buf, nil, le)
	if buf.Len() != 0 {
		t.Errorf("Verdicts without a set wrote %q", buf.String())
	}
}

func TestShowRuleUnknownName(t *testing.T) {
	set := &rules.Set{Rules: []*rules.Rule{{Name: "Read sensitive file untrusted"}, {Name: "Terminal shell in container"}}}
	var buf bytes.Buffer
	err := ShowRule(&buf, set, "Terminal shel in container", false)
	if err == nil || !strings.Contains(err.Error(), `no rule named "Terminal shel in container" (did you mean "Terminal shell in container"?)`) {
		t.Errorf("ShowRule of a typo: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("ShowRule of a typo wrote %q", buf.String())
	}
}
