package detect

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/retrace-dev/retrace/engine"
)

// RuleCost is what [Detector.Profile] measured for one rule over every
// capture replayed so far.
type RuleCost struct {
	// Rule is the rule's name.
	Rule string
	// Evaluated counts the events the rule's condition ran on; Matches
	// the events it matched.
	Evaluated, Matches uint64
	// Time is the time spent evaluating the condition.
	Time time.Duration
}

// PerEvent returns the mean time per evaluated event.
func (c RuleCost) PerEvent() time.Duration {
	if c.Evaluated == 0 {
		return 0
	}
	return c.Time / time.Duration(c.Evaluated)
}

// Profile returns the cost of each rule summed over the Detector's
// workers, most expensive first (ties by name), when Options.ProfileRules
// was set; nil otherwise. Call it when no replay is running.
func (d *Detector) Profile() []RuleCost {
	if !d.opts.ProfileRules || d.opts.Filter != "" {
		return nil
	}
	var ws []*worker
	for range d.workers {
		ws = append(ws, <-d.pool)
	}
	defer func() {
		for _, w := range ws {
			d.pool <- w
		}
	}()
	var profiles [][]engine.RuleProfile
	for _, w := range ws {
		profiles = append(profiles, w.rs.Profile())
	}
	return mergeProfiles(profiles)
}

// mergeProfiles sums per-worker profiles by rule name and sorts them by
// total time, most expensive first.
func mergeProfiles(profiles [][]engine.RuleProfile) []RuleCost {
	var costs []RuleCost
	for _, ps := range profiles {
		for _, p := range ps {
			costs = append(costs, RuleCost{Rule: p.Rule.Name, Evaluated: p.Evaluated, Matches: p.Matches, Time: p.Time})
		}
	}
	return mergeCosts(costs)
}

// mergeCosts sums costs by rule name and sorts them by total time, most
// expensive first (ties by name).
func mergeCosts(costs []RuleCost) []RuleCost {
	byName := make(map[string]*RuleCost)
	var out []*RuleCost
	for _, p := range costs {
		c := byName[p.Rule]
		if c == nil {
			c = &RuleCost{Rule: p.Rule}
			byName[p.Rule] = c
			out = append(out, c)
		}
		c.Evaluated += p.Evaluated
		c.Matches += p.Matches
		c.Time += p.Time
	}
	res := make([]RuleCost, len(out))
	for i, c := range out {
		res[i] = *c
	}
	slices.SortStableFunc(res, func(a, b RuleCost) int {
		if c := cmp.Compare(b.Time, a.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
	return res
}

// WriteProfile writes costs as a table: rule, events evaluated, matches,
// total time and time per evaluated event, and a total line.
func WriteProfile(w io.Writer, costs []RuleCost) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "EVALUATED\tMATCHES\tTOTAL\tPER EVENT\t RULE")
	var total RuleCost
	for _, c := range costs {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t %s\n", c.Evaluated, c.Matches, roundDur(c.Time), c.PerEvent(), c.Rule)
		total.Evaluated += c.Evaluated
		total.Matches += c.Matches
		total.Time += c.Time
	}
	fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t %s\n", total.Evaluated, total.Matches, roundDur(total.Time), total.PerEvent(),
		fmt.Sprintf("(%d rules)", len(costs)))
	return tw.Flush()
}

func roundDur(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d
}
