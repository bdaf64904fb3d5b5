// Package describe renders rule sets for people and programs: the rule
// listing (like falco -L), one rule with its macros and lists expanded
// (like falco -l), the verdicts and diagnostics of a validation (like
// falco -V) and the field listing, as aligned text or JSON.
package describe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/retrace-dev/retrace/internal/suggest"

	"github.com/retrace-dev/retrace/rules"
)

// EventTypes renders a rule's event types for listings: "all" when the
// rule is not restricted, "none" when it matches no event type.
func EventTypes(r *rules.Rule) string {
	switch {
	case r.AllEventTypes:
		return "all"
	case len(r.EventTypes) == 0:
		return "none"
	}
	return strings.Join(r.EventTypes, ",")
}

// Rule is a rule as the JSON listings print it.
type Rule struct {
	Name       string   `json:"name"`
	Desc       string   `json:"desc"`
	Priority   string   `json:"priority"`
	Source     string   `json:"source"`
	Enabled    bool     `json:"enabled"`
	Tags       []string `json:"tags"`
	EventTypes []string `json:"event_types"` // ["all"] when unrestricted
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Condition  string   `json:"condition,omitempty"`
	Expanded   string   `json:"expanded_condition,omitempty"`
	// Macros, when the expanded condition would pass rules.MaxExpandedText,
	// define the macros Expanded names instead of expanding them.
	Macros     []Macro  `json:"expanded_macros,omitempty"`
	Output     string   `json:"output,omitempty"`
	Exceptions []string `json:"exceptions,omitempty"`
}

// Macro is a macro of a rule's expanded condition printed by reference.
type Macro struct {
	Name      string `json:"name"`
	Condition string `json:"condition"`
}

// NewRule returns r for JSON; full adds the condition, its expansion, the
// output and the exceptions.
func NewRule(r *rules.Rule, full bool) Rule {
	j := Rule{Name: r.Name, Desc: r.Desc, Priority: r.Priority.String(), Source: r.Source, Enabled: r.Enabled,
		Tags: r.Tags, EventTypes: r.EventTypes, File: r.Pos.File, Line: r.Pos.Line}
	if r.AllEventTypes {
		j.EventTypes = []string{"all"}
	}
	if j.EventTypes == nil {
		j.EventTypes = []string{}
	}
	if full {
		x := r.Expansion()
		j.Condition, j.Expanded, j.Output, j.Exceptions = r.Condition, x.Text, r.Output, r.Exceptions
		for _, m := range x.Macros {
			j.Macros = append(j.Macros, Macro{Name: m.Name, Condition: m.Text})
		}
	}
	return j
}

// writeJSON writes v indented, as every JSON listing here is.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// List writes the rules of set: a table of name, priority, source,
// enabled, tags and event types, or a JSON array.
func List(w io.Writer, set *rules.Set, asJSON bool) error {
	if asJSON {
		list := make([]Rule, 0, len(set.Rules))
		for _, r := range set.Rules {
			list = append(list, NewRule(r, false))
		}
		return writeJSON(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tPRIORITY\tSOURCE\tENABLED\tTAGS\tEVENT TYPES")
	for _, r := range set.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\n", r.Name, r.Priority, r.Source, r.Enabled,
			strings.Join(r.Tags, ","), EventTypes(r))
	}
	return tw.Flush()
}

// Show writes one rule with everything known about it: where it is
// defined, its metadata, its condition with and without exceptions and
// the condition with macros and lists expanded.
func Show(w io.Writer, r *rules.Rule, asJSON bool) error {
	return show(w, r, asJSON)
}

// ShowRule writes the rule of set named name as [Show] does; a name no rule
// has is an error with the closest names.
func ShowRule(w io.Writer, set *rules.Set, name string, asJSON bool) error {
	r := set.Rule(name)
	if r == nil {
		names := make([]string, len(set.Rules))
		for i, r := range set.Rules {
			names[i] = r.Name
		}
		return fmt.Errorf("show rule: no rule named %q%s", name, suggest.DidYouMean(name, names))
	}
	return show(w, r, asJSON)
}

func show(w io.Writer, r *rules.Rule, asJSON bool) error {
	if asJSON {
		return writeJSON(w, NewRule(r, true))
	}
	fmt.Fprintf(w, "rule:        %s\n", r.Name)
	fmt.Fprintf(w, "defined at:  %s\n", r.Pos)
	fmt.Fprintf(w, "priority:    %s\n", r.Priority)
	fmt.Fprintf(w, "source:      %s\n", r.Source)
	fmt.Fprintf(w, "enabled:     %t\n", r.Enabled)
	fmt.Fprintf(w, "tags:        %s\n", strings.Join(r.Tags, ", "))
	fmt.Fprintf(w, "event types: %s\n", EventTypes(r))
	if len(r.Exceptions) > 0 {
		fmt.Fprintf(w, "exceptions:  %s\n", strings.Join(r.Exceptions, ", "))
	}
	fmt.Fprintf(w, "description:\n  %s\n", r.Desc)
	fmt.Fprintf(w, "output:\n  %s\n", r.Output)
	fmt.Fprintf(w, "condition:\n  %s\n", strings.TrimSpace(r.Condition))
	if r.WithExceptions != r.Condition {
		fmt.Fprintf(w, "condition with exceptions:\n  %s\n", strings.TrimSpace(r.WithExceptions))
	}
	x := r.Expansion()
	fmt.Fprintf(w, "expanded condition (macros and lists):\n  %s\n", x.Text)
	if len(x.Macros) > 0 {
		fmt.Fprintf(w, "  where (expanded at every use it would pass %d MiB, so each macro is shown once):\n", rules.MaxExpandedText>>20)
		for _, m := range x.Macros {
			fmt.Fprintf(w, "    %s = %s\n", m.Name, m.Text)
		}
	}
	_, err := fmt.Fprint(w)
	return err
}

// Diagnostics writes the errors of a load error err (or err itself when
// it is another error) and, when warnings is set, the warnings of set,
// each with its position and snippet.
func Diagnostics(w io.Writer, set *rules.Set, err error, warnings bool) {
	var le *rules.LoadError
	if errors.As(err, &le) {
		for _, e := range le.Errors {
			fmt.Fprintln(w, e.Detail())
		}
	} else if err != nil {
		fmt.Fprintln(w, err)
	}
	if set != nil && warnings {
		for _, d := range set.Warnings {
			fmt.Fprintln(w, d.Detail())
		}
	}
}

// ErrorCount returns the number of errors err stands for.
func ErrorCount(err error) int {
	var le *rules.LoadError
	if errors.As(err, &le) {
		return len(le.Errors)
	}
	return 1
}

// Verdicts writes one verdict per file of set ("FILE: Ok" or "FILE: N
// errors") and, when the set loaded, its totals and the engine and plugin
// versions it requires.
func Verdicts(w io.Writer, set *rules.Set, le *rules.LoadError) {
	if set == nil {
		return
	}
	perFile := map[string]int{}
	if le != nil {
		for _, e := range le.Errors {
			perFile[e.Pos.File]++
		}
	}
	for _, f := range set.Files {
		if n := perFile[f]; n > 0 {
			fmt.Fprintf(w, "%s: %d errors\n", f, n)
		} else {
			fmt.Fprintf(w, "%s: Ok\n", f)
		}
	}
	if le == nil {
		fmt.Fprintf(w, "%d rules, %d macros, %d lists; %d warnings\n",
			len(set.Rules), len(set.Macros), len(set.Lists), len(set.Warnings))
		Requirements(w, set)
	}
}

// Requirements writes the engine and plugin versions set requires and
// whether retrace satisfies them.
func Requirements(w io.Writer, set *rules.Set) {
	if v := set.RequiredEngineVersion; v != (rules.Version{}) {
		fmt.Fprintf(w, "requires engine version %s (retrace implements %s)\n", v, rules.EngineVersion())
	}
	for _, req := range set.RequiredPlugins {
		var alts []string
		for _, a := range req.Alternatives {
			alts = append(alts, fmt.Sprintf("%s >= %s", a.Name, a.Version))
		}
		verdict := "provided by retrace's built-in fields"
		if !req.Satisfied {
			verdict = "not provided"
		}
		fmt.Fprintf(w, "requires plugin %s: %s\n", strings.Join(alts, " or "), verdict)
	}
}

// Diagnostic is a diagnostic as `rules validate --json` prints it.
type Diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Col      int    `json:"col,omitempty"`
	Item     string `json:"item"`
	Name     string `json:"name,omitempty"`
	Message  string `json:"message"`
}

// Validation is the result of a validation as JSON.
type Validation struct {
	OK       bool         `json:"ok"`
	Files    []string     `json:"files"`
	Rules    int          `json:"rules"`
	Errors   []Diagnostic `json:"errors"`
	Warnings []Diagnostic `json:"warnings"`
}

func newDiagnostic(d rules.Diagnostic) Diagnostic {
	return Diagnostic{Severity: d.Severity.String(), Code: string(d.Code), File: d.Pos.File, Line: d.Pos.Line,
		Col: d.Pos.Col, Item: string(d.Kind), Name: d.Name, Message: d.Message}
}

// NewValidation returns the validation result of a load that returned
// set (nil when nothing loaded) and le (nil when it succeeded).
func NewValidation(set *rules.Set, le *rules.LoadError) Validation {
	res := Validation{OK: le == nil, Errors: []Diagnostic{}, Warnings: []Diagnostic{}, Files: []string{}}
	if le != nil {
		for _, e := range le.Errors {
			res.Errors = append(res.Errors, newDiagnostic(e.Diagnostic))
		}
	}
	if set != nil {
		res.Files, res.Rules = set.Files, len(set.Rules)
		for _, w := range set.Warnings {
			res.Warnings = append(res.Warnings, newDiagnostic(w))
		}
	}
	return res
}

// WriteValidation writes the validation result as indented JSON.
func WriteValidation(w io.Writer, set *rules.Set, le *rules.LoadError) error {
	return writeJSON(w, NewValidation(set, le))
}
