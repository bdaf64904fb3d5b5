package replay

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// differentialRuleSets returns every upstream rule file, loaded alone when
// it stands alone and after falco_rules.yaml when it uses its macros, and
// the set a detection team runs (stable + incubating + sandbox).
func differentialRuleSets(t *testing.T, reg engine.Registry) map[string]*rules.Set {
	t.Helper()
	dir := testutil.SharedFile(t, "falco-rules")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		testutil.SkipMissing(t, "no rule files in %s", dir)
	}
	opts := rules.Options{Fields: reg, EventTypes: scap.EventTypeIndex{}}
	stable := filepath.Join(dir, "falco_rules.yaml")
	sets := make(map[string]*rules.Set)
	for _, f := range files {
		set, err := rules.Load([]string{f}, opts)
		if err != nil && f != stable {
			set, err = rules.Load([]string{stable, f}, opts)
		}
		if err != nil {
			t.Fatalf("load %s: %v", filepath.Base(f), err)
		}
		sets[filepath.Base(f)] = set
	}
	all, err := rules.Load([]string{stable, filepath.Join(dir, "falco-incubating_rules.yaml"),
		filepath.Join(dir, "falco-sandbox_rules.yaml")}, opts)
	if err != nil {
		t.Fatalf("load stable+incubating+sandbox: %v", err)
	}
	sets["stable+incubating+sandbox"] = all
	return sets
}

// differentialCaptures returns the shared captures and the committed
// recordings.
func differentialCaptures(t *testing.T) []string {
	t.Helper()
	caps := testutil.Captures(t)
	for _, d := range []string{"attacks", "benign"} {
		m, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", d, "*.scap.zst"))
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, m...)
	}
	return caps
}

// TestSharedEvaluationDifferential compares, event by event, the rules the
// shared evaluator (the default [engine.Ruleset]: fields extracted once
// per event, common subexpressions evaluated once) matches with those the
// straightforward evaluator (each rule's own condition, one after the
// other) matches, for every upstream rule file over every shared capture
// and committed recording, in both matching modes, disabled rules
// included.
func TestSharedEvaluationDifferential(t *testing.T) {
	reg := NewFieldRegistry()
	sets := differentialRuleSets(t, reg)
	caps := differentialCaptures(t)
	type pair struct {
		name             string
		shared, straight *engine.Ruleset
		events, matches  int
	}
	var pairs []*pair
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rs, err := sets[n].EngineRules()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		sel := engine.Selection{IncludeDisabled: true}
		for _, mode := range []engine.MatchMode{engine.MatchAll, engine.MatchFirst} {
			shared, err := engine.NewRulesetWith(scap.EventTypeIndex{}, rs, sel, mode, engine.RulesetOptions{})
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			straight, err := engine.NewRulesetWith(scap.EventTypeIndex{}, rs, sel, mode,
				engine.RulesetOptions{Independent: true})
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			pairs = append(pairs, &pair{name: n + "/" + mode.String(), shared: shared, straight: straight})
		}
	}
	for _, c := range caps {
		t.Run(filepath.Base(c), func(t *testing.T) {
			if fi, err := os.Stat(c); err != nil || fi.Size() == 0 {
				t.Skipf("unreadable capture: %v", err)
			}
			failures := 0
			_, err := ReplayFile(context.Background(), c, Options{}, func(e *Event) error {
				for _, p := range pairs {
					got := ruleNames(p.shared.Match(e))
					want := ruleNames(p.straight.Match(e))
					p.events++
					p.matches += len(want)
					if !slices.Equal(got, want) && failures < 20 {
						failures++
						t.Errorf("%s: event %d (%s): shared evaluator matched [%s], straightforward [%s]",
							p.name, e.Num, e.Ev.TypeName(), strings.Join(got, ", "), strings.Join(want, ", "))
					}
				}
				return nil
			})
			if err != nil && !strings.Contains(c, "empty") {
				t.Logf("replay: %v", err)
			}
		})
	}
	for _, p := range pairs {
		t.Logf("%s: %d events, %d matches compared", p.name, p.events, p.matches)
	}
}

func ruleNames(rs []*engine.Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}
