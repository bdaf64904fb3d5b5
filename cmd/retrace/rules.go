package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/rules"
)

// ruleEnv is what the rules commands compile rules against: the field
// registry.
type ruleEnv struct {
	fields engine.Registry
}

// defaultRuleEnv wires replay's field registry.
func defaultRuleEnv() ruleEnv {
	return ruleEnv{fields: replay.NewFieldRegistry()}
}

func newRulesCmd() *cobra.Command { return newRulesCmdWith(defaultRuleEnv) }

// newRulesCmdWith builds `retrace rules`; env is called when a command
// needs the registry.
func newRulesCmdWith(env func() ruleEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:        "rules",
		SuggestFor: []string{"validate", "list", "show", "fields"},
		Short:      "List, validate and inspect rules written in Falco's rule language",
		Long: `retrace rules works on rules files in Falco's rule language: the built-in
rules, or the files and directories given with -r (loaded in order; a
directory contributes its .yaml/.yml files sorted by name).`,
	}
	cmd.AddCommand(newRulesListCmd(env), newRulesValidateCmd(env), newRulesShowCmd(env), newRulesFieldsCmd(env))
	return cmd
}

// addRulesFlag adds the repeatable -r flag. Files may also be given as
// arguments, as falco -V and -L users type them.
func addRulesFlag(cmd *cobra.Command, dst *[]string) {
	cmd.Flags().StringArrayVarP(dst, "rules", "r", nil, "rules file or directory (repeatable, or as arguments); default: the built-in rules")
}

// loadRuleSet loads the given files, or the built-in rules when none.
func loadRuleSet(paths []string, env ruleEnv) (*rules.Set, error) {
	return detect.LoadRules(paths, env.fields)
}

// printDiagnostics writes the errors of err and the warnings of set.
func printDiagnostics(w io.Writer, set *rules.Set, err error, warnings bool) {
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

// loadOrFail loads rules for the inspecting commands: any error is printed
// with its diagnostics and fails the command with the usage exit code.
func loadOrFail(cmd *cobra.Command, paths []string, env ruleEnv) (*rules.Set, error) {
	set, err := loadRuleSet(paths, env)
	if err != nil {
		printDiagnostics(cmd.ErrOrStderr(), nil, err, false)
		return nil, withCode(exitUsage, fmt.Errorf("load rules: %d errors", errorCount(err)))
	}
	return set, nil
}

func errorCount(err error) int {
	var le *rules.LoadError
	if errors.As(err, &le) {
		return len(le.Errors)
	}
	return 1
}

// eventTypesText renders a rule's event types for listings.
func eventTypesText(r *rules.Rule) string {
	switch {
	case r.AllEventTypes:
		return "all"
	case len(r.EventTypes) == 0:
		return "none"
	}
	return strings.Join(r.EventTypes, ",")
}

// ruleJSON is a rule in `rules list --json` and `rules show --json`.
type ruleJSON struct {
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
	Output     string   `json:"output,omitempty"`
	Exceptions []string `json:"exceptions,omitempty"`
}

func toJSON(r *rules.Rule, full bool) ruleJSON {
	j := ruleJSON{Name: r.Name, Desc: r.Desc, Priority: r.Priority.String(), Source: r.Source, Enabled: r.Enabled,
		Tags: r.Tags, EventTypes: r.EventTypes, File: r.Pos.File, Line: r.Pos.Line}
	if r.AllEventTypes {
		j.EventTypes = []string{"all"}
	}
	if j.EventTypes == nil {
		j.EventTypes = []string{}
	}
	if full {
		j.Condition, j.Expanded, j.Output, j.Exceptions = r.Condition, r.Expanded(), r.Output, r.Exceptions
	}
	return j
}

func newRulesListCmd(env func() ruleEnv) *cobra.Command {
	var paths []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the rules: name, priority, source, tags and event types (like falco -L)",
		Example: `  retrace rules list falco_rules.yaml
  retrace rules list -r falco_rules.yaml -r rules.d/ --json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadOrFail(cmd, append(paths, args...), env())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				list := make([]ruleJSON, 0, len(set.Rules))
				for _, r := range set.Rules {
					list = append(list, toJSON(r, false))
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tPRIORITY\tSOURCE\tENABLED\tTAGS\tEVENT TYPES")
			for _, r := range set.Rules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\n", r.Name, r.Priority, r.Source, r.Enabled,
					strings.Join(r.Tags, ","), eventTypesText(r))
			}
			return tw.Flush()
		},
	}
	addRulesFlag(cmd, &paths)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newRulesValidateCmd(env func() ruleEnv) *cobra.Command {
	var paths []string
	var quiet, asJSON bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check rules files (like falco -V): exit 0 when they load, 1 on any error",
		Long: `validate loads the rules files in order and checks every item: YAML shape,
lists, macros and rules, appends and overrides, exceptions, conditions
(fields, operators, types, macros) and outputs. Errors and warnings go to
stderr with their file:line:col and a snippet; each file gets a verdict on
stdout.`,
		Example: `  retrace rules validate falco_rules.yaml my_rules.yaml
  retrace rules validate -r falco_rules.yaml -r my_rules.yaml --json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := append(paths, args...)
			set, err := loadRuleSet(paths, env())
			var le *rules.LoadError
			if asJSON {
				if err != nil && !errors.As(err, &le) {
					return withCode(exitFailure, err)
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(validationJSON(set, le)); jerr != nil {
					return jerr
				}
				if le != nil {
					return withCode(exitFailure, fmt.Errorf("rules are invalid: %d errors", len(le.Errors)))
				}
				return nil
			}
			printDiagnostics(cmd.ErrOrStderr(), set, err, !quiet)
			if err != nil && !errors.As(err, &le) {
				return withCode(exitFailure, err)
			}
			perFile := map[string]int{}
			if le != nil {
				for _, e := range le.Errors {
					perFile[e.Pos.File]++
				}
			}
			if set != nil {
				out := cmd.OutOrStdout()
				for _, f := range set.Files {
					if n := perFile[f]; n > 0 {
						fmt.Fprintf(out, "%s: %d errors\n", f, n)
					} else {
						fmt.Fprintf(out, "%s: Ok\n", f)
					}
				}
				if le == nil {
					fmt.Fprintf(out, "%d rules, %d macros, %d lists; %d warnings\n",
						len(set.Rules), len(set.Macros), len(set.Lists), len(set.Warnings))
					printRequirements(out, set)
				}
			}
			if le != nil {
				return withCode(exitFailure, fmt.Errorf("rules are invalid: %d errors", len(le.Errors)))
			}
			return nil
		},
	}
	addRulesFlag(cmd, &paths)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "do not print warnings")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result and every diagnostic as JSON on stdout")
	return cmd
}

// diagnosticJSON is a diagnostic in `rules validate --json`.
type diagnosticJSON struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Col      int    `json:"col,omitempty"`
	Item     string `json:"item"`
	Name     string `json:"name,omitempty"`
	Message  string `json:"message"`
}

// validationResult is the output of `rules validate --json`.
type validationResult struct {
	OK       bool             `json:"ok"`
	Files    []string         `json:"files"`
	Rules    int              `json:"rules"`
	Errors   []diagnosticJSON `json:"errors"`
	Warnings []diagnosticJSON `json:"warnings"`
}

func toDiagnosticJSON(d rules.Diagnostic) diagnosticJSON {
	return diagnosticJSON{Severity: d.Severity.String(), Code: string(d.Code), File: d.Pos.File, Line: d.Pos.Line,
		Col: d.Pos.Col, Item: string(d.Kind), Name: d.Name, Message: d.Message}
}

func validationJSON(set *rules.Set, le *rules.LoadError) validationResult {
	res := validationResult{OK: le == nil, Errors: []diagnosticJSON{}, Warnings: []diagnosticJSON{}, Files: []string{}}
	if le != nil {
		for _, e := range le.Errors {
			res.Errors = append(res.Errors, toDiagnosticJSON(e.Diagnostic))
		}
	}
	if set != nil {
		res.Files, res.Rules = set.Files, len(set.Rules)
		for _, w := range set.Warnings {
			res.Warnings = append(res.Warnings, toDiagnosticJSON(w))
		}
	}
	return res
}

// printRequirements reports the engine and plugin versions the files
// require and whether retrace satisfies them.
func printRequirements(w io.Writer, set *rules.Set) {
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

func newRulesShowCmd(env func() ruleEnv) *cobra.Command {
	var paths []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show RULE [FILE...]",
		Short:   "Show a rule with its macros and lists expanded (like falco -l)",
		Example: `  retrace rules show "Terminal shell in container" -r falco_rules.yaml`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadOrFail(cmd, append(paths, args[1:]...), env())
			if err != nil {
				return err
			}
			r := set.Rule(args[0])
			if r == nil {
				names := make([]string, len(set.Rules))
				for i, r := range set.Rules {
					names[i] = r.Name
				}
				return withCode(exitUsage, fmt.Errorf("show rule: no rule named %q%s", args[0], suggest.DidYouMean(args[0], names)))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(toJSON(r, true))
			}
			fmt.Fprintf(out, "rule:        %s\n", r.Name)
			fmt.Fprintf(out, "defined at:  %s\n", r.Pos)
			fmt.Fprintf(out, "priority:    %s\n", r.Priority)
			fmt.Fprintf(out, "source:      %s\n", r.Source)
			fmt.Fprintf(out, "enabled:     %t\n", r.Enabled)
			fmt.Fprintf(out, "tags:        %s\n", strings.Join(r.Tags, ", "))
			fmt.Fprintf(out, "event types: %s\n", eventTypesText(r))
			if len(r.Exceptions) > 0 {
				fmt.Fprintf(out, "exceptions:  %s\n", strings.Join(r.Exceptions, ", "))
			}
			fmt.Fprintf(out, "description:\n  %s\n", r.Desc)
			fmt.Fprintf(out, "output:\n  %s\n", r.Output)
			fmt.Fprintf(out, "condition:\n  %s\n", strings.TrimSpace(r.Condition))
			if r.WithExceptions != r.Condition {
				fmt.Fprintf(out, "condition with exceptions:\n  %s\n", strings.TrimSpace(r.WithExceptions))
			}
			fmt.Fprintf(out, "expanded condition (macros and lists):\n  %s\n", r.Expanded())
			return nil
		},
	}
	addRulesFlag(cmd, &paths)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// fieldJSON is a field in `rules fields --json`.
type fieldJSON struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Argument string   `json:"argument"`
	Syntax   []string `json:"argument_syntax,omitempty"`
	Flags    []string `json:"flags,omitempty"`
	Desc     string   `json:"description"`
}

func argSyntax(s engine.ArgSyntax) []string {
	var out []string
	if s&engine.ArgIndex != 0 {
		out = append(out, "[N]")
	}
	if s&engine.ArgKey != 0 {
		out = append(out, "[key]")
	}
	if s&engine.ArgDotted != 0 {
		out = append(out, ".name")
	}
	return out
}

func fieldFlags(f engine.FieldFlags) []string {
	var out []string
	for _, x := range []struct {
		bit  engine.FieldFlags
		name string
	}{
		{engine.FlagFilterOnly, "filter-only"}, {engine.FlagPrintOnly, "output-only"},
		{engine.FlagNoRHS, "no-val"}, {engine.FlagNoTransformer, "no-transformer"},
		{engine.FlagDeprecated, "deprecated"}, {engine.FlagTableOnly, "table-only"},
	} {
		if f&x.bit != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

func newRulesFieldsCmd(env func() ruleEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fields",
		Short: "List every field conditions and outputs can use: name, type, argument, description",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fields := env().fields.Fields()
			out := cmd.OutOrStdout()
			if asJSON {
				list := make([]fieldJSON, 0, len(fields))
				for _, f := range fields {
					list = append(list, fieldJSON{Name: f.Name, Type: f.Type.String(), Argument: f.Arg.String(),
						Syntax: argSyntax(f.ArgSyntax), Flags: fieldFlags(f.Flags), Desc: f.Desc})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FIELD\tTYPE\tARGUMENT\tDESCRIPTION")
			for _, f := range fields {
				arg := f.Arg.String()
				if f.Arg != engine.ArgNone {
					arg += " " + strings.Join(argSyntax(f.ArgSyntax), "|")
				}
				desc := f.Desc
				if fl := fieldFlags(f.Flags); len(fl) > 0 {
					desc += " (" + strings.Join(fl, ", ") + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Type, arg, desc)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
