package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// falcoMessageCodes maps the messages of Falco 0.32's rule-loading test
// expectations to the diagnostic codes retrace reports for the same
// problem. The first matching fragment wins, so more specific ones come
// first.
var falcoMessageCodes = []struct {
	fragment string
	code     rules.Code
}{
	{"Rules content is not yaml array of objects", rules.CodeNotSequence},
	{"Rules content is not yaml", rules.CodeNotYAML},
	{"Unexpected element type", rules.CodeItemNotMap},
	{"Value of required_engine_version must be a number", rules.CodeBadValue},
	{"Rules require engine version", rules.CodeEngineVersion},
	{"must have property items", rules.CodeMissingKey},
	{"must have property condition", rules.CodeMissingKey},
	{"Rule must have properties", rules.CodeMissingKey},
	{"must have fields property", rules.CodeMissingKey},
	{"must have name property", rules.CodeMissingKey},
	{"Appended rule must have exceptions or condition property", rules.CodeAppendEmpty},
	{"has 'append' key but no", rules.CodeNoPrevious},
	{"Undefined macro", rules.CodeUndefinedMacro},
	{"unexpected token", rules.CodeConditionSyntax},
	{"name is empty", rules.CodeEmptyValue},
	{"Invalid output format", rules.CodeOutput},
	{"nonexistent field", rules.CodeUnknownField},
	{"is not a supported filter field", rules.CodeUnknownField},
	{"is not a supported comparison operator", rules.CodeUnknownOperator},
	{"fields and comps lists must have equal length", rules.CodeException},
	{"fields and values lists must have equal length", rules.CodeException},
}

// falcoWarningCodes gives, per test, the warning codes that stand for
// the warnings Falco 0.32 expected for the listed rules.
var falcoWarningCodes = map[string][]rules.Code{
	"test_warnings":      {rules.WarnNoEventType, rules.WarnTooManyEventTypes},
	"skip_unknown_noevt": {rules.WarnUnknownFilter},
}

// falcoNoMessage gives the expected code of failing tests whose
// expectation has no message text.
var falcoNoMessage = map[string]rules.Code{
	"invalid_yaml_parse_error": rules.CodeYAMLParse,
}

func codeForMessage(msg string) (rules.Code, bool) {
	for _, m := range falcoMessageCodes {
		if strings.Contains(msg, m.fragment) {
			return m.code, true
		}
	}
	return "", false
}

// falcoTest is one entry of Falco's test specification that loads rules.
type falcoTest struct {
	name     string
	files    []string
	wantCode rules.Code // empty: the files must load without error
	warnings []string   // rules_warning: rules that must draw a warning
	events   map[string][]string
}

// readFalcoTests reads the rule-loading expectations of a Falco test
// specification file.
func readFalcoTests(t *testing.T, path string) []falcoTest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	root := doc.Content[0]
	var tests []falcoTest
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "trace_files" {
			continue
		}
		mux := root.Content[i+1]
		for j := 0; j+1 < len(mux.Content); j += 2 {
			name, spec := mux.Content[j].Value, mux.Content[j+1]
			var raw struct {
				ExitStatus     *int                  `yaml:"exit_status"`
				RulesFile      any                   `yaml:"rules_file"`
				ValidateFile   any                   `yaml:"validate_rules_file"`
				StdoutIs       string                `yaml:"stdout_is"`
				StdoutContains any                   `yaml:"stdout_contains"`
				StderrContains any                   `yaml:"stderr_contains"`
				RulesWarning   any                   `yaml:"rules_warning"`
				RulesEvents    []map[string][]string `yaml:"rules_events"`
			}
			if err := spec.Decode(&raw); err != nil {
				t.Fatalf("decode test %s: %v", name, err)
			}
			files := stringList(raw.ValidateFile)
			if len(files) == 0 {
				files = stringList(raw.RulesFile)
			}
			if len(files) == 0 {
				continue
			}
			ft := falcoTest{name: name, files: files, warnings: stringList(raw.RulesWarning)}
			if raw.ExitStatus != nil && *raw.ExitStatus == 1 {
				msg := raw.StdoutIs + strings.Join(stringList(raw.StdoutContains), "\n") +
					strings.Join(stringList(raw.StderrContains), "\n")
				if code, ok := codeForMessage(msg); ok {
					ft.wantCode = code
				} else if code, ok := falcoNoMessage[name]; ok {
					ft.wantCode = code
				}
				// Other failures are not about rules (drop monitoring,
				// conflicting options): the rules themselves load.
			}
			if len(raw.RulesEvents) > 0 {
				ft.events = map[string][]string{}
				for _, m := range raw.RulesEvents {
					for k, v := range m {
						ft.events[k] = v
					}
				}
			}
			tests = append(tests, ft)
		}
	}
	return tests
}

func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// TestFalcoTestSpecs runs the rule-loading expectations of Falco's own
// test suite: which files load, which fail and with what kind of error,
// which rules draw warnings and which event types each rule matches.
func TestFalcoTestSpecs(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-tests")
	opts := testOptions(t)
	for _, spec := range []string{"falco_tests.yaml", "falco_tests_exceptions.yaml"} {
		for _, ft := range readFalcoTests(t, filepath.Join(dir, spec)) {
			t.Run(ft.name, func(t *testing.T) {
				var paths []string
				for _, f := range ft.files {
					paths = append(paths, filepath.Join(dir, f))
				}
				set, err := rules.Load(paths, opts)
				if ft.wantCode == "" {
					if err != nil {
						var le *rules.LoadError
						if errors.As(err, &le) {
							for _, e := range le.Errors {
								t.Errorf("%s", e.Detail())
							}
						}
						t.Fatalf("load %v: %v", ft.files, err)
					}
				} else {
					var le *rules.LoadError
					if !errors.As(err, &le) {
						t.Fatalf("load %v: got %v, want a %s error", ft.files, err, ft.wantCode)
					}
					if le.Errors[0].Code != ft.wantCode {
						t.Errorf("first error has code %s, want %s: %s", le.Errors[0].Code, ft.wantCode, le.Errors[0].Detail())
					}
					for _, e := range le.Errors {
						if e.Pos.File == "" || e.Message == "" {
							t.Errorf("error without position or message: %#v", e)
						}
					}
					return
				}
				codes, ok := falcoWarningCodes[ft.name]
				if len(ft.warnings) > 0 && !ok {
					if _, err := compat.Known("DROP-SIMPLE-CONS-032"); err != nil || ft.name != "syscalls" {
						t.Fatalf("no warning codes known for test %s", ft.name)
					}
				}
				for _, name := range ft.warnings {
					if ok && !slices.ContainsFunc(set.Warnings, func(d rules.Diagnostic) bool {
						return d.Name == name && slices.Contains(codes, d.Code)
					}) {
						t.Errorf("no %v warning for rule %q", codes, name)
					}
				}
				for name, want := range ft.events {
					r := set.Rule(name)
					if r == nil {
						t.Errorf("rule %q not loaded", name)
						continue
					}
					got := r.EventTypes
					if r.AllEventTypes {
						got = []string{"all"}
					}
					want = slices.Sorted(slices.Values(want))
					if slices.Equal(want, []string{"all"}) && !r.AllEventTypes && len(got) > 0 {
						// Falco 0.32 gave up at negations; current libs narrow.
						if _, err := compat.Known("EVTTYPES-NEGATION-032"); err == nil {
							continue
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("rule %q: event types %v, want %v", name, got, want)
					}
				}
			})
		}
	}
}
