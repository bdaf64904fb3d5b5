package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/describe"
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

// loadOrFail loads rules for the inspecting commands: any error is printed
// with its diagnostics and fails the command with the usage exit code.
func loadOrFail(cmd *cobra.Command, paths []string, env ruleEnv) (*rules.Set, error) {
	set, err := loadRuleSet(paths, env)
	if err != nil {
		describe.Diagnostics(cmd.ErrOrStderr(), nil, err, false)
		return nil, withCode(exitUsage, fmt.Errorf("load rules: %d errors", describe.ErrorCount(err)))
	}
	return set, nil
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
			return describe.List(cmd.OutOrStdout(), set, asJSON)
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
			if err != nil && !errors.As(err, &le) {
				if !asJSON {
					describe.Diagnostics(cmd.ErrOrStderr(), set, err, !quiet)
				}
				return withCode(exitFailure, err)
			}
			if asJSON {
				if jerr := describe.WriteValidation(cmd.OutOrStdout(), set, le); jerr != nil {
					return jerr
				}
			} else {
				describe.Diagnostics(cmd.ErrOrStderr(), set, err, !quiet)
				describe.Verdicts(cmd.OutOrStdout(), set, le)
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
			return describe.Show(cmd.OutOrStdout(), r, asJSON)
		},
	}
	addRulesFlag(cmd, &paths)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newRulesFieldsCmd(env func() ruleEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fields",
		Short: "List every field conditions and outputs can use: name, type, argument, description",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return describe.Fields(cmd.OutOrStdout(), env().fields.Fields(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
