package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/suite"
)

// runTestCLI runs `retrace test ARGS...` and returns its output, the error
// main would print, and the exit code.
func runTestCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"test"}, args...))
	err := root.Execute()
	code = exitOK
	if err != nil {
		fmt.Fprintf(&errb, "retrace: %v\n", err)
		code = exitUsage
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
	}
	return out.String(), errb.String(), code
}

// attackSuite returns the path of a suite of testdata/attacks.
func attackSuite(name string) string {
	return filepath.Join(testutil.RepoRoot(), "testdata", "attacks", name)
}

// sharedAvailable reports whether the falco suite's ${SHARED} resolves.
func sharedAvailable() bool {
	if dir := os.Getenv("RETRACE_SHARED"); dir != "" {
		st, err := os.Stat(dir)
		return err == nil && st.IsDir()
	}
	return suite.FindShared(filepath.Dir(attackSuite("falco-suite.yaml"))) != ""
}

func TestTestAttackSuites(t *testing.T) {
	t.Run("built-in rules", func(t *testing.T) {
		out, errs, code := runTestCLI(t, attackSuite("suite.yaml"))
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
		if strings.Contains(out, "SKIP") || !strings.Contains(out, " 0 failed, 0 errors, 0 skipped") {
			t.Fatalf("not every case passed:\n%s", out)
		}
	})
	t.Run("upstream rules", func(t *testing.T) {
		out, errs, code := runTestCLI(t, attackSuite("falco-suite.yaml"))
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
		if !sharedAvailable() {
			if strings.Contains(out, "PASS") {
				t.Fatalf("cases ran without the reference rules:\n%s", out)
			}
			testutil.SkipMissing(t, "reference data absent: every case skipped\n%s", out)
		}
		if strings.Contains(out, "SKIP") || !strings.Contains(out, " 0 failed, 0 errors, 0 skipped") {
			t.Fatalf("not every case passed:\n%s", out)
		}
	})
}

// expectedRules returns the rules a suite expects to fire, sorted.
func expectedRules(t *testing.T, path string) []string {
	t.Helper()
	s, err := suite.Load(path, suite.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range s.Cases {
		for _, n := range c.Expect.Counts {
			if n.N > 0 {
				out = append(out, n.Rule)
			}
		}
		for _, a := range c.Expect.Alerts {
			if a.Pending == "" {
				out = append(out, a.Rule)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestTestDisableEachExpectedRule disables every rule a suite expects, one
// at a time, and checks that the suite then fails with a diff naming it.
func TestTestDisableEachExpectedRule(t *testing.T) {
	for _, name := range []string{"suite.yaml", "falco-suite.yaml"} {
		t.Run(name, func(t *testing.T) {
			path := attackSuite(name)
			if name == "falco-suite.yaml" && !sharedAvailable() {
				testutil.SkipMissing(t, "reference data absent (set RETRACE_SHARED); the upstream suite's cases skip")
			}
			rules := expectedRules(t, path)
			if len(rules) == 0 {
				t.Fatal("the suite expects no detection")
			}
			for _, rule := range rules {
				t.Run(rule, func(t *testing.T) {
					t.Parallel()
					out, errs, code := runTestCLI(t, "-D", rule, path)
					if code != exitFailure {
						t.Fatalf("with -D %q: exit %d, want %d\n%s%s", rule, code, exitFailure, out, errs)
					}
					if !strings.Contains(out, fmt.Sprintf("%q", rule)) || !strings.Contains(out, "FAIL") {
						t.Fatalf("with -D %q the diff does not name the rule:\n%s", rule, out)
					}
				})
			}
		})
	}
}

// TestTestUpstreamAcceptance checks that falco-suite.yaml asserts, by
// name, the upstream detections the attack corpus must produce. Rules
// listed in notYetRecorded have no trace that can produce them yet; the
// test fails when one of them starts being asserted, so the list stays
// true.
func TestTestUpstreamAcceptance(t *testing.T) {
	required := []string{
		"Terminal shell in container",
		"Read sensitive file untrusted",
		"Write below binary dir",
		"Redirect STDOUT/STDIN to Network Connection in Container",
		"Clear Log Activities",
		"Drop and execute new binary in container",
		"Launch Privileged Container",
	}
	notYetRecorded := map[string]string{
		// rule name: why no trace produces it yet (none at the moment).
	}
	got := expectedRules(t, attackSuite("falco-suite.yaml"))
	for _, r := range required {
		asserted := slices.Contains(got, r)
		why, pending := notYetRecorded[r]
		switch {
		case asserted && pending:
			t.Errorf("%q is asserted now: remove it from notYetRecorded", r)
		case !asserted && !pending:
			t.Errorf("falco-suite.yaml does not assert %q", r)
		case pending:
			t.Logf("not yet produced by the corpus: %q (%s)", r, why)
		}
	}
}

// writeSuite writes a suite into a temporary directory.
func writeSuite(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "suite.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTestExitCodes(t *testing.T) {
	hostRead := attackSuite("shadow-read-host.scap.zst")
	garbage := filepath.Join(t.TempDir(), "garbage.scap")
	if err := os.WriteFile(garbage, []byte("this is not a capture file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	badRules := filepath.Join(t.TempDir(), "bad_rules.yaml")
	if err := os.WriteFile(badRules, []byte("- rule: Broken\n  desc: x\n  condition: (evt.type = open\n  output: x\n  priority: NOTICE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		suite string
		args  []string
		code  int
		want  string // in stdout or stderr
	}{
		{"pass", "cases:\n  - name: a\n    capture: " + hostRead + "\n    expect:\n      counts: {Read Sensitive File by Untrusted Program: 1}\n",
			nil, exitOK, "PASS  a"},
		{"count differs", "cases:\n  - name: a\n    capture: " + hostRead + "\n    expect:\n      counts: {Read Sensitive File by Untrusted Program: 2}\n",
			nil, exitFailure, `count       "Read Sensitive File by Untrusted Program": want 2, got 1`},
		{"priority filter from the command line", "cases:\n  - name: a\n    capture: " + hostRead + "\n    expect:\n      counts: {Read Sensitive File by Untrusted Program: 1}\n",
			[]string{"-p", "error"}, exitFailure, "want 1, got 0"},
		{"unknown key", "cases:\n  - name: a\n    capture: " + hostRead + "\n    exepct: {}\n",
			nil, exitUsage, `suite.yaml:4:5: cases[0]: unknown key "exepct"`},
		{"missing capture", "cases:\n  - name: a\n    capture: nope.scap.zst\n",
			nil, exitUsage, `suite.yaml:3:14: case "a": capture:`},
		{"unreadable capture", "cases:\n  - name: a\n    capture: " + garbage + "\n",
			nil, exitUsage, "ERROR a"},
		{"missing rules from the command line", "cases:\n  - name: a\n    capture: " + hostRead + "\n",
			[]string{"-r", "/nonexistent/rules.yaml"}, exitUsage, "ERROR a"},
		{"malformed rules", "cases:\n  - name: a\n    capture: " + hostRead + "\n    rules: [" + badRules + "]\n",
			nil, exitUsage, "bad_rules.yaml:3"},
		{"run filter", "cases:\n  - name: good\n    capture: " + hostRead + "\n    expect:\n      counts: {Read Sensitive File by Untrusted Program: 1}\n  - name: bad\n    capture: " + hostRead + "\n",
			[]string{"--run", "^go"}, exitOK, "1 passed, 0 failed"},
		{"run filter matching nothing", "cases:\n  - name: a\n    capture: " + hostRead + "\n",
			[]string{"--run", "zzz"}, exitUsage, `no case matches --run "zzz"`},
		{"bad priority flag", "cases:\n  - name: a\n    capture: " + hostRead + "\n",
			[]string{"-p", "loud"}, exitUsage, `parse priority "loud"`},
		{"tags with a case's disable", "cases:\n  - name: a\n    capture: " + hostRead + "\n    options: {disable: [x]}\n",
			[]string{"-t", "shell"}, exitUsage, "tags can not be combined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeSuite(t, tc.suite)
			out, errs, code := runTestCLI(t, append(tc.args, path)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(out+errs, tc.want) {
				t.Errorf("output does not contain %q:\n%s%s", tc.want, out, errs)
			}
		})
	}
	if _, _, code := runTestCLI(t); code != exitUsage {
		t.Errorf("no argument: exit %d, want %d", code, exitUsage)
	}
}

func TestTestOutputsAndUpdate(t *testing.T) {
	hostRead := attackSuite("shadow-read-host.scap.zst")
	bin := attackSuite("write-below-bin.scap.zst")
	path := writeSuite(t, "# my corpus\ncases:\n  - name: read # the host read\n    capture: "+hostRead+
		"\n  - name: bin\n    capture: "+bin+"\n    expect:\n      counts: {}\n")

	out, _, code := runTestCLI(t, "--json", path)
	if code != exitFailure {
		t.Fatalf("exit %d before update, want %d\n%s", code, exitFailure, out)
	}
	var rep struct {
		Failed int `json:"failed"`
		Cases  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Diff   struct {
				Unexpected []struct{ Rule string } `json:"unexpected"`
				Counts     []struct{ Rule string } `json:"counts"`
			} `json:"diff"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if rep.Failed != 2 || len(rep.Cases) != 2 || rep.Cases[0].Diff.Unexpected[0].Rule != "Read Sensitive File by Untrusted Program" ||
		len(rep.Cases[1].Diff.Counts) != 0 || len(rep.Cases[1].Diff.Unexpected) != 2 {
		t.Fatalf("unexpected --json report: %+v", rep)
	}

	junit := filepath.Join(t.TempDir(), "junit.xml")
	if _, _, code := runTestCLI(t, "--junit", junit, path); code != exitFailure {
		t.Fatalf("exit %d with --junit", code)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(x), `<testsuites name="retrace" tests="2" failures="2"`) || !strings.Contains(string(x), "Read Sensitive File by Untrusted Program") {
		t.Fatalf("JUnit report:\n%s", x)
	}

	out, errs, code := runTestCLI(t, "--update", path)
	if code != exitOK || !strings.Contains(errs, "updated "+path) {
		t.Fatalf("--update: exit %d\n%s%s", code, out, errs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# my corpus", "# the host read", "rule: Read Sensitive File by Untrusted Program",
		"proc.cmdline: cat /etc/shadow", "fd.name: /etc/shadow", "Write Below Binary Directory: 1",
		"Rename or Remove Below Binary Directory: 1"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("updated suite lacks %q:\n%s", want, data)
		}
	}
	if out, errs, code := runTestCLI(t, path); code != exitOK {
		t.Fatalf("updated suite fails: exit %d\n%s%s", code, out, errs)
	}
}

// TestTestSuitesCoverEveryTrace checks that both attack suites have a case
// for every capture in testdata/attacks and testdata/benign, so that a new
// trace cannot be committed without its expected detections.
func TestTestSuitesCoverEveryTrace(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap*"))
	if err != nil || len(traces) == 0 {
		t.Fatalf("no traces in testdata/attacks: %v", err)
	}
	benign, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "benign", "*.scap*"))
	if err != nil {
		t.Fatal(err)
	}
	traces = append(traces, benign...)
	for _, name := range []string{"suite.yaml", "falco-suite.yaml"} {
		s, err := suite.Load(attackSuite(name), suite.LoadOptions{Shared: filepath.Join(t.TempDir(), "absent")})
		if err != nil {
			t.Fatal(err)
		}
		covered := map[string]bool{}
		for _, c := range s.Cases {
			covered[filepath.Clean(c.Capture)] = true
		}
		for _, tr := range traces {
			rel, err := filepath.Rel(testutil.RepoRoot(), tr)
			if err != nil {
				t.Fatal(err)
			}
			abs := filepath.Clean(tr)
			if !covered[abs] && !covered[rel] {
				t.Errorf("%s has no case for %s (add one and run retrace test --update)", name, rel)
			}
		}
	}
}

// TestTestRerecordedTraceSameDetections re-records the host-only attack
// scenarios (no podman container, no fixed port that a concurrent
// recording could hold) and checks that the new capture gives the same
// detections as the committed one: same rules, priorities, processes,
// files and containers (command lines hold the checkout's path, so they
// are compared by process name).
func TestTestRerecordedTraceSameDetections(t *testing.T) {
	testutil.NeedRoot(t)
	testutil.NeedTool(t, "bash")
	if testing.Short() {
		t.Skip("records with eBPF; skipped with -short")
	}
	runner := detect.NewCaseRunner(nil)
	detections := func(t *testing.T, capture string) []string {
		t.Helper()
		c := &suite.Case{Name: filepath.Base(capture), Capture: capture, Options: suite.Options{RuleMatching: "first"}}
		dets, err := runner.Run(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := range dets {
			d := &dets[i]
			fd, _ := suite.FieldValue(d, "fd.name")
			out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s", d.Rule, d.Priority, d.Process.Name, fd, d.Container.Label()))
		}
		slices.Sort(out)
		return out
	}
	for _, name := range []string{"shadow-read-host", "write-below-bin"} {
		t.Run(name, func(t *testing.T) {
			script := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "scenarios", name+".sh")
			fresh := filepath.Join(t.TempDir(), name+".scap.zst")
			root := newRootCmd()
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errb)
			root.SetArgs([]string{"record", "--no-env", "--snaplen", "0", "--only-command", "-o", fresh, "--", "bash", script})
			if err := root.Execute(); err != nil {
				var ee *exitError
				if errors.As(err, &ee) && ee.code >= 4 {
					testutil.SkipMissing(t, "cannot record here (exit %d): %v", ee.code, err)
				}
				t.Fatalf("record: %v\n%s%s", err, out.String(), errb.String())
			}
			committed := detections(t, attackSuite(name+".scap.zst"))
			if len(committed) == 0 {
				t.Fatal("the committed trace gives no detection")
			}
			if got := detections(t, fresh); !slices.Equal(got, committed) {
				t.Errorf("re-recorded %s gives\n  %s\nthe committed trace gives\n  %s", name,
					strings.Join(got, "\n  "), strings.Join(committed, "\n  "))
			}
		})
	}
}
