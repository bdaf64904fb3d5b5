package replay

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// upstreamRuleSets are the upstream files loaded together (later files use
// the macros and lists of the first).
var upstreamRuleSets = [][]string{
	{"falco_rules.yaml"},
	{"falco_rules.yaml", "falco-incubating_rules.yaml"},
	{"falco_rules.yaml", "falco-sandbox_rules.yaml"},
	{"falco_rules-0.32.yaml"},
	{"falco_rules-0.33.yaml"},
	{"falco_rules-1.0.1.yaml"},
	{"falco-deprecated_rules.yaml"},
	{"application_rules-archive.yaml"},
}

// TestUpstreamRulesCompile loads every upstream rule file with the replay
// field registry: no rule may fail or be skipped because of a field, and
// the compiled rule set runs over every shared capture.
func TestUpstreamRulesCompile(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-rules")
	reg := NewFieldRegistry()
	caps := testutil.Captures(t)
	for _, set := range upstreamRuleSets {
		name := set[len(set)-1]
		t.Run(name, func(t *testing.T) {
			var paths []string
			for _, f := range set {
				paths = append(paths, filepath.Join(dir, f))
			}
			rs, err := rules.Load(paths, rules.Options{Fields: reg, EventTypes: scap.EventTypeIndex{}})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			for _, w := range rs.Warnings {
				switch w.Code {
				case rules.WarnUnknownFilter:
					t.Errorf("rule skipped for an unknown field: %s: %s", w.Item(), w.Message)
				}
			}
			ruleset, err := rs.Ruleset(engine.Selection{}, engine.MatchAll)
			if err != nil {
				t.Fatalf("ruleset: %v", err)
			}
			hits := 0
			for _, c := range caps {
				_, err := ReplayFile(context.Background(), c, Options{}, func(e *Event) error {
					m := ruleset.Match(e)
					hits += len(m)
					for _, r := range m {
						t.Logf("%s: event %d %s: %s", filepath.Base(c), e.Num, e.Ev.TypeName(), r.Name)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d rules, %d matches over %d captures", len(rs.Rules), hits, len(caps))
		})
	}
}
