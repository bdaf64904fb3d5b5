package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/replay/report"
)

const runSuite = `cases:
  - name: pass
    capture: a.scap
    expect:
      counts: {Shell: 1}
  - name: fail
    capture: b.scap
    expect:
      alerts:
        - rule: Shell
          fields: {proc.cmdline: sh -c whoami}
      absent: [Read]
  - name: broken
    capture: c.scap
  - name: skipped
    capture: d.scap
    rules: ["${SHARED}/falco_rules.yaml"]
`

// fakeRunner returns canned detections per capture, out of time order, and
// counts calls.
type fakeRunner struct {
	calls atomic.Int32
}

func (f *fakeRunner) run(_ context.Context, c *Case) ([]report.Detection, error) {
	f.calls.Add(1)
	switch {
	case strings.HasSuffix(c.Capture, "a.scap"):
		return []report.Detection{det(10, "Shell", "Notice", 10, "sh -c id", nil)}, nil
	case strings.HasSuffix(c.Capture, "b.scap"):
		return []report.Detection{det(30, "Read", "Warning", 12, "cat /etc/shadow", nil), det(10, "Shell", "Notice", 10, "sh -c id", nil)}, nil
	}
	return nil, errors.New("open capture: truncated file")
}

func loadRunSuite(t *testing.T) *Suite {
	t.Helper()
	s, err := Parse([]byte(runSuite), "run.yaml", ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRun(t *testing.T) {
	s := loadRunSuite(t)
	var f fakeRunner
	results := Run(context.Background(), s.Cases, f.run, RunOptions{Workers: 2})
	if got := f.calls.Load(); got != 3 {
		t.Errorf("runner called %d times, want 3 (the skipped case must not run)", got)
	}
	var statuses []string
	for _, r := range results {
		statuses = append(statuses, r.Case.Name+"="+r.Status().String())
	}
	if want := []string{"pass=pass", "fail=fail", "broken=error", "skipped=skip"}; !cmp.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if d := results[1].Detections; d[0].Rule != "Shell" || d[1].Rule != "Read" {
		t.Errorf("detections not sorted by time: %v, %v", d[0].Rule, d[1].Rule)
	}
	if got, want := Summarize(results), (Summary{Passed: 1, Failed: 1, Errors: 1, Skipped: 1}); got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	for i := range results {
		results[i].Duration = 1500 * time.Millisecond
	}

	var text bytes.Buffer
	if err := WriteText(&text, results); err != nil {
		t.Fatal(err)
	}
	golden(t, "run-text.golden", text.String())

	var js bytes.Buffer
	if err := WriteJSON(&js, results); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatalf("WriteJSON wrote invalid JSON: %v", err)
	}
	golden(t, "run-json.golden", js.String())

	var junit bytes.Buffer
	if err := report.WriteJUnit(&junit, JUnit(results, time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	golden(t, "run-junit.golden", junit.String())
}

func TestRunCancelled(t *testing.T) {
	s := loadRunSuite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var f fakeRunner
	for _, r := range Run(ctx, s.Cases, f.run, RunOptions{}) {
		if r.Case.Skip == "" && !errors.Is(r.Err, context.Canceled) {
			t.Errorf("case %q ran after cancellation: %v", r.Case.Name, r.Err)
		}
	}
}

func TestOverrides(t *testing.T) {
	tests := []struct {
		name    string
		over    Overrides
		options string
		want    Options
		rules   []string
		skip    bool
		err     string
	}{
		{
			name:    "disable and exclude add, priority replaces",
			over:    Overrides{Disable: []string{"Shell"}, ExcludeTags: []string{"noisy"}, Priority: "error"},
			options: "{disable: [Read], priority: debug}",
			want:    Options{Disable: []string{"Read", "Shell"}, ExcludeTags: []string{"noisy"}, Priority: "Error", RuleMatching: "first"},
			skip:    true,
		},
		{
			name:    "rules replace and unskip",
			over:    Overrides{Rules: []string{"mine.yaml"}, Tags: []string{"shell"}},
			options: "{tags: [files]}",
			want:    Options{Tags: []string{"shell"}, RuleMatching: "first"},
			rules:   []string{"mine.yaml"},
		},
		{
			name:    "tags with the case's disable",
			over:    Overrides{Tags: []string{"shell"}},
			options: "{disable: [Read]}",
			err:     `case "c" with the command line's rule selection: tags can not be combined`,
		},
		{
			name: "bad priority",
			over: Overrides{Priority: "loud"},
			err:  `parse priority "loud"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "cases:\n  - name: c\n    capture: x.scap\n    rules: [\"${SHARED}/r.yaml\"]\n"
			if tc.options != "" {
				src += "    options: " + tc.options + "\n"
			}
			s, err := Parse([]byte(src), "o.yaml", ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := s.Cases[0]
			err = tc.over.Apply(c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Apply error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, c.Options); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
			if tc.rules != nil && !cmp.Equal(c.Rules, tc.rules) {
				t.Errorf("rules %q, want %q", c.Rules, tc.rules)
			}
			if (c.Skip != "") != tc.skip {
				t.Errorf("skip %q, want skipped=%v", c.Skip, tc.skip)
			}
		})
	}
}
