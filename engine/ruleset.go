package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Priority is a rule priority. Lower values are more severe; the zero value
// is "no priority" (in a [Selection]: no minimum).
type Priority uint8

// Priorities, most severe first (Falco's order).
const (
	PriorityNone          Priority = iota // no priority / no minimum
	PriorityEmergency                     // system is unusable
	PriorityAlert                         // action must be taken immediately
	PriorityCritical                      // critical conditions
	PriorityError                         // error conditions
	PriorityWarning                       // warning conditions
	PriorityNotice                        // normal but significant
	PriorityInformational                 // informational ("Info" is an alias)
	PriorityDebug                         // debug-level messages
)

var priorityNames = [...]string{
	PriorityNone:          "None",
	PriorityEmergency:     "Emergency",
	PriorityAlert:         "Alert",
	PriorityCritical:      "Critical",
	PriorityError:         "Error",
	PriorityWarning:       "Warning",
	PriorityNotice:        "Notice",
	PriorityInformational: "Informational",
	PriorityDebug:         "Debug",
}

// String returns the canonical capitalised name, e.g. "Informational".
func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return fmt.Sprintf("Priority(%d)", uint8(p))
}

// ErrUnknownPriority is wrapped by [ParsePriority] errors.
var ErrUnknownPriority = errors.New("unknown priority")

// ParsePriority parses a priority name case-insensitively; "info" is an
// alias of Informational.
func ParsePriority(s string) (Priority, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "info") {
		return PriorityInformational, nil
	}
	for p := PriorityEmergency; p <= PriorityDebug; p++ {
		if strings.EqualFold(t, priorityNames[p]) {
			return p, nil
		}
	}
	return PriorityNone, fmt.Errorf("parse priority %q: %w", s, ErrUnknownPriority)
}

// MatchMode is Falco's rule_matching setting.
type MatchMode uint8

// Match modes.
const (
	// MatchFirst stops at the first matching rule (in load order) for each
	// event; Falco's default.
	MatchFirst MatchMode = iota
	// MatchAll reports every matching rule.
	MatchAll
)

// String returns "first" or "all".
func (m MatchMode) String() string {
	if m == MatchAll {
		return "all"
	}
	return "first"
}

// ParseMatchMode parses "first" or "all".
func ParseMatchMode(s string) (MatchMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "first":
		return MatchFirst, nil
	case "all":
		return MatchAll, nil
	}
	return MatchFirst, fmt.Errorf("parse rule matching mode %q: want first or all", s)
}

// Rule is a compiled rule, as package rules builds it from a rule file.
type Rule struct {
	// Name is the rule name.
	Name string
	// Priority is the rule priority.
	Priority Priority
	// Source is the event source ("syscall").
	Source string
	// Tags are the rule tags.
	Tags []string
	// Enabled is false for rules that are compiled but not run.
	Enabled bool
	// Condition is the compiled condition.
	Condition *Condition
	// Output is the compiled output format (may be nil).
	Output *Format
	// Data is for the caller (e.g. the rule's definition); the engine does
	// not use it.
	Data any
}

// Selection chooses which enabled rules a [Ruleset] runs, like Falco's
// command line options.
type Selection struct {
	// Tags, when not empty, keeps only rules having at least one of these
	// tags (-t).
	Tags []string
	// ExcludeTags drops rules having any of these tags (-T).
	ExcludeTags []string
	// Disable drops rules whose name contains any of these substrings (-D).
	Disable []string
	// MinPriority drops rules less severe than it; PriorityNone keeps all.
	MinPriority Priority
	// IncludeDisabled also runs rules with Enabled false.
	IncludeDisabled bool
}

// NewSelection builds a Selection from Falco's -t, -T, -D and -p flags as
// typed, refusing what Falco refuses: -t together with -T or -D.
func NewSelection(tags, excludeTags, disable []string, priority string) (Selection, error) {
	sel := Selection{Tags: tags, ExcludeTags: excludeTags, Disable: disable}
	if len(tags) > 0 && (len(excludeTags) > 0 || len(disable) > 0) {
		return sel, errors.New("select rules: you can not specify both disabled (-D/-T) and enabled (-t) rules")
	}
	if priority != "" {
		p, err := ParsePriority(priority)
		if err != nil {
			return sel, err
		}
		sel.MinPriority = p
	}
	return sel, nil
}

// Selected reports whether r passes the selection.
func (s Selection) Selected(r *Rule) bool {
	if !r.Enabled && !s.IncludeDisabled {
		return false
	}
	if s.MinPriority != PriorityNone && r.Priority > s.MinPriority {
		return false
	}
	if len(s.Tags) > 0 && !slices.ContainsFunc(r.Tags, func(t string) bool { return slices.Contains(s.Tags, t) }) {
		return false
	}
	if slices.ContainsFunc(r.Tags, func(t string) bool { return slices.Contains(s.ExcludeTags, t) }) {
		return false
	}
	for _, d := range s.Disable {
		if d != "" && strings.Contains(r.Name, d) {
			return false
		}
	}
	return true
}

// Ruleset is a set of selected rules indexed by dispatch id. For each event
// only the rules indexed under its id are evaluated, in load order. A
// Ruleset is not safe for concurrent use (its conditions keep scratch
// buffers); give each goroutine its own [Ruleset.Clone].
type Ruleset struct {
	types   EventTypes
	mode    MatchMode
	opts    RulesetOptions
	rules   []*Rule
	byType  [][]*Rule
	evals   [][]evalFunc // per dispatch id, parallel to byType
	matches []*Rule
	prog    *program // shared evaluation state; nil when Independent
	profile *profile // nil unless opts.Profile
}

// RulesetOptions configure [NewRulesetWith].
type RulesetOptions struct {
	// Independent evaluates each rule's own compiled condition, one rule
	// after the other, as Falco does: no field value or subexpression is
	// shared between rules. It is the straightforward evaluator that the
	// shared one is tested against; results are the same.
	Independent bool
	// Profile counts, per rule, the events evaluated, the matches and the
	// time spent (see [Ruleset.Profile]). Timing costs two clock reads per
	// rule evaluated.
	Profile bool
}

// NewRuleset selects rules with sel (keeping their order, which is the load
// order) and indexes them by event type. Conditions compiled without an
// event type table are indexed under every id.
//
// The rules' conditions are compiled again into one program in which
// fields are extracted at most once per event and the checks and macros
// several rules share are evaluated at most once per event (see
// [RulesetOptions.Independent] for the straightforward evaluator).
func NewRuleset(types EventTypes, rules []*Rule, sel Selection, mode MatchMode) (*Ruleset, error) {
	return NewRulesetWith(types, rules, sel, mode, RulesetOptions{})
}

// NewRulesetWith is [NewRuleset] with options.
func NewRulesetWith(types EventTypes, rules []*Rule, sel Selection, mode MatchMode, opts RulesetOptions) (*Ruleset, error) {
	if types == nil {
		return nil, errors.New("new ruleset: no event type table")
	}
	n := types.Count()
	rs := &Ruleset{types: types, mode: mode, opts: opts, byType: make([][]*Rule, n), evals: make([][]evalFunc, n)}
	for _, r := range rules {
		if r == nil || r.Condition == nil {
			return nil, errors.New("new ruleset: rule without a compiled condition")
		}
		if !sel.Selected(r) {
			continue
		}
		rs.rules = append(rs.rules, r)
	}
	evals := make([]evalFunc, len(rs.rules))
	if opts.Independent {
		for i, r := range rs.rules {
			evals[i] = r.Condition.eval
		}
	} else {
		var err error
		if rs.prog, evals, err = compileShared(rs.rules); err != nil {
			return nil, err
		}
	}
	for i, r := range rs.rules {
		for id := range n {
			if r.Condition.MatchesEventType(id) {
				rs.byType[id] = append(rs.byType[id], r)
				rs.evals[id] = append(rs.evals[id], evals[i])
			}
		}
	}
	if opts.Profile {
		rs.profile = newProfile(rs)
	}
	rs.matches = make([]*Rule, 0, len(rs.rules))
	return rs, nil
}

// Clone returns a copy of the ruleset for use by another goroutine: every
// rule's condition and output is compiled again (see [Condition.Clone]);
// names, tags, priorities and Data are shared.
func (rs *Ruleset) Clone() (*Ruleset, error) {
	rules := make([]*Rule, len(rs.rules))
	for i, r := range rs.rules {
		cr := *r
		c, err := r.Condition.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone rule %q: %w", r.Name, err)
		}
		cr.Condition = c
		if r.Output != nil {
			if cr.Output, err = r.Output.Clone(); err != nil {
				return nil, fmt.Errorf("clone rule %q: %w", r.Name, err)
			}
		}
		rules[i] = &cr
	}
	return NewRulesetWith(rs.types, rules, Selection{IncludeDisabled: true}, rs.mode, rs.opts)
}

// Rules returns the selected rules in load order.
func (rs *Ruleset) Rules() []*Rule { return rs.rules }

// RulesFor returns the rules indexed under dispatch id id, in load order.
func (rs *Ruleset) RulesFor(id int) []*Rule {
	if id < 0 || id >= len(rs.byType) {
		return nil
	}
	return rs.byType[id]
}

// Match evaluates the rules indexed under ev's dispatch id and returns the
// matching ones in load order (at most one in MatchFirst mode). The result
// is reused by the next call. It does not allocate.
func (rs *Ruleset) Match(ev Event) []*Rule {
	rs.matches = rs.matches[:0]
	id := ev.DispatchID()
	if id < 0 || id >= len(rs.byType) {
		return nil
	}
	if rs.prog != nil {
		rs.prog.next()
	}
	if rs.profile != nil {
		return rs.matchProfiled(ev, id)
	}
	for i, f := range rs.evals[id] {
		if f(ev) {
			rs.matches = append(rs.matches, rs.byType[id][i])
			if rs.mode == MatchFirst {
				break
			}
		}
	}
	return rs.matches
}
