package engine

import "time"

// RuleProfile is what a profiling [Ruleset] measured for one rule.
type RuleProfile struct {
	// Rule is the rule.
	Rule *Rule
	// Evaluated counts the events the rule's condition was evaluated on
	// (after the event type index, and in MatchFirst mode only until a
	// rule matched).
	Evaluated uint64
	// Matches counts the events the rule matched.
	Matches uint64
	// Time is the time spent evaluating the condition. With shared
	// evaluation, a field or subexpression several rules use is charged
	// to the first rule that evaluates it on an event.
	Time time.Duration
}

// PerEvent returns the mean time per evaluated event.
func (p RuleProfile) PerEvent() time.Duration {
	if p.Evaluated == 0 {
		return 0
	}
	return p.Time / time.Duration(p.Evaluated)
}

// profile holds the counters of a profiling Ruleset, indexed like byType.
type profile struct {
	rules []RuleProfile
	index [][]int // per dispatch id, parallel to byType: index into rules
}

func newProfile(rs *Ruleset) *profile {
	p := &profile{rules: make([]RuleProfile, len(rs.rules)), index: make([][]int, len(rs.byType))}
	pos := make(map[*Rule]int, len(rs.rules))
	for i, r := range rs.rules {
		p.rules[i].Rule = r
		pos[r] = i
	}
	for id, rules := range rs.byType {
		for _, r := range rules {
			p.index[id] = append(p.index[id], pos[r])
		}
	}
	return p
}

// matchProfiled is Match timing each rule.
func (rs *Ruleset) matchProfiled(ev Event, id int) []*Rule {
	idx := rs.profile.index[id]
	for i, f := range rs.evals[id] {
		start := time.Now()
		ok := f(ev)
		rp := &rs.profile.rules[idx[i]]
		rp.Time += time.Since(start)
		rp.Evaluated++
		if ok {
			rp.Matches++
			rs.matches = append(rs.matches, rs.byType[id][i])
			if rs.mode == MatchFirst {
				break
			}
		}
	}
	return rs.matches
}

// Profile returns, for a ruleset built with [RulesetOptions.Profile], what
// was measured so far for each selected rule, in load order; nil otherwise.
func (rs *Ruleset) Profile() []RuleProfile {
	if rs.profile == nil {
		return nil
	}
	return append([]RuleProfile(nil), rs.profile.rules...)
}
