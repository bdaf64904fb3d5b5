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
		rules int // rules defined by the files (enabled or not)
	}{
		{"stable", []string{stable}, 25},
		{"stable+incubating", []string{stable, incubating}, 0},
		{"stable+sandbox", []string{stable, sandbox}, 0},
		{"stable+incubating+sandbox", []string{stable, incubating, sandbox}, 0},
		{"0.32", []string{filepath.Join(dir, "falco_rules-0.32.yaml")}, 72},
		{"0.33", []string{filepath.Join(dir, "falco_rules-0.33.yaml")}, 0},
		{"1.0.1", []string{filepath.Join(dir, "falco_rules-1.0.1.yaml")}, 0},
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
			if tc.rules > 0 && len(set.Rules) != tc.rules {
				t.Errorf("got %d rules, want %d", len(set.Rules), tc.rules)
			}
			for _, r := range set.Rules {
				if r.Root() == nil {
					t.Errorf("rule %q has no compiled condition", r.Name)
				}
			}
		})
	}
}
