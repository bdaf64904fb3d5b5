package replay_test

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/rules"
)

// benchCapture is a generated capture held in memory: its header and the
// raw bytes of every event, so the benchmarks below measure state and rule
// evaluation, not reading.
type benchCapture struct {
	header *capture.Header
	events [][]byte
}

func loadBenchCapture(b *testing.B, events int) *benchCapture {
	b.Helper()
	path := filepath.Join(b.TempDir(), "mix.scap")
	if _, err := capgen.WriteFile(path, capgen.Options{Events: events, Seed: 7}); err != nil {
		b.Fatal(err)
	}
	r, err := capture.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	c := &benchCapture{header: r.Header()}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		c.events = append(c.events, append([]byte(nil), ev.Raw()...))
	}
	return c
}

// BenchmarkStableRuleset measures the cost per event of evaluating a whole
// upstream rule file on a realistic event mix (capgen: execve, openat,
// read/write, close, connect, clone, ...), with replay's real field
// registry. "state" replays the events without rules; the difference
// between the two is the rule evaluation cost (issue target: at most
// 300 ns/event with 0 allocations per event).
func BenchmarkStableRuleset(b *testing.B) {
	c := loadBenchCapture(b, 200_000)
	b.Run("state", func(b *testing.B) { benchReplayPass(b, c, nil) })
	for _, file := range []string{"falco_rules.yaml", "falco_rules-0.32.yaml"} {
		set, err := rules.Load([]string{testutil.SharedFile(b, "falco-rules", file)}, rules.Options{
			Fields: replay.NewFieldRegistry(), EventTypes: scap.EventTypeIndex{},
		})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := set.Ruleset(engine.Selection{}, engine.MatchFirst)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("state+"+file, func(b *testing.B) { benchReplayPass(b, c, rs) })
	}
}

// benchReplayPass replays every event of c per iteration into a fresh
// state, evaluating rs on each event when it is not nil.
func benchReplayPass(b *testing.B, c *benchCapture, rs *engine.Ruleset) {
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
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.events)), "ns/event")
	b.ReportMetric(float64(matches)/float64(b.N), "matches/pass")
}
