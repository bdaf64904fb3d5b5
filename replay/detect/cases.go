package detect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/suite"
	"github.com/retrace-dev/retrace/rules"
)

// CaseRunner runs the cases of `retrace test` suites through the
// pipeline `retrace replay` runs, loading each distinct rule set once. Its
// Run method is a [suite.Runner]; it is safe for concurrent use.
type CaseRunner struct {
	reg engine.Registry

	mu   sync.Mutex
	sets map[string]*ruleSetOnce

	profile bool
	costs   []RuleCost // summed over the cases run, with profile
}

// EnableProfile makes the runner measure each rule's cost over the cases
// it runs from now on (see [CaseRunner.Profile]).
func (r *CaseRunner) EnableProfile() { r.profile = true }

// Profile returns each rule's cost summed over the cases run, most
// expensive first; nil unless [CaseRunner.EnableProfile] was called.
func (r *CaseRunner) Profile() []RuleCost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return mergeCosts(r.costs)
}

// ruleSetOnce is one rule set, loaded by the first case that needs it.
type ruleSetOnce struct {
	once sync.Once
	set  *rules.Set
	err  error
}

// NewCaseRunner returns a CaseRunner resolving fields with reg (nil:
// replay's registry).
func NewCaseRunner(reg engine.Registry) *CaseRunner {
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	return &CaseRunner{reg: reg, sets: map[string]*ruleSetOnce{}}
}

// RuleSet returns the loaded rules of files (nil: the built-in rules),
// loading them on first use.
func (r *CaseRunner) RuleSet(files []string) (*rules.Set, error) {
	key := strings.Join(files, "\x00")
	r.mu.Lock()
	e, ok := r.sets[key]
	if !ok {
		e = &ruleSetOnce{}
		r.sets[key] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.set, e.err = LoadRules(files, r.reg) })
	return e.set, e.err
}

// CheckRuleNames checks the rule names each case names (counts, absent,
// alerts, disable) against the case's own rules, before any override
// replaces them. A case whose rules do not load is left to fail when it
// runs, with the load errors.
func (r *CaseRunner) CheckRuleNames(cases []*suite.Case) error {
	var errs suite.ErrorList
	for _, c := range cases {
		if c.Skip != "" {
			continue
		}
		set, err := r.RuleSet(c.Rules)
		if err != nil {
			continue
		}
		names := make([]string, len(set.Rules))
		for i, r := range set.Rules {
			names[i] = r.Name
		}
		errs = append(errs, c.CheckRuleNames(names)...)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// LoadSuites loads the suite files at paths, checks the rule names of
// their cases against each case's own rules (see [CaseRunner.CheckRuleNames]),
// and returns the suites and the cases to run: those whose name only
// matches (every case when only is nil), with over applied. Selecting no
// case is an error.
func (r *CaseRunner) LoadSuites(paths []string, opts suite.LoadOptions, only *regexp.Regexp, over *suite.Overrides) ([]*suite.Suite, []*suite.Case, error) {
	if opts.Fields == nil {
		opts.Fields = r.reg
	}
	var suites []*suite.Suite
	var cases []*suite.Case
	for _, path := range paths {
		s, err := suite.Load(path, opts)
		if err != nil {
			return nil, nil, err
		}
		if err := r.CheckRuleNames(s.Cases); err != nil {
			return nil, nil, err
		}
		for _, c := range s.Cases {
			if only != nil && !only.MatchString(c.Name) {
				continue
			}
			if err := over.Apply(c); err != nil {
				return nil, nil, err
			}
			cases = append(cases, c)
		}
		suites = append(suites, s)
	}
	switch {
	case len(cases) > 0:
	case only != nil:
		return nil, nil, fmt.Errorf("no case matches --run %q", only.String())
	default:
		return nil, nil, fmt.Errorf("no case in %s", strings.Join(paths, ", "))
	}
	return suites, cases, nil
}

// Options returns the detector options `retrace replay` would use for the
// case's rules and flags.
func (r *CaseRunner) Options(c *suite.Case) (Options, error) {
	o := &c.Options
	set, err := r.RuleSet(c.Rules)
	if err != nil {
		return Options{}, err
	}
	opts := Options{Registry: r.reg, Rules: set, Workers: 1, AllEvents: o.AllEvents, Compat032: o.Compat == CompatFalco032,
		Selection: engine.Selection{Tags: o.Tags, ExcludeTags: o.ExcludeTags, Disable: o.Disable}}
	if o.Priority != "" {
		if opts.Selection.MinPriority, err = engine.ParsePriority(o.Priority); err != nil {
			return Options{}, err
		}
	}
	mode := o.RuleMatching
	if mode == "" {
		mode = "first"
	}
	if opts.Mode, err = engine.ParseMatchMode(mode); err != nil {
		return Options{}, err
	}
	return opts, nil
}

// Run replays one case's capture and returns its detections in time order.
// A case marked truncated returns the detections of what the capture holds
// when it is truncated, and an error when it is not.
func (r *CaseRunner) Run(ctx context.Context, c *suite.Case) ([]report.Detection, error) {
	opts, err := r.Options(c)
	if err != nil {
		return nil, err
	}
	opts.ProfileRules = r.profile
	d, err := New(opts)
	if err != nil {
		return nil, err
	}
	var dets []report.Detection
	_, err = d.Capture(ctx, c.Capture, func(it Item) error {
		dets = append(dets, *it.Detection)
		return nil
	})
	if r.profile {
		r.mu.Lock()
		r.costs = append(r.costs, d.Profile()...)
		r.mu.Unlock()
	}
	var te *capture.TruncatedError
	switch {
	case c.Truncated && errors.As(err, &te):
		return dets, nil
	case c.Truncated && err == nil:
		return nil, fmt.Errorf("%s is not truncated (the case says truncated: true)", c.Capture)
	case err != nil:
		return nil, err
	}
	return dets, nil
}

var _ suite.Runner = (*CaseRunner)(nil).Run
