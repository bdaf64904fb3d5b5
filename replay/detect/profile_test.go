package detect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
)

func TestMergeProfiles(t *testing.T) {
	a, b := &engine.Rule{Name: "a"}, &engine.Rule{Name: "b"}
	tests := []struct {
		name     string
		profiles [][]engine.RuleProfile
		want     []RuleCost
	}{
		{"none", nil, []RuleCost{}},
		{"two workers summed, most expensive first", [][]engine.RuleProfile{
			{{Rule: a, Evaluated: 10, Matches: 1, Time: 100}, {Rule: b, Evaluated: 5, Time: 300}},
			{{Rule: a, Evaluated: 10, Matches: 2, Time: 100}, {Rule: b, Evaluated: 5, Time: 300}},
		}, []RuleCost{{Rule: "b", Evaluated: 10, Time: 600}, {Rule: "a", Evaluated: 20, Matches: 3, Time: 200}}},
		{"ties by name", [][]engine.RuleProfile{{{Rule: b, Time: 7}, {Rule: a, Time: 7}}},
			[]RuleCost{{Rule: "a", Time: 7}, {Rule: "b", Time: 7}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, mergeProfiles(tc.profiles)); diff != "" {
				t.Errorf("mergeProfiles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteProfile(t *testing.T) {
	var b strings.Builder
	err := WriteProfile(&b, []RuleCost{{Rule: "Read sensitive file", Evaluated: 1000, Matches: 2, Time: 50 * time.Microsecond}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EVALUATED", "PER EVENT", "Read sensitive file", "1000", "50µs", "50ns", "(1 rules)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("profile table lacks %q:\n%s", want, b.String())
		}
	}
}

// TestDetectorProfile checks that a profiling Detector counts, per rule,
// the events evaluated and matched over a capture, and that one without
// ProfileRules reports nothing.
func TestDetectorProfile(t *testing.T) {
	paths := genCaptures(t, 1, 3000)
	reg := replay.NewFieldRegistry()
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	const rule = `- rule: Open
  desc: every open
  condition: evt.type = openat and evt.dir = <
  output: "%proc.name %fd.name"
  priority: NOTICE
- rule: Never
  desc: an exec of nothing
  condition: evt.type = execve and proc.name = no-such-process
  output: "%proc.name"
  priority: NOTICE
`
	if err := os.WriteFile(rulesFile, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := LoadRules([]string{rulesFile}, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range []bool{false, true} {
		d, err := New(Options{Registry: reg, Rules: set, Workers: 1, Mode: engine.MatchAll, ProfileRules: profile})
		if err != nil {
			t.Fatal(err)
		}
		res, err := d.Capture(context.Background(), paths[0], func(Item) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		costs := d.Profile()
		if !profile {
			if costs != nil {
				t.Errorf("Profile without ProfileRules = %v, want nil", costs)
			}
			continue
		}
		got := make(map[string]RuleCost)
		for _, c := range costs {
			got[c.Rule] = c
		}
		if o := got["Open"]; o.Evaluated == 0 || o.Matches != res.Found || o.Time <= 0 {
			t.Errorf("Open: %+v, want evaluated > 0, %d matches, time > 0", o, res.Found)
		}
		if n := got["Never"]; n.Evaluated == 0 || n.Matches != 0 {
			t.Errorf("Never: %+v, want evaluated > 0 and no match", n)
		}
	}
}
