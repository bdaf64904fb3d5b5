package suite

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	want := testutil.Golden(t, path, []byte(got))
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// TestLoadErrors checks the file:line errors of bad suites against golden
// files: testdata/errors/NAME.yaml gives testdata/errors/NAME.golden.
func TestLoadErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no error cases: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := Load(f, LoadOptions{Shared: "/nonexistent-shared"})
			if err == nil {
				t.Fatal("Load succeeded on a bad suite")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T, want an ErrorList: %v", err, err)
			}
			for _, e := range list {
				if e.Pos.File != f {
					t.Errorf("error names file %q, want %q", e.Pos.File, f)
				}
			}
			golden(t, filepath.Join("errors", name+".golden"), err.Error()+"\n")
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "no-such-suite.yaml"), LoadOptions{})
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "no-such-suite.yaml") {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

func TestParse(t *testing.T) {
	dir := filepath.Join("testdata", "valid")
	suitePath := filepath.Join(dir, "suite.yaml")
	t0 := time.Date(2026, 11, 22, 20, 1, 0, 112135499, time.UTC)
	tests := []struct {
		name   string
		shared string
		yaml   string
		want   []*Case
		fields []string
	}{
		{
			name: "defaults",
			yaml: "cases:\n  - name: a\n    capture: empty.scap\n",
			want: []*Case{{Name: "a", Capture: filepath.Join(dir, "empty.scap"),
				Options: Options{RuleMatching: "first"}, Expect: Expect{Exhaustive: true},
				Pos: Pos{File: suitePath, Line: 2, Column: 5}}},
			fields: DefaultFields,
		},
		{
			name:   "suite defaults, case overrides and every expectation",
			shared: "/ref",
			yaml: `description: all keys
rules: [rules.yaml, "${SHARED}/falco-rules/falco_rules.yaml"]
options: {all_events: true, priority: warning, exclude_tags: [noisy]}
fields: [proc.name, "proc.aname[2]"]
cases:
  - name: a
    description: first
    capture: /abs/x.scap.zst
    options:
      disable: [Shell]
      rule_matching: ALL
      compat: falco-0.32
    expect:
      counts: {Terminal shell: 2, Other: 0}
      alerts:
        - rule: Terminal shell
          priority: notice
          time: 2026-11-22T20:01:00.112135499Z
          fields:
            proc.cmdline: sh -c id
            fd.name: ~
            proc.pid: 42
            fd.name2.x: !re '/etc/(shadow|sudoers)'
      absent: [Never]
      exhaustive: false
  - name: b
    capture: empty.scap
    rules: []
    options: {tags: [shell], exclude_tags: [], priority: info}
`,
			want: []*Case{
				{Name: "a", Description: "first", Capture: "/abs/x.scap.zst",
					Rules: []string{filepath.Join(dir, "rules.yaml"), "/ref/falco-rules/falco_rules.yaml"},
					Options: Options{AllEvents: true, Priority: "Warning", ExcludeTags: []string{"noisy"},
						Disable: []string{"Shell"}, RuleMatching: "all", Compat: "falco-0.32"},
					Expect: Expect{HasCounts: true, HasAlerts: true,
						Counts: []Count{{Rule: "Terminal shell", N: 2, Pos: Pos{suitePath, 14, 16}}, {Rule: "Other", N: 0, Pos: Pos{suitePath, 14, 35}}},
						Alerts: []Alert{{Rule: "Terminal shell", Priority: "Notice", Time: t0, Pos: Pos{suitePath, 16, 11},
							Fields: []Field{{Name: "proc.cmdline", Value: "sh -c id"}, {Name: "fd.name", Value: Missing}, {Name: "proc.pid", Value: "42"},
								{Name: "fd.name2.x", Value: "/etc/(shadow|sudoers)", Pattern: regexp.MustCompile(`^(?:/etc/(shadow|sudoers))$`)}}}},
						Absent: []Absent{{Rule: "Never", Pos: Pos{suitePath, 24, 16}}}},
					Pos: Pos{File: suitePath, Line: 6, Column: 5}},
				{Name: "b", Capture: filepath.Join(dir, "empty.scap"), Rules: nil,
					Options: Options{AllEvents: true, Priority: "Informational", Tags: []string{"shell"}, ExcludeTags: []string{}, RuleMatching: "first"},
					Expect:  Expect{Exhaustive: true},
					Pos:     Pos{File: suitePath, Line: 26, Column: 5}},
			},
			fields: []string{"proc.name", "proc.aname[2]"},
		},
		{
			name: "shared absent skips the case",
			yaml: "cases:\n  - name: a\n    capture: empty.scap\n    rules: [\"${SHARED}/r.yaml\"]\n",
			want: []*Case{{Name: "a", Capture: filepath.Join(dir, "empty.scap"), Rules: []string{"${SHARED}/r.yaml"},
				Skip:    "${SHARED} (the reference directory) not found; set RETRACE_SHARED or --shared to run this case",
				Options: Options{RuleMatching: "first"}, Expect: Expect{Exhaustive: true},
				Pos: Pos{File: suitePath, Line: 2, Column: 5}}},
			fields: DefaultFields,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.yaml), suitePath, ParseOptions{Shared: tc.shared})
			if err != nil {
				t.Fatal(err)
			}
			opts := cmp.Options{
				cmpopts.IgnoreUnexported(Case{}, Alert{}),
				cmpopts.IgnoreFields(Case{}, "Suite"),
				cmpopts.EquateEmpty(),
				cmp.Comparer(func(a, b *regexp.Regexp) bool {
					return (a == nil) == (b == nil) && (a == nil || a.String() == b.String())
				}),
			}
			if d := cmp.Diff(tc.want, s.Cases, opts); d != "" {
				t.Errorf("cases differ (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.fields, s.Fields); d != "" {
				t.Errorf("fields differ (-want +got):\n%s", d)
			}
			for _, c := range s.Cases {
				if c.Suite != s {
					t.Errorf("case %q does not point at its suite", c.Name)
				}
			}
		})
	}
}

func TestFindShared(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "repo", "testdata", "attacks")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := FindShared(deep); got != "" && strings.HasPrefix(got, root) {
		t.Fatalf("FindShared without a shared directory = %q", got)
	}
	if err := os.Mkdir(filepath.Join(root, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := FindShared(deep), filepath.Join(root, "shared"); got != want {
		t.Fatalf("FindShared = %q, want %q", got, want)
	}
}

func TestLoadSharedMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.scap"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.yaml")
	src := "rules: [\"${SHARED}/falco_rules.yaml\"]\ncases:\n  - name: a\n    capture: x.scap\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no-shared")
	s, err := Load(path, LoadOptions{Shared: missing})
	if err != nil {
		t.Fatalf("a missing ${SHARED} must skip, not fail: %v", err)
	}
	if skip := s.Cases[0].Skip; !strings.Contains(skip, missing) || !strings.Contains(skip, "RETRACE_SHARED") {
		t.Errorf("skip message %q does not say where it looked and how to fix it", skip)
	}
	if err := os.Mkdir(missing, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, LoadOptions{Shared: missing})
	if err == nil || !strings.Contains(err.Error(), "s.yaml:1:") || !strings.Contains(err.Error(), "falco_rules.yaml: no such file") {
		t.Errorf("missing rule file below an existing ${SHARED}: %v", err)
	}
}
