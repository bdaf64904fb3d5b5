package engine_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
)

func TestParsePriority(t *testing.T) {
	tests := []struct {
		in   string
		want engine.Priority
	}{
		{"Emergency", engine.PriorityEmergency},
		{"ALERT", engine.PriorityAlert},
		{"critical", engine.PriorityCritical},
		{"Error", engine.PriorityError},
		{"warning", engine.PriorityWarning},
		{"NOTICE", engine.PriorityNotice},
		{"Informational", engine.PriorityInformational},
		{"info", engine.PriorityInformational},
		{"INFO", engine.PriorityInformational},
		{"debug", engine.PriorityDebug},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := engine.ParsePriority(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParsePriority(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
			}
		})
	}
	if _, err := engine.ParsePriority("urgent"); !errors.Is(err, engine.ErrUnknownPriority) {
		t.Errorf("ParsePriority(urgent) error = %v, want ErrUnknownPriority", err)
	}
	if got := engine.PriorityInformational.String(); got != "Informational" {
		t.Errorf("String() = %q", got)
	}
}

// testRules compiles rules named after their conditions.
func testRules(t *testing.T, defs []struct {
	name, cond string
	prio       engine.Priority
	tags       []string
	enabled    bool
}) []*engine.Rule {
	t.Helper()
	var rules []*engine.Rule
	for _, d := range defs {
		c, _, err := compile(t, d.cond)
		if err != nil {
			t.Fatalf("compile %q: %v", d.cond, err)
		}
		rules = append(rules, &engine.Rule{Name: d.name, Priority: d.prio, Tags: d.tags, Enabled: d.enabled,
			Source: "syscall", Condition: c})
	}
	return rules
}

func TestRuleset(t *testing.T) {
	rules := testRules(t, []struct {
		name, cond string
		prio       engine.Priority
		tags       []string
		enabled    bool
	}{
		{"open by cat", "evt.type = openat and proc.name = cat", engine.PriorityWarning, []string{"filesystem"}, true},
		{"any cat", "proc.name = cat", engine.PriorityNotice, []string{"process"}, true},
		{"etc files", "evt.type in (open, openat) and fd.name startswith /etc", engine.PriorityCritical, []string{"filesystem", "mitre"}, true},
		{"disabled", "proc.name = cat", engine.PriorityEmergency, nil, false},
		{"exec only", "evt.type = execve", engine.PriorityDebug, []string{"process"}, true},
	})
	names := func(rs []*engine.Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	ev := sampleEvent() // openat by cat of /etc/shadow
	tests := []struct {
		name string
		sel  engine.Selection
		mode engine.MatchMode
		want []string
	}{
		{"first", engine.Selection{}, engine.MatchFirst, []string{"open by cat"}},
		{"all", engine.Selection{}, engine.MatchAll, []string{"open by cat", "any cat", "etc files"}},
		{"include disabled", engine.Selection{IncludeDisabled: true}, engine.MatchAll,
			[]string{"open by cat", "any cat", "etc files", "disabled"}},
		{"tags", engine.Selection{Tags: []string{"mitre", "process"}}, engine.MatchAll, []string{"any cat", "etc files"}},
		{"exclude tags", engine.Selection{ExcludeTags: []string{"filesystem"}}, engine.MatchAll, []string{"any cat"}},
		{"disable by name", engine.Selection{Disable: []string{"cat"}}, engine.MatchAll, []string{"etc files"}},
		{"min priority", engine.Selection{MinPriority: engine.PriorityWarning}, engine.MatchAll, []string{"open by cat", "etc files"}},
		{"min priority first", engine.Selection{MinPriority: engine.PriorityCritical}, engine.MatchFirst, []string{"etc files"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := engine.NewRuleset(testTypes, rules, tc.sel, tc.mode)
			if err != nil {
				t.Fatalf("NewRuleset: %v", err)
			}
			if diff := cmp.Diff(tc.want, names(rs.Match(ev))); diff != "" {
				t.Errorf("Match (-want +got):\n%s", diff)
			}
		})
	}

	rs, err := engine.NewRuleset(testTypes, rules, engine.Selection{}, engine.MatchAll)
	if err != nil {
		t.Fatalf("NewRuleset: %v", err)
	}
	// Dispatch: only rules indexed under the event's id run.
	if diff := cmp.Diff([]string{"any cat", "exec only"}, names(rs.RulesFor(testTypes.ID("execve")))); diff != "" {
		t.Errorf("RulesFor(execve) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"any cat"}, names(rs.RulesFor(testTypes.ID("close")))); diff != "" {
		t.Errorf("RulesFor(close) (-want +got):\n%s", diff)
	}
	closeEv := &enginetest.Event{ID: testTypes.ID("close"), Values: ev.Values}
	if diff := cmp.Diff([]string{"any cat"}, names(rs.Match(closeEv))); diff != "" {
		t.Errorf("Match(close) (-want +got):\n%s", diff)
	}
	if got := rs.Match(&enginetest.Event{ID: -1}); len(got) != 0 {
		t.Errorf("Match(bad id) = %v, want none", names(got))
	}

	// A clone matches the same rules and can run concurrently with the
	// original.
	clone, err := rs.Clone()
	if err != nil {
		t.Fatalf("Clone: %v", err)
	}
	if diff := cmp.Diff(names(rs.Rules()), names(clone.Rules())); diff != "" {
		t.Errorf("clone rules (-want +got):\n%s", diff)
	}
	done := make(chan []string)
	go func() {
		var got []string
		for range 100 {
			got = names(clone.Match(ev))
		}
		done <- got
	}()
	for range 100 {
		rs.Match(ev)
	}
	if diff := cmp.Diff([]string{"open by cat", "any cat", "etc files"}, <-done); diff != "" {
		t.Errorf("clone Match (-want +got):\n%s", diff)
	}
}

func TestFormat(t *testing.T) {
	ev := sampleEvent()
	tests := []struct {
		format, text, json string
	}{
		{"File opened by %proc.name (pid=%proc.pid)", "File opened by cat (pid=1234)",
			`{"proc.name":"cat","proc.pid":1234}`},
		{"%proc.aname[2] %evt.arg.flags %evt.arg[0]", "sshd O_RDONLY|O_CLOEXEC AT_FDCWD",
			`{"proc.aname[2]":"sshd","evt.arg.flags":"O_RDONLY|O_CLOEXEC","evt.arg[0]":"AT_FDCWD"}`},
		{"missing=%evt.arg.mode port=%fd.sport", "missing=<NA> port=443",
			`{"evt.arg.mode":null,"fd.sport":443}`},
		{"%toupper(proc.name) %len(proc.cmdline)", "CAT 15", `{"toupper(proc.name)":"CAT","len(proc.cmdline)":15}`},
		{"[%6proc.name] [%2user.name]", "[cat   ] [ro]", `{"proc.name":"cat","user.name":"root"}`},
		{"ends with a dot %proc.name.", "ends with a dot cat.", `{"proc.name":"cat"}`},
		{"sure %fd.sip %evt.is_open_read %thread.cpu", "sure 10.1.2.3 true 0.25",
			`{"fd.sip":"10.1.2.3","evt.is_open_read":true,"thread.cpu":0.25}`},
		{"ancestors %proc.aname and %proc.name again %proc.name", "ancestors (bash,sshd,systemd) and cat again cat",
			`{"proc.aname":["bash","sshd","systemd"],"proc.name":"cat"}`},
		{"no fields", "no fields", `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			f, err := engine.CompileFormat(tc.format, testOpts)
			if err != nil {
				t.Fatalf("CompileFormat: %v", err)
			}
			if got := string(f.Append(nil, ev)); got != tc.text {
				t.Errorf("Append = %q, want %q", got, tc.text)
			}
			if got := string(f.AppendJSONFields(nil, ev)); got != tc.json {
				t.Errorf("AppendJSONFields = %s, want %s", got, tc.json)
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		format string
		kind   engine.ErrorKind
		want   string
	}{
		{"bad %proc.nme here", engine.KindUnknownField, "1:6: unknown field 'proc.nme'"},
		{"trailing %", engine.KindSyntax, "1:10: invalid formatting token: expected a field after '%'"},
		{"%fd.net", engine.KindType, "1:2: field 'fd.net' can only be used in conditions"},
		{"%join(proc.name)", engine.KindTransformer, "1:2: unsupported transformer 'join'"},
		{"%proc.aname[x]", engine.KindBadArgument, "1:2: bad field argument: field 'proc.aname' needs a numeric index, got 'x'"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			_, err := engine.CompileFormat(tc.format, testOpts)
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("CompileFormat error = %v, want *engine.Error", err)
			}
			if e.Kind != tc.kind || e.Error() != tc.want {
				t.Errorf("error = %v (%v), want %q (%v)", e, e.Kind, tc.want, tc.kind)
			}
		})
	}
}
