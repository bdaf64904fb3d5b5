package replay_test

import (
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/rules"
)

// BenchmarkRuleEvaluation measures state plus rules per event on capgen's
// realistic mix, for the rule sets of docs/PERFORMANCE.md, with the shared
// evaluator (the default Ruleset) and the straightforward one (each rule on
// its own, as Falco evaluates them). "state" is the replay without rules.
func BenchmarkRuleEvaluation(b *testing.B) {
	c := loadBenchCapture(b, 200_000)
	b.Run("state", func(b *testing.B) { benchRulePass(b, c, nil) })
	dir := testutil.SharedFile(b, "falco-rules")
	sets := []struct {
		name  string
		files []string
	}{
		{"stable", []string{"falco_rules.yaml"}},
		{"stable+incubating+sandbox", []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}},
		{"0.32", []string{"falco_rules-0.32.yaml"}},
	}
	for _, s := range sets {
		var paths []string
		for _, f := range s.files {
			paths = append(paths, filepath.Join(dir, f))
		}
		set, err := rules.Load(paths, rules.Options{Fields: replay.NewFieldRegistry(), EventTypes: scap.EventTypeIndex{}})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := set.EngineRules()
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []struct {
			name string
			opts engine.RulesetOptions
		}{{"shared", engine.RulesetOptions{}}, {"independent", engine.RulesetOptions{Independent: true}}} {
			ruleset, err := engine.NewRulesetWith(scap.EventTypeIndex{}, rs, engine.Selection{}, engine.MatchFirst, mode.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(s.name+"/"+mode.name, func(b *testing.B) { benchRulePass(b, c, ruleset) })
		}
	}
}

// benchRulePass replays every event of c per iteration into a fresh state,
// evaluating rs on each event when it is not nil.
func benchRulePass(b *testing.B, c *benchCapture, rs *engine.Ruleset) {
	var ev scap.Event
	matches := 0
	b.ReportAllocs()
	for b.Loop() {
		st := replay.NewState(replay.Options{})
		st.LoadHeader(c.header)
		for _, raw := range c.events {
			if err := ev.Decode(raw, false); err != nil {
				b.Fatal(err)
			}
			if e := st.Apply(&ev, false); rs != nil && e != nil {
				matches += len(rs.Match(e))
			}
		}
	}
	events := float64(b.N * len(c.events))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matches)/float64(b.N), "matches/pass")
}
