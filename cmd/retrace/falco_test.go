package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/rules"
)

// falcoSpec is one test of Falco 0.32's test specification
// (falco_tests.yaml, falco_tests_exceptions.yaml), with the keys retrace
// acts on.
type falcoSpec struct {
	Detect            *bool               `yaml:"detect"`
	DetectLevel       stringList          `yaml:"detect_level"`
	DetectCounts      []map[string]int    `yaml:"detect_counts"`
	TraceFile         string              `yaml:"trace_file"`
	RulesFile         stringList          `yaml:"rules_file"`
	ValidateRulesFile stringList          `yaml:"validate_rules_file"`
	AllEvents         bool                `yaml:"all_events"`
	RunTags           []string            `yaml:"run_tags"`
	DisableTags       []string            `yaml:"disable_tags"`
	DisabledRules     []string            `yaml:"disabled_rules"`
	Priority          string              `yaml:"priority"`
	JSONOutput        bool                `yaml:"json_output"`
	JSONIncludeOutput *bool               `yaml:"json_include_output_property"`
	JSONIncludeTags   *bool               `yaml:"json_include_tags_property"`
	ConfFile          string              `yaml:"conf_file"`
	ExitStatus        int                 `yaml:"exit_status"`
	StdoutContains    stringList          `yaml:"stdout_contains"`
	StderrContains    stringList          `yaml:"stderr_contains"`
	StrictlyContains  []map[string]string `yaml:"output_strictly_contains"`
	RulesWarning      yaml.Node           `yaml:"rules_warning"`
	TimeISO8601       bool                `yaml:"time_iso_8601"`
}

// stringList decodes a YAML scalar or sequence of scalars.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = []string{n.Value}
		return nil
	case yaml.SequenceNode:
		var v []string
		if err := n.Decode(&v); err != nil {
			return err
		}
		*s = v
		return nil
	}
	return fmt.Errorf("line %d: want a string or a list of strings", n.Line)
}

type namedSpec struct {
	name string
	spec falcoSpec
}

// readFalcoSpecs reads the tests of one specification file, in file order.
func readFalcoSpecs(t *testing.T, path string) []namedSpec {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	root := doc.Content[0]
	var mux *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "trace_files" {
			mux = root.Content[i+1]
		}
	}
	if mux == nil {
		t.Fatalf("%s: no trace_files", path)
	}
	var out []namedSpec
	for i := 0; i+1 < len(mux.Content); i += 2 {
		var s falcoSpec
		if err := mux.Content[i+1].Decode(&s); err != nil {
			t.Fatalf("%s: test %s: %v", path, mux.Content[i].Value, err)
		}
		out = append(out, namedSpec{mux.Content[i].Value, s})
	}
	return out
}

// unsupportedConfs are Falco configuration files whose behaviour retrace
// does not reproduce, with the compatibility row explaining why.
var unsupportedConfs = map[string]string{
	"confs/grpc_unix_socket.yaml":    "FALCO-OUTPUT-CHANNELS",
	"confs/drops_none.yaml":          "FALCO-DROP-ACTIONS",
	"confs/drops_ignore.yaml":        "FALCO-DROP-ACTIONS",
	"confs/drops_ignore_log.yaml":    "FALCO-DROP-ACTIONS",
	"confs/drops_threshold_oor.yaml": "FALCO-DROP-ACTIONS",
	"confs/drops_threshold_neg.yaml": "FALCO-DROP-ACTIONS",
	"confs/drops_log.yaml":           "FALCO-DROP-ACTIONS",
	"confs/drops_alert.yaml":         "FALCO-DROP-ACTIONS",
	"confs/drops_exit.yaml":          "FALCO-DROP-ACTIONS",
}

// falcoErrorCodes maps fragments of Falco's load-error messages to the
// diagnostic code retrace gives the same problem (retrace words its
// messages differently: row FALCO-ERROR-TEXT).
var falcoErrorCodes = []struct {
	fragment string
	code     rules.Code
}{
	{"has 'append' key but no", rules.CodeNoPrevious},
	{"nonexistent field", rules.CodeUnknownField},
	{"Rules require engine version", rules.CodeEngineVersion},
}

// knownDifference fails the test unless id is documented in
// docs/COMPATIBILITY.md, and returns its text.
func knownDifference(t *testing.T, id string) string {
	t.Helper()
	e, err := compat.Known(id)
	if err != nil {
		t.Fatal(err)
	}
	return e.Difference
}

// TestFalcoAcceptance runs Falco 0.32's own test expectations against
// `retrace replay --compat falco-0.32` on the shared captures.
func TestFalcoAcceptance(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-tests")
	captures := testutil.SharedFile(t, "captures")
	var specs []namedSpec
	for _, f := range []string{"falco_tests.yaml", "falco_tests_exceptions.yaml"} {
		specs = append(specs, readFalcoSpecs(t, filepath.Join(dir, f))...)
	}
	if len(specs) < 100 {
		t.Fatalf("read %d tests; the specification has more than 100", len(specs))
	}
	ran := 0
	for _, ns := range specs {
		t.Run(ns.name, func(t *testing.T) {
			runFalcoSpec(t, ns.spec, dir, captures)
			ran++
		})
	}
	if ran < 60 {
		t.Errorf("only %d Falco tests ran; expected at least 60", ran)
	}
}

// runFalcoSpec runs one Falco test.
func runFalcoSpec(t *testing.T, s falcoSpec, dir, captures string) {
	if len(s.ValidateRulesFile) > 0 {
		t.Skip("rule validation (falco -V): checked by rules/falcotests_test.go")
	}
	trace := filepath.Join(captures, "falco_"+strings.TrimPrefix(s.TraceFile, "trace_files/"))
	if !strings.HasPrefix(s.TraceFile, "trace_files/") {
		trace = ""
	}
	if trace == "" {
		t.Skipf("trace %s is not among ../shared/captures", s.TraceFile)
	}
	if _, err := os.Stat(trace); err != nil {
		testutil.SkipMissing(t, "trace %s is not available in ../shared/captures", s.TraceFile)
	}
	if id, ok := unsupportedConfs[s.ConfFile]; ok {
		t.Skipf("%s: %s", id, knownDifference(t, id))
	}
	args := []string{"replay", "--compat", detect.CompatFalco032, "--quiet", trace}
	// Falco's json_include_* options, as falco -o overrides.
	if s.JSONIncludeOutput != nil {
		args = append(args, "-o", fmt.Sprintf("json_include_output_property=%t", *s.JSONIncludeOutput))
	}
	if s.JSONIncludeTags != nil {
		args = append(args, "-o", fmt.Sprintf("json_include_tags_property=%t", *s.JSONIncludeTags))
	}
	for _, r := range s.RulesFile {
		args = append(args, "-r", filepath.Join(dir, r))
	}
	if s.AllEvents {
		args = append(args, "-A")
	}
	for _, tag := range s.RunTags {
		args = append(args, "-t", tag)
	}
	for _, tag := range s.DisableTags {
		args = append(args, "-T", tag)
	}
	for _, r := range s.DisabledRules {
		args = append(args, "-D", r)
	}
	if s.Priority != "" {
		args = append(args, "-p", s.Priority)
	}
	if len(s.RulesFile) == 0 {
		checkBuiltinRulesLoad(t)
	}

	jsonOut, _, err := runRetrace(t, append(slices.Clone(args), "-o", "json")...)
	if s.ExitStatus != 0 {
		checkFalcoFailure(t, s, err)
		return
	}
	if err != nil {
		t.Fatalf("retrace %s: %v", strings.Join(args, " "), err)
	}
	alerts := parseAlerts(t, jsonOut)
	if len(s.StderrContains) > 0 {
		t.Logf("stderr_contains not checked: %s", knownDifference(t, "FALCO-LOG-LINES"))
	}
	if s.RulesWarning.Kind != 0 {
		t.Log("rules_warning: checked by rules/falcotests_test.go")
	}

	if s.Detect != nil {
		if *s.Detect && len(alerts) == 0 {
			t.Errorf("detect: want detections, got none")
		}
		if !*s.Detect && len(alerts) > 0 {
			t.Errorf("detect: want none, got %d, first: %s", len(alerts), alerts[0]["output"])
		}
	}
	if s.Detect != nil && *s.Detect {
		levels := map[string]bool{}
		for _, a := range alerts {
			levels[strings.ToLower(fmt.Sprint(a["priority"]))] = true
		}
		for _, l := range s.DetectLevel {
			want := strings.ToLower(l)
			if want == "info" {
				want = "informational"
			}
			if !levels[want] {
				t.Errorf("detect_level: no %s alert (levels seen: %v)", l, levels)
			}
		}
	}
	for _, m := range s.DetectCounts {
		for rule, want := range m {
			got := 0
			for _, a := range alerts {
				if a["rule"] == rule {
					got++
				}
			}
			if got != want {
				t.Errorf("detect_counts: rule %q: got %d alerts, want %d", rule, got, want)
			}
		}
	}

	stdout := jsonOut
	if !s.JSONOutput && (len(s.StdoutContains) > 0 || len(s.StrictlyContains) > 0) {
		stdout, _, err = runRetrace(t, args...)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, pat := range s.StdoutContains {
		checkStdoutContains(t, stdout, pat)
	}
	for _, m := range s.StrictlyContains {
		for dest, want := range m {
			got := stdout
			if dest != "stdout" {
				// Falco's file output: the same lines, written to --out;
				// its program output: the lines a program reads.
				out := filepath.Join(t.TempDir(), "out.txt")
				runArgs := append(slices.Clone(args), "--out", out)
				if s.ConfFile == "confs/program_output.yaml" {
					runArgs = append(slices.Clone(args), "-o", "stdout_output.enabled=false",
						"-o", "program_output.enabled=true", "-o", "program_output.program=cat >> "+out)
				}
				if _, _, err := runRetrace(t, runArgs...); err != nil {
					t.Fatal(err)
				}
				if got, err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
			}
			checkStrictOutput(t, got, filepath.Join(dir, want), s.JSONOutput)
		}
	}
}

// checkStdoutContains checks one stdout_contains pattern. Falco's test
// framework uses Python regular expressions; the negative lookahead
// "^(?!X)" that Go lacks is checked as "no line matches X" (stricter
// than Python's search, which looks at the first line only).
func checkStdoutContains(t *testing.T, stdout []byte, pat string) {
	t.Helper()
	if inner, ok := strings.CutPrefix(pat, "^(?!"); ok && strings.HasSuffix(inner, ")") {
		re, err := regexp.Compile(strings.TrimSuffix(inner, ")"))
		if err != nil {
			t.Fatalf("stdout_contains %q: %v", pat, err)
		}
		for _, l := range bytes.Split(stdout, []byte("\n")) {
			if re.Match(l) {
				t.Errorf("stdout line matches %q, which it must not:\n%s", inner, l)
			}
		}
		return
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		t.Fatalf("stdout_contains %q: %v", pat, err)
	}
	if !re.Match(stdout) {
		t.Errorf("stdout does not match %q:\n%s", pat, stdout)
	}
}

// checkBuiltinRulesLoad checks that the built-in rules load without
// warnings, as Falco's builtin_rules_no_warnings expects of its default
// rules.
func checkBuiltinRulesLoad(t *testing.T) {
	t.Helper()
	set, err := detect.LoadRules(nil, newTestRegistry())
	if err != nil {
		t.Fatalf("built-in rules: %v", err)
	}
	for _, w := range set.Warnings {
		t.Errorf("built-in rules: warning %s", w.String())
	}
}

// checkFalcoFailure checks a run that Falco expects to fail.
func checkFalcoFailure(t *testing.T, s falcoSpec, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("want failure (Falco exits %d), got success", s.ExitStatus)
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.code == exitOK {
		t.Fatalf("want a non-zero exit code, got %v", err)
	}
	for _, msg := range s.StderrContains {
		var le *rules.LoadError
		if errors.As(err, &le) {
			code := rules.Code("")
			for _, fc := range falcoErrorCodes {
				if strings.Contains(msg, fc.fragment) {
					code = fc.code
					break
				}
			}
			if code == "" {
				t.Fatalf("no diagnostic code known for Falco's message %q", msg)
			}
			if !slices.ContainsFunc(le.Errors, func(e *rules.Error) bool { return e.Code == code }) {
				t.Errorf("want a %s error for Falco's %q, got %v", code, msg, err)
			}
			knownDifference(t, "FALCO-ERROR-TEXT")
			continue
		}
		// Falco's runtime errors: the same sentence, without Falco's
		// "Runtime error: " prefix and " Exiting." suffix.
		core := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(msg, "Runtime error: "), " Exiting."), ".")
		re, rerr := regexp.Compile("(?i)" + core)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if !re.MatchString(err.Error()) {
			t.Errorf("error %q does not match Falco's %q", err, core)
		}
		knownDifference(t, "FALCO-ERROR-TEXT")
	}
}

// checkStrictOutput compares output with one of Falco's output_files: text
// byte for byte (Falco's file lacks the final newline), JSON field for
// field after parsing each line.
func checkStrictOutput(t *testing.T, got []byte, wantFile string, isJSON bool) {
	t.Helper()
	want, err := os.ReadFile(wantFile)
	if err != nil {
		t.Fatal(err)
	}
	if !isJSON {
		if !bytes.Contains(got, want) {
			t.Errorf("output does not contain %s byte for byte:\n%s", wantFile, cmp.Diff(string(want), string(got)))
		}
		return
	}
	knownDifference(t, "JSON-HOSTNAME")
	knownDifference(t, "JSON-PROVENANCE")
	gotAlerts := parseAlerts(t, got)
	for _, a := range gotAlerts {
		delete(a, "hostname")
		delete(a, "provenance")
	}
	wantAlerts := parseAlerts(t, want)
	if diff := cmp.Diff(wantAlerts, gotAlerts); diff != "" {
		t.Errorf("JSON alerts differ from %s (-want +got):\n%s", wantFile, diff)
	}
}

// parseAlerts parses JSON lines.
func parseAlerts(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		out = append(out, m)
	}
	return out
}
