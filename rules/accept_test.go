package rules_test

import (
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/rulestest"
)

func testOptions(t testing.TB) rules.Options {
	t.Helper()
	return rules.Options{Fields: rulestest.Registry(t), EventTypes: rulestest.EventTypes()}
}

// TestUpstreamRuleSets loads the upstream rule files in the combinations
// Falco users load them; every enabled rule must compile, with no error.
func TestUpstreamRuleSets(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-rules")
	stable := filepath.Join(dir, "falco_rules.yaml")
	incubating := filepath.Join(dir, "falco-incubating_rules.yaml")
	sandbox := filepath.Join(dir, "falco-sandbox_rules.yaml")
	tests := []struct {
		name  string
		files []string
		rules int // rules the files define (enabled or not), all compiled
	}{
		{"stable", []string{stable}, 25},
		{"stable+incubating", []string{stable, incubating}, 56},
		{"stable+sandbox", []string{stable, sandbox}, 62},
		{"stable+incubating+sandbox", []string{stable, incubating, sandbox}, 93},
		{"0.32", []string{filepath.Join(dir, "falco_rules-0.32.yaml")}, 72},
		{"0.33", []string{filepath.Join(dir, "falco_rules-0.33.yaml")}, 75},
		{"1.0.1", []string{filepath.Join(dir, "falco_rules-1.0.1.yaml")}, 80},
	}
	opts := testOptions(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := rules.Load(tc.files, opts)
			if err != nil {
				var le *rules.LoadError
				if errorsAs(err, &le) {
					for _, e := range le.Errors {
						t.Errorf("%s", e.Detail())
					}
				}
				t.Fatalf("load: %v", err)
			}
			if len(set.Rules) != tc.rules {
				t.Errorf("got %d rules, want %d", len(set.Rules), tc.rules)
			}
			engineRules, err := set.EngineRules()
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range set.Rules {
				if r.Root() == nil || engineRules[i].Condition == nil || engineRules[i].Output == nil {
					t.Errorf("rule %q is not compiled", r.Name)
				}
				if r.Source != "syscall" {
					t.Errorf("rule %q has source %q", r.Name, r.Source)
				}
			}
			for _, w := range set.Warnings {
				if w.Code == rules.WarnUnknownSource || w.Code == rules.WarnUnknownFilter {
					t.Errorf("rule skipped: %s", w.Detail())
				}
			}
		})
	}
}
