package rules_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/rules"
)

// load loads in-memory files named a.yaml, b.yaml, ... in order.
func load(t *testing.T, files ...string) (*rules.Set, error) {
	t.Helper()
	var fs []rules.File
	for i, f := range files {
		fs = append(fs, rules.File{Name: fmt.Sprintf("%c.yaml", 'a'+i), Data: []byte(f)})
	}
	return rules.LoadFiles(fs, testOptions(t))
}

// mustLoad loads files and fails the test on any error.
func mustLoad(t *testing.T, files ...string) *rules.Set {
	t.Helper()
	set, err := load(t, files...)
	if err != nil {
		var le *rules.LoadError
		if errors.As(err, &le) {
			for _, e := range le.Errors {
				t.Log(e.Detail())
			}
		}
		t.Fatalf("load: %v", err)
	}
	return set
}

// firstError returns the first load error, failing when there is none.
func firstError(t *testing.T, err error) *rules.Error {
	t.Helper()
	var le *rules.LoadError
	if !errors.As(err, &le) || len(le.Errors) == 0 {
		t.Fatalf("got %v, want a load error", err)
	}
	return le.Errors[0]
}

const openRule = `
- rule: r
  desc: d
  condition: evt.type=open
  output: o %proc.name
  priority: WARNING
`

func TestExceptionConditions(t *testing.T) {
	tests := []struct {
		name       string
		cond       string
		exceptions string
		want       string
	}{
		{
			name: "two fields default comps",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.name, fd.name]
      values:
        - [nginx, /tmp/foo]
        - [apache, "/tmp/x y"]`,
			// Falco writes " and " then " field": two spaces.
			want: `(evt.type=open) and not (( proc.name = nginx and  fd.name = /tmp/foo) or ( proc.name = apache and  fd.name = "/tmp/x y"))`,
		},
		{
			name: "comps with a list value",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.name, fd.name]
      comps: [=, in]
      values:
        - [cat, [/dev/null, "/a b"]]`,
			want: `(evt.type=open) and not (( proc.name = cat and  fd.name in (/dev/null, "/a b")))`,
		},
		{
			name: "list operator with a scalar value is parenthesised",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.name, fd.directory]
      comps: [" = ", pmatch]
      values:
        - [cat, (/tmp)]
        - [dog, /var]`,
			want: `(evt.type=open) and not (( proc.name = cat and  fd.directory pmatch (/tmp)) or ( proc.name = dog and  fd.directory pmatch (/var)))`,
		},
		{
			name: "single field defaults to in",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: proc.name
      values: [cat, "my cat"]`,
			want: `(evt.type=open) and not (proc.name in (cat, "my cat"))`,
		},
		{
			name: "single field pmatch",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: fd.name
      comps: pmatch
      values: [/tmp, /var/tmp]`,
			want: `(evt.type=open) and not (fd.name pmatch (/tmp, /var/tmp))`,
		},
		{
			name: "modifier operator takes a list",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.name, fd.name]
      comps: [=, startswith oneof]
      values:
        - [cat, /tmp]`,
			want: `(evt.type=open) and not (( proc.name = cat and  fd.name startswith oneof (/tmp)))`,
		},
		{
			name: "single field with a modifier operator",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: fd.name
      comps: endswith anyof
      values: [.log, .tmp]`,
			want: `(evt.type=open) and not (fd.name endswith anyof (.log, .tmp))`,
		},
		{
			name: "transformer field",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [tolower(proc.name)]
      values: [[cat]]`,
			want: `(evt.type=open) and not (( tolower(proc.name) = cat))`,
		},
		{
			name: "no values adds nothing",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.name]`,
			want: `(evt.type=open)`,
		},
		{
			name: "already quoted values are kept",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.cmdline]
      comps: [contains]
      values:
        - ["'a b'"]`,
			want: `(evt.type=open) and not (( proc.cmdline contains 'a b'))`,
		},
		{
			name: "several exceptions",
			cond: "evt.type=open",
			exceptions: `
    - name: ex1
      fields: [proc.name]
      values: [[cat]]
    - name: ex2
      fields: proc.pname
      values: [bash]`,
			want: `(evt.type=open) and not (( proc.name = cat)) and not (proc.pname in (bash))`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := mustLoad(t, fmt.Sprintf(`
- rule: r
  desc: d
  condition: %s
  output: o
  priority: WARNING
  exceptions:%s
`, tc.cond, tc.exceptions))
			if got := set.Rule("r").WithExceptions; got != tc.want {
				t.Errorf("condition with exceptions:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestExceptionErrors(t *testing.T) {
	tests := []struct {
		name string
		exc  string
		want rules.Code
	}{
		{"no fields", "[{name: ex1}]", rules.CodeMissingKey},
		{"no name", "[{fields: [proc.name]}]", rules.CodeMissingKey},
		{"unknown field", "[{name: ex1, fields: [not.exist]}]", rules.CodeUnknownField},
		{"unknown comp", "[{name: ex1, fields: [proc.name], comps: [nope]}]", rules.CodeUnknownOperator},
		{"comps length", "[{name: ex1, fields: [proc.name, fd.name], comps: [=]}]", rules.CodeException},
		{"values length", "[{name: ex1, fields: [proc.name, fd.name], values: [[a]]}]", rules.CodeException},
		{"single field with =", "[{name: ex1, fields: proc.name, comps: =, values: [a]}]", rules.CodeException},
		{"modifier on a list operator", "[{name: ex1, fields: [proc.name], comps: [in oneof], values: [[a]]}]", rules.CodeUnknownOperator},
		{"single field list value", "[{name: ex1, fields: proc.name, values: [[a, b]]}]", rules.CodeException},
		{"not a sequence", "{name: ex1}", rules.CodeException},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, openRule+"  exceptions: "+tc.exc+"\n")
			if e := firstError(t, err); e.Code != tc.want {
				t.Errorf("code %s, want %s: %s", e.Code, tc.want, e.Detail())
			}
		})
	}
}

// ruleView is what the append/override tests compare.
type ruleView struct {
	Cond, Output, Desc string
	Priority           string
	Tags               []string
	Enabled            bool
}

func view(r *rules.Rule) ruleView {
	return ruleView{Cond: r.WithExceptions, Output: r.Output, Desc: r.Desc, Priority: r.Priority.String(), Tags: r.Tags, Enabled: r.Enabled}
}

func TestAppendOverride(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  ruleView
	}{
		{
			name:  "legacy append adds condition and exceptions",
			files: []string{openRule, "- rule: r\n  append: true\n  condition: and proc.name=cat\n"},
			want:  ruleView{Cond: "evt.type=open and proc.name=cat", Output: "o %proc.name", Desc: "d", Priority: "Warning", Tags: []string{}, Enabled: true},
		},
		{
			name: "override append and replace",
			files: []string{openRule + "  tags: [b, a]\n", `
- rule: r
  condition: and proc.name=cat
  output: (extra)
  desc: more
  tags: [c, a]
  priority: error
  enabled: false
  override:
    condition: append
    output: append
    desc: append
    tags: append
    priority: replace
    enabled: replace
`},
			want: ruleView{Cond: "evt.type=open and proc.name=cat", Output: "o %proc.name (extra)", Desc: "d more",
				Priority: "Error", Tags: []string{"a", "b", "c"}, Enabled: false},
		},
		{
			name:  "override replace condition and tags",
			files: []string{openRule + "  tags: [a]\n", "- rule: r\n  condition: evt.type=close\n  tags: [z]\n  override: {condition: replace, tags: replace}\n"},
			want:  ruleView{Cond: "evt.type=close", Output: "o %proc.name", Desc: "d", Priority: "Warning", Tags: []string{"z"}, Enabled: true},
		},
		{
			name:  "redefinition replaces the whole rule",
			files: []string{openRule + "  tags: [a]\n", "- rule: r\n  desc: d2\n  condition: evt.type=close\n  output: o2\n  priority: debug\n"},
			want:  ruleView{Cond: "evt.type=close", Output: "o2", Desc: "d2", Priority: "Debug", Tags: []string{}, Enabled: true},
		},
		{
			name:  "enabled-only toggle",
			files: []string{openRule, "- rule: r\n  enabled: false\n"},
			want:  ruleView{Cond: "evt.type=open", Output: "o %proc.name", Desc: "d", Priority: "Warning", Tags: []string{}, Enabled: false},
		},
		{
			name: "appended exception values",
			files: []string{openRule + "  exceptions: [{name: ex1, fields: [proc.name], values: [[cat]]}]\n",
				"- rule: r\n  exceptions: [{name: ex1, values: [[dog]]}, {name: ex2, fields: proc.pname, values: [sh]}]\n  override: {exceptions: append}\n"},
			want: ruleView{Cond: "(evt.type=open) and not (( proc.name = cat) or ( proc.name = dog)) and not (proc.pname in (sh))",
				Output: "o %proc.name", Desc: "d", Priority: "Warning", Tags: []string{}, Enabled: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := mustLoad(t, tc.files...)
			if diff := cmp.Diff(tc.want, view(set.Rule("r"))); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListMacroAppend(t *testing.T) {
	set := mustLoad(t, `
- list: l
  items: [a, b]
- list: l
  items: [c]
  append: true
- list: l2
  items: [x]
- list: l2
  items: [y]
  override: {items: append}
- list: l3
  items: [x]
- list: l3
  items: [z]
  override: {items: replace}
- macro: m
  condition: proc.name in (l)
- macro: m
  condition: or proc.name in (l2, l3)
  override: {condition: append}
- rule: r
  desc: d
  condition: evt.type=open and m
  output: o
  priority: INFO
`)
	r := set.Rule("r")
	want := "(evt.type = open and (proc.name in (a, b, c) or proc.name in (x, y, z)))"
	if r.Expanded() != want {
		t.Errorf("expanded:\n got %s\nwant %s", r.Expanded(), want)
	}
}

func TestAppendOverrideErrors(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  rules.Code
	}{
		{"append to missing rule", []string{"- rule: x\n  condition: and a\n  append: true\n"}, rules.CodeNoPrevious},
		{"replace on missing rule", []string{"- rule: x\n  priority: info\n  override: {priority: replace}\n"}, rules.CodeNoPrevious},
		{"append to missing macro", []string{"- macro: x\n  condition: or a\n  append: true\n"}, rules.CodeNoPrevious},
		{"append to missing list", []string{"- list: x\n  items: [a]\n  override: {items: append}\n"}, rules.CodeNoPrevious},
		{"append and override together", []string{openRule, "- rule: r\n  condition: and a\n  append: true\n  override: {condition: append}\n"}, rules.CodeOverride},
		{"override key not defined", []string{openRule, "- rule: r\n  condition: and a\n  override: {condition: append, output: append}\n"}, rules.CodeOverride},
		{"key without override entry", []string{openRule, "- rule: r\n  condition: and a\n  output: x\n  override: {condition: append}\n"}, rules.CodeOverride},
		{"priority cannot be appended", []string{openRule, "- rule: r\n  priority: info\n  override: {priority: append}\n"}, rules.CodeOverride},
		{"bad override operation", []string{openRule, "- rule: r\n  priority: info\n  override: {priority: merge}\n"}, rules.CodeOverride},
		{"replaced priority invalid", []string{openRule, "- rule: r\n  priority: loud\n  override: {priority: replace}\n"}, rules.CodeInvalidPriority},
		{"appended rule without condition", []string{openRule, "- rule: r\n  append: true\n"}, rules.CodeAppendEmpty},
		{"enabled toggle on missing rule", []string{"- rule: x\n  enabled: false\n"}, rules.CodeNoPrevious},
		{"redefined with another source", []string{openRule, "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: info\n  source: k8s_audit\n"}, rules.CodeSourceMismatch},
		{"appended exception with fields", []string{openRule + "  exceptions: [{name: e, fields: [proc.name], values: [[a]]}]\n",
			"- rule: r\n  exceptions: [{name: e, fields: [proc.name], values: [[b]]}]\n  append: true\n"}, rules.CodeException},
		{"invalid priority", []string{strings.Replace(openRule, "WARNING", "LOUD", 1)}, rules.CodeInvalidPriority},
		{"engine too new", []string{"- required_engine_version: 0.99.0\n"}, rules.CodeEngineVersion},
		{"engine major too new", []string{"- required_engine_version: 1.0.0\n"}, rules.CodeEngineVersion},
		{"engine version garbage", []string{"- required_engine_version: x.y\n"}, rules.CodeBadValue},
		{"plugin version garbage", []string{"- required_plugin_versions: [{name: container, version: latest}]\n"}, rules.CodePluginVersion},
		{"tags not a list", []string{openRule + "  tags: a\n"}, rules.CodeBadValue},
		{"enabled not a bool", []string{openRule + "  enabled: maybe\n"}, rules.CodeBadValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.files...)
			if e := firstError(t, err); e.Code != tc.want {
				t.Errorf("code %s, want %s: %s", e.Code, tc.want, e.Detail())
			}
		})
	}
}

func TestRuleOrder(t *testing.T) {
	rule := func(name, cond string) string {
		return fmt.Sprintf("- rule: %s\n  desc: d\n  condition: %s\n  output: o\n  priority: INFO\n", name, cond)
	}
	set := mustLoad(t, rule("a", "evt.type=open")+rule("b", "evt.type=close"), rule("c", "evt.type=read")+rule("a", "evt.type=write"))
	var names []string
	for _, r := range set.Rules {
		names = append(names, r.Name+":"+strings.Join(r.EventTypes, ","))
	}
	want := []string{"a:write", "b:close", "c:read"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("rule order (-want +got):\n%s", diff)
	}
}

func TestVisibility(t *testing.T) {
	const rule = "- rule: r\n  desc: d\n  condition: evt.type=open and %s\n  output: o\n  priority: INFO\n"
	tests := []struct {
		name     string
		files    []string
		wantErr  rules.Code
		expanded string
	}{
		{
			name:     "rule sees a macro defined after it",
			files:    []string{fmt.Sprintf(rule, "m") + "- macro: m\n  condition: proc.name=cat\n"},
			expanded: "(evt.type = open and proc.name = cat)",
		},
		{
			name:    "macro does not see a later macro",
			files:   []string{"- macro: a\n  condition: b\n- macro: b\n  condition: proc.name=cat\n" + fmt.Sprintf(rule, "a")},
			wantErr: rules.CodeUndefinedMacro,
		},
		{
			name: "an append makes later macros visible",
			files: []string{"- macro: a\n  condition: proc.name=x\n- macro: b\n  condition: proc.name=cat\n" +
				"- macro: a\n  condition: or b\n  append: true\n" + fmt.Sprintf(rule, "a")},
			expanded: "(evt.type = open and (proc.name = x or proc.name = cat))",
		},
		{
			name:     "macro sees an earlier macro across files",
			files:    []string{"- macro: b\n  condition: proc.name=cat\n", "- macro: a\n  condition: not b\n" + fmt.Sprintf(rule, "a")},
			expanded: "(evt.type = open and not proc.name = cat)",
		},
		{
			name:    "macro loop",
			files:   []string{"- macro: a\n  condition: proc.name=x\n- macro: a\n  condition: or a\n  append: true\n" + fmt.Sprintf(rule, "a")},
			wantErr: rules.CodeMacroLoop,
		},
		{
			name:     "list item naming a later list stays literal",
			files:    []string{"- list: a\n  items: [b, x]\n- list: b\n  items: [y]\n" + fmt.Sprintf(rule, "proc.name in (a)")},
			expanded: "(evt.type = open and proc.name in (y, x))",
		},
		{
			name:     "list item naming an earlier list is expanded",
			files:    []string{"- list: b\n  items: [y, \"z w\"]\n- list: a\n  items: [b, x]\n" + fmt.Sprintf(rule, "proc.name in (a)")},
			expanded: `(evt.type = open and proc.name in (y, "z w", x))`,
		},
		{
			name:     "empty list removes a comma",
			files:    []string{"- list: e\n  items: []\n" + fmt.Sprintf(rule, "proc.name in (cat, e)")},
			expanded: "(evt.type = open and proc.name in (cat))",
		},
		{
			name:     "list names inside words are left alone",
			files:    []string{"- list: cat\n  items: [dog]\n" + fmt.Sprintf(rule, "proc.name in (cats, cat)")},
			expanded: "(evt.type = open and proc.name in (cats, dog))",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := load(t, tc.files...)
			if tc.wantErr != "" {
				if e := firstError(t, err); e.Code != tc.wantErr {
					t.Errorf("code %s, want %s: %s", e.Code, tc.wantErr, e.Detail())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := set.Rule("r").Expanded(); got != tc.expanded {
				t.Errorf("expanded:\n got %s\nwant %s", got, tc.expanded)
			}
		})
	}
}

func TestSkipIfUnknownFilter(t *testing.T) {
	const base = "- rule: r\n  desc: d\n  condition: %s\n  output: %s\n  priority: INFO\n  skip-if-unknown-filter: %v\n"
	tests := []struct {
		name      string
		cond, out string
		skip      bool
		wantCode  rules.Code // error code, or the warning code when skipped
	}{
		{"unknown field skipped", "evt.type=open and proc.nobody=cat", "o", true, rules.WarnUnknownFilter},
		{"unknown field fails", "evt.type=open and proc.nobody=cat", "o", false, rules.CodeUnknownField},
		{"unknown output field skipped", "evt.type=open", "o %proc.nobody", true, rules.WarnUnknownFilter},
		{"unknown output field fails", "evt.type=open", "o %proc.nobody", false, rules.CodeOutput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := load(t, fmt.Sprintf(base, tc.cond, tc.out, tc.skip))
			if !tc.skip {
				if e := firstError(t, err); e.Code != tc.wantCode {
					t.Errorf("code %s, want %s: %s", e.Code, tc.wantCode, e.Detail())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Rules) != 0 {
				t.Errorf("rule was not skipped")
			}
			found := false
			for _, w := range set.Warnings {
				found = found || (w.Code == tc.wantCode && w.Name == "r")
			}
			if !found {
				t.Errorf("no %s warning in %v", tc.wantCode, set.Warnings)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	set := mustLoad(t, `
- required_engine_version: 9
- required_plugin_versions:
    - name: container
      version: 0.4.0
    - name: k8saudit
      version: 0.1.0
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: proc.name=cat
- macro: bad name
  condition: proc.name=cat
- rule: r
  desc: d
  condition: proc.name=cat
  output: o
  priority: INFO
  colour: red
- rule: aws
  desc: d
  condition: ct.name=x
  output: o
  priority: INFO
  source: aws_cloudtrail
- something: else
`)
	got := map[rules.Code][]string{}
	for _, w := range set.Warnings {
		got[w.Code] = append(got[w.Code], w.Item())
	}
	want := map[rules.Code][]string{
		rules.WarnPlugin:        {"required_plugin_versions \"k8saudit\""},
		rules.WarnUnusedList:    {`list "unused_list"`},
		rules.WarnUnusedMacro:   {`macro "unused_macro"`, `macro "bad name"`},
		rules.WarnInvalidName:   {`macro "bad name"`},
		rules.WarnUnknownKey:    {`rule "r"`},
		rules.WarnNoEventType:   {`rule "r"`},
		rules.WarnUnknownSource: {`rule "aws"`},
		rules.WarnUnknownItem:   {"item"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if v := set.RequiredEngineVersion; v != (rules.Version{Major: 0, Minor: 9}) {
		t.Errorf("required engine version %v", v)
	}
	if len(set.RequiredPlugins) != 2 || !set.RequiredPlugins[0].Satisfied || set.RequiredPlugins[1].Satisfied {
		t.Errorf("plugin requirements %+v", set.RequiredPlugins)
	}
}

func TestRulesetConcurrent(t *testing.T) {
	set := mustLoad(t, openRule)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := set.Ruleset(engine.Selection{}, engine.MatchAll); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestRuleset(t *testing.T) {
	set := mustLoad(t, openRule+"- rule: off\n  desc: d\n  condition: evt.type=close\n  output: o\n  priority: DEBUG\n  enabled: false\n")
	for i := range 2 { // the second call compiles fresh rules
		rs, err := set.Ruleset(engine.Selection{}, engine.MatchFirst)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(rs.Rules()); got != 1 {
			t.Errorf("call %d: %d rules selected, want 1", i, got)
		}
	}
}

func TestConditionErrors(t *testing.T) {
	tests := []struct {
		cond string
		want rules.Code
	}{
		{"evt.type=open and (proc.name=cat", rules.CodeConditionSyntax},
		{"evt.type=open and proc.name foo bar", rules.CodeUnknownOperator},
		{"evt.type=open and proc.name contain x", rules.CodeUnknownOperator},
		{"evt.type=open and proc.nobody=cat", rules.CodeUnknownField},
		{"evt.type=open and proc.pid contains x", rules.CodeTypeMismatch},
		{"evt.type=open and proc.pid > abc", rules.CodeConditionSyntax}, // numeric operators take numbers
		{"evt.type=open and proc.pid = abc", rules.CodeTypeMismatch},
		{"evt.type=open and toupper(proc.pid) = X", rules.CodeBadTransformer},
		{"evt.type=open and nosuchmacro", rules.CodeUndefinedMacro},
		{"evt.type=open and proc.name in nosuchlist", rules.CodeUndefinedList},
		{"evt.type=open and proc.name startswith oneof nosuchlist", rules.CodeUndefinedList},
		{"evt.type=nosuchevent", rules.CodeUnknownEventType},
		{"evt.type=open and proc.aname[x]=bash", rules.CodeBadArgument},
		{"evt.type=open and proc.name[1]=bash", rules.CodeBadArgument},
		{strings.Repeat("(", 2000) + "evt.type=open" + strings.Repeat(")", 2000), rules.CodeLimit},
	}
	for _, tc := range tests {
		t.Run(tc.cond[:min(len(tc.cond), 60)], func(t *testing.T) {
			_, err := load(t, fmt.Sprintf("- rule: r\n  desc: d\n  condition: %q\n  output: o\n  priority: INFO\n", tc.cond))
			e := firstError(t, err)
			if e.Code != tc.want {
				t.Errorf("code %s, want %s: %s", e.Code, tc.want, e.Detail())
			}
			var ee *engine.Error
			if !errors.As(e, &ee) {
				t.Errorf("error does not wrap the engine's error: %v", e)
			}
			if tc.want == rules.CodeUndefinedList {
				// Falco accepts the name as a value; the difference is listed.
				if _, err := compat.Known("RULES-UNDEFINED-LIST"); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestSubstitutionBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("- list: big\n  items: [")
	for i := range 20000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "item%d", i)
	}
	b.WriteString("]\n- rule: r\n  desc: d\n  condition: evt.type=open")
	for range 100 {
		b.WriteString(" and proc.name in (big)")
	}
	b.WriteString("\n  output: o\n  priority: INFO\n")
	_, err := load(t, b.String())
	if e := firstError(t, err); e.Code != rules.CodeLimit || e.Pos.Line != 5 {
		t.Errorf("got %s at %v, want %s on line 5: %s", e.Code, e.Pos, rules.CodeLimit, e.Message)
	}
}

func TestExpansionBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: proc.name=cat\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d or m%d\n", i, i-1, i-1)
	}
	b.WriteString("- rule: r\n  desc: d\n  condition: evt.type=open and m40\n  output: o\n  priority: INFO\n")
	_, err := load(t, b.String())
	if e := firstError(t, err); e.Code != rules.CodeLimit {
		t.Errorf("got %s, want %s: %s", e.Code, rules.CodeLimit, e.Detail())
	}
}
