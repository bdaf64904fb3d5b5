package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules/describe"
)

// runRules runs `retrace rules ARGS...` and returns stdout, stderr and the
// exit code main would use.
func runRules(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"rules"}, args...))
	err := root.Execute()
	code := exitOK
	if err != nil {
		code = exitUsage
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
	}
	return out.String(), errOut.String(), code
}

func TestRulesValidate(t *testing.T) {
	rulesDir := testutil.SharedFile(t, "falco-rules")
	testsDir := testutil.SharedFile(t, "falco-tests", "rules")
	tests := []struct {
		name     string
		files    []string
		wantCode int
		stdout   string // a line stdout must contain
		stderr   string // text stderr must contain
	}{
		{"stable", []string{filepath.Join(rulesDir, "falco_rules.yaml")}, exitOK,
			"requires plugin container >= 0.4.0: provided by retrace's built-in fields", ""},
		{"stable incubating", []string{filepath.Join(rulesDir, "falco_rules.yaml"), filepath.Join(rulesDir, "falco-incubating_rules.yaml")},
			exitOK, "falco-incubating_rules.yaml: Ok", ""},
		{"stable sandbox", []string{filepath.Join(rulesDir, "falco_rules.yaml"), filepath.Join(rulesDir, "falco-sandbox_rules.yaml")},
			exitOK, "falco-sandbox_rules.yaml: Ok", ""},
		{"stable incubating sandbox", []string{filepath.Join(rulesDir, "falco_rules.yaml"),
			filepath.Join(rulesDir, "falco-incubating_rules.yaml"), filepath.Join(rulesDir, "falco-sandbox_rules.yaml")},
			exitOK, "falco-sandbox_rules.yaml: Ok", ""},
		{"0.32", []string{filepath.Join(rulesDir, "falco_rules-0.32.yaml")}, exitOK, "falco_rules-0.32.yaml: Ok", "warning:"},
		{"0.33", []string{filepath.Join(rulesDir, "falco_rules-0.33.yaml")}, exitOK, "Ok", ""},
		{"1.0.1", []string{filepath.Join(rulesDir, "falco_rules-1.0.1.yaml")}, exitOK, "Ok", ""},
		{"base then broken append", []string{filepath.Join(testsDir, "invalid_base_macro.yaml"), filepath.Join(testsDir, "invalid_append_macro.yaml")},
			exitFailure, "invalid_append_macro.yaml: 1 errors", "invalid_append_macro.yaml:2:14: error: macro \"some macro\""},
		{"unknown field", []string{filepath.Join(testsDir, "skip_unknown_error.yaml")}, exitFailure, "1 errors", "unknown field 'proc.nobody'"},
		{"missing file", []string{filepath.Join(testsDir, "no_such_file.yaml")}, exitFailure, "", "no_such_file.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, f := range tc.files {
				args = append(args, "-r", f)
			}
			out, errOut, code := runRules(t, append([]string{"validate"}, args...)...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
		})
	}
}

func TestRulesListShowFields(t *testing.T) {
	stable := testutil.SharedFile(t, "falco-rules", "falco_rules.yaml")
	out, errOut, code := runRules(t, "list", "--json", "-r", stable)
	if code != exitOK {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	var list []describe.Rule
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v", err)
	}
	if len(list) != 25 {
		t.Errorf("list: %d rules, want 25", len(list))
	}
	found := false
	for _, r := range list {
		if r.Name == "Terminal shell in container" {
			found = true
			if r.Priority != "Notice" || r.Source != "syscall" || strings.Join(r.EventTypes, ",") != "execve,execveat" {
				t.Errorf("list: %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("list: no Terminal shell in container")
	}

	out, _, code = runRules(t, "list", "-r", stable)
	if code != exitOK || !strings.HasPrefix(out, "RULE") || !strings.Contains(out, "Terminal shell in container") {
		t.Errorf("list: exit %d:\n%s", code, out)
	}

	out, _, code = runRules(t, "show", "Terminal shell in container", "-r", stable)
	if code != exitOK || !strings.Contains(out, "expanded condition") || !strings.Contains(out, "proc.name in (ash, bash") {
		t.Errorf("show: exit %d:\n%s", code, out)
	}
	if _, _, code = runRules(t, "show", "no such rule", "-r", stable); code != exitUsage {
		t.Errorf("show of a missing rule: exit %d, want %d", code, exitUsage)
	}

	out, _, code = runRules(t, "fields", "--json")
	var fields []describe.Field
	if err := json.Unmarshal([]byte(out), &fields); code != exitOK || err != nil {
		t.Fatalf("fields: exit %d, %v", code, err)
	}
	names := map[string]describe.Field{}
	for _, f := range fields {
		names[f.Name] = f
	}
	for _, want := range []string{"proc.name", "proc.aname", "evt.type", "fd.name", "container.id"} {
		if f, ok := names[want]; !ok || f.Desc == "" || f.Type == "" {
			t.Errorf("fields: %s missing or incomplete: %+v", want, f)
		}
	}
}

func TestRulesValidateJSON(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-tests", "rules")
	out, _, code := runRules(t, "validate", "--json", "-r", filepath.Join(dir, "invalid_base_macro.yaml"),
		"-r", filepath.Join(dir, "invalid_append_macro.yaml"))
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	var res describe.Validation
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if res.OK || len(res.Errors) != 1 || res.Errors[0].Code != "condition-syntax" || res.Errors[0].Line != 2 || res.Errors[0].Col != 14 {
		t.Errorf("result %+v", res)
	}
	if len(res.Files) != 2 || len(res.Warnings) == 0 {
		t.Errorf("files %v, %d warnings", res.Files, len(res.Warnings))
	}
}
