package rules

import (
	"fmt"
	"strings"
	"sync"

	"github.com/retrace-dev/retrace/engine"
)

// Set is the result of loading rules files: the rules that compiled, in
// load order, with the lists, macros, requirements and diagnostics.
type Set struct {
	// Files are the files loaded, in order.
	Files []string
	// Rules are the rules of the syscall source (or the configured
	// sources) that compiled, in Falco's order: by first definition.
	// Disabled rules are included with Enabled false.
	Rules []*Rule
	// Lists and Macros are every list and macro, by first definition.
	Lists  []*List
	Macros []*Macro
	// RequiredEngineVersion is the highest engine version the files require.
	RequiredEngineVersion Version
	// RequiredPlugins are the files' plugin requirements.
	RequiredPlugins []PluginRequirement
	// Warnings and Errors are the diagnostics, in the order found.
	Warnings []Diagnostic
	Errors   []*Error

	opts Options
	mu   sync.Mutex // guards handing out the rules compiled at load time
}

// Rule is a loaded rule.
type Rule struct {
	Name     string
	Desc     string
	Output   string
	Priority engine.Priority
	Source   string
	Tags     []string // sorted
	Enabled  bool
	// Condition is the condition as written, after appends and overrides.
	Condition string
	// WithExceptions is Condition with the exceptions added as Falco
	// writes them ("(cond) and not (...)"); equal to Condition when the
	// rule has no exceptions.
	WithExceptions string
	// Substituted is WithExceptions with the lists substituted: the text
	// that is parsed.
	Substituted string
	// Exceptions are the names of the rule's exceptions.
	Exceptions []string
	// EventTypes are the evt.type names the rule can match, sorted;
	// AllEventTypes is true when the rule has no evt.type restriction.
	EventTypes    []string
	AllEventTypes bool

	WarnEventTypes      bool
	SkipIfUnknownFilter bool
	Capture             bool
	CaptureDuration     uint64
	// Pos is where the rule was first defined.
	Pos Position

	root   engine.Node
	format string       // the output format as compiled (%container.info expanded)
	engine *engine.Rule // compiled at load time; handed out once by Ruleset
}

// Expanded returns the parsed condition with every macro expanded, printed
// fully parenthesised: the condition the rule really evaluates. Its length
// is not bounded: macros used many times are expanded at each use
// ([Rule.Expansion] bounds it).
func (r *Rule) Expanded() string { return Expand(r.root) }

// Expansion returns the rule's condition as [ExpandBounded] prints it
// within [MaxExpandedText].
func (r *Rule) Expansion() Expansion { return ExpandBounded(r.root, MaxExpandedText) }

// Root returns the rule's parsed condition with its macros expanded, for
// compiling with package engine. The tree is shared: do not modify it.
func (r *Rule) Root() engine.Node { return r.root }

// EngineRules returns the set's rules compiled for package engine, in load
// order, with Data pointing at the *Rule. The first call returns the rules
// compiled while loading; later calls compile fresh copies, since compiled
// rules are not safe for concurrent use (one copy per goroutine).
// EngineRules and Ruleset are safe for concurrent use.
func (s *Set) EngineRules() ([]*engine.Rule, error) {
	out := make([]*engine.Rule, 0, len(s.Rules))
	opts := engine.CompileOptions{Registry: s.opts.Fields, EventTypes: s.opts.EventTypes}
	s.mu.Lock()
	if len(s.Rules) > 0 && s.Rules[0].engine != nil {
		for _, r := range s.Rules {
			out = append(out, r.engine)
			r.engine = nil
		}
		s.mu.Unlock()
		return out, nil
	}
	s.mu.Unlock()
	for _, r := range s.Rules {
		cond, _, err := engine.Compile(r.root, r.Substituted, opts)
		if err != nil {
			return nil, fmt.Errorf("compile rule %q: %w", r.Name, err)
		}
		format, err := engine.CompileFormat(r.format, opts)
		if err != nil {
			return nil, fmt.Errorf("compile output of rule %q: %w", r.Name, err)
		}
		out = append(out, &engine.Rule{Name: r.Name, Priority: r.Priority, Source: r.Source, Tags: r.Tags,
			Enabled: r.Enabled, Condition: cond, Output: format, Data: r})
	}
	return out, nil
}

// Ruleset compiles the set's rules into an engine ruleset that runs the
// rules sel selects with the given matching mode.
func (s *Set) Ruleset(sel engine.Selection, mode engine.MatchMode) (*engine.Ruleset, error) {
	rs, err := s.EngineRules()
	if err != nil {
		return nil, err
	}
	return engine.NewRuleset(s.opts.EventTypes, rs, sel, mode)
}

// RulesetWith is [Set.Ruleset] with ruleset options (profiling, the
// straightforward evaluator).
func (s *Set) RulesetWith(sel engine.Selection, mode engine.MatchMode, opts engine.RulesetOptions) (*engine.Ruleset, error) {
	rs, err := s.EngineRules()
	if err != nil {
		return nil, err
	}
	return engine.NewRulesetWith(s.opts.EventTypes, rs, sel, mode, opts)
}

// List is a loaded list, with its items as written (appends included).
type List struct {
	Name  string
	Items []string
	Pos   Position
}

// Macro is a loaded macro, with its condition as written (appends included).
type Macro struct {
	Name      string
	Condition string
	Pos       Position
}

// Rule returns the rule with the given name, or nil.
func (s *Set) Rule(name string) *Rule {
	for _, r := range s.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Expand prints a parsed condition with every expanded macro reference
// replaced by its expansion: the condition a rule really evaluates.
func Expand(n engine.Node) string {
	var b strings.Builder
	writeExpanded(&b, n)
	return b.String()
}

func writeExpanded(b *strings.Builder, n engine.Node) {
	switch n := n.(type) {
	case *engine.AndExpr:
		writeTerms(b, n.Terms, " and ")
	case *engine.OrExpr:
		writeTerms(b, n.Terms, " or ")
	case *engine.NotExpr:
		b.WriteString("not ")
		writeExpanded(b, n.Term)
	case *engine.MacroRef:
		if n.Expansion == nil {
			b.WriteString(n.Name)
			return
		}
		writeExpanded(b, n.Expansion)
	case nil:
	default:
		b.WriteString(n.String())
	}
}

func writeTerms(b *strings.Builder, terms []engine.Node, sep string) {
	b.WriteByte('(')
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		writeExpanded(b, t)
	}
	b.WriteByte(')')
}

// MaxExpandedText bounds the text of a condition with every macro
// expanded that [Rule.Expansion] prints; longer ones print their macros by
// reference (docs/FORMAT.md, "Limits of the analysis").
const MaxExpandedText = 1 << 20

// Expansion is a condition printed for people: with every macro expanded
// when that text is at most the bound, else with every macro by name and
// each macro defined once in Macros.
type Expansion struct {
	// Text is the condition, fully parenthesised.
	Text string
	// Macros define the macros Text and the definitions name, each once,
	// in order of first use; empty when Text is fully expanded.
	Macros []MacroText
}

// MacroText is one macro of an [Expansion]: its name and its condition,
// which names the macros it uses.
type MacroText struct {
	Name, Text string
}

// ExpandBounded prints n as [Expand] does when that text is at most limit
// bytes long; otherwise it prints each macro once, by reference, so that
// the text is linear in the number of distinct macros however often they
// are used. Both the length check and the printing take time linear in
// the distinct nodes of n.
func ExpandBounded(n engine.Node, limit int) Expansion {
	if expandedLen(n, map[engine.Node]int{}, limit) <= limit {
		return Expansion{Text: Expand(n)}
	}
	r := refPrinter{names: map[engine.Node]string{}, used: map[string]bool{}}
	var b strings.Builder
	r.write(&b, n)
	for i := 0; i < len(r.queue); i++ {
		var mb strings.Builder
		r.write(&mb, r.queue[i].Expansion)
		r.out = append(r.out, MacroText{Name: r.names[r.queue[i].Expansion], Text: mb.String()})
	}
	return Expansion{Text: b.String(), Macros: r.out}
}

// expandedLen returns the length of Expand(n), or a number above limit
// when it is longer. Lengths of shared expansions are memoised.
func expandedLen(n engine.Node, memo map[engine.Node]int, limit int) int {
	switch n := n.(type) {
	case *engine.AndExpr:
		return termsLen(n.Terms, len(" and "), memo, limit)
	case *engine.OrExpr:
		return termsLen(n.Terms, len(" or "), memo, limit)
	case *engine.NotExpr:
		return min(len("not ")+expandedLen(n.Term, memo, limit), limit+1)
	case *engine.MacroRef:
		if n.Expansion == nil {
			return len(n.Name)
		}
		if v, ok := memo[n.Expansion]; ok {
			return v
		}
		v := expandedLen(n.Expansion, memo, limit)
		memo[n.Expansion] = v
		return v
	case nil:
		return 0
	default:
		return min(len(n.String()), limit+1)
	}
}

func termsLen(terms []engine.Node, sep int, memo map[engine.Node]int, limit int) int {
	total := 2 + sep*max(len(terms)-1, 0)
	for _, t := range terms {
		if total > limit {
			break
		}
		total += expandedLen(t, memo, limit)
	}
	return min(total, limit+1)
}

// refPrinter prints a condition with its expanded macros by name, and
// queues each distinct expansion once for definition.
type refPrinter struct {
	names map[engine.Node]string // expansion -> the name it is printed as
	used  map[string]bool
	queue []*engine.MacroRef
	out   []MacroText
}

func (r *refPrinter) write(b *strings.Builder, n engine.Node) {
	switch n := n.(type) {
	case *engine.AndExpr:
		r.terms(b, n.Terms, " and ")
	case *engine.OrExpr:
		r.terms(b, n.Terms, " or ")
	case *engine.NotExpr:
		b.WriteString("not ")
		r.write(b, n.Term)
	case *engine.MacroRef:
		if n.Expansion == nil {
			b.WriteString(n.Name)
			return
		}
		name, ok := r.names[n.Expansion]
		if !ok {
			// A macro expanded twice with different contents (Falco
			// clones macros per visibility) gets a numbered name.
			name = n.Name
			for i := 2; r.used[name]; i++ {
				name = fmt.Sprintf("%s#%d", n.Name, i)
			}
			r.names[n.Expansion], r.used[name] = name, true
			r.queue = append(r.queue, n)
		}
		b.WriteString(name)
	case nil:
	default:
		b.WriteString(n.String())
	}
}

func (r *refPrinter) terms(b *strings.Builder, terms []engine.Node, sep string) {
	b.WriteByte('(')
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		r.write(b, t)
	}
	b.WriteByte(')')
}
