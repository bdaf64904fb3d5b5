package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/describe"
)

// newRulesCmd builds `retrace rules`; its commands compile rules against
// replay's field registry.
func newRulesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:        "rules",
		SuggestFor: []string{"validate", "list", "show", "fields"},
		Short:      "List, validate and inspect rules written in Falco's rule language",
		Long: `retrace rules works on rules files in Falco's rule language: the built-in
rules, or the files and directories given with -r (loaded in order; a
directory contributes its .yaml/.yml files sorted by name).`,
	}
	cmd.AddCommand(newRulesListCmd(), newRulesValidateCmd(), newRulesShowCmd(), newRulesFieldsCmd())
	return cmd
}

// addRulesFlag adds the repeatable -r flag. Files may also be given as
// arguments, as falco -V and -L users type them.
func addRulesFlag(cmd *cobra.Command, dst *[]string) {
	cmd.Flags().StringArrayVarP(dst, "rules", "r", nil, "rules file or directory (repeatable, or as arguments); default: the built-in rules")
}

// loadOrFail loads rules for the inspecting commands: any error is printed
// with its diagnostics and fails the command with the usage exit code.
func loadOrFail(cmd *cobra.Command, paths []string) (*rules.Set, error) {
	set, err := detect.LoadRules(paths, replay.NewFieldRegistry())
	if err != nil {
		describe.Diagnostics(cmd.ErrOrStderr(), nil, err, false)
		return nil, withCode(exitUsage, fmt.Errorf("load rules: %d errors", describe.ErrorCount(err)))
	}
	return set, nil
}

func newRulesListCmd() *cobra.Command {
	var paths []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the rules: name, priority, source, tags and event types (like falco -L)",
		Example: `  retrace rules list falco_rules.yaml
  retrace rules list -r falco_rules.yaml -r rules.d/ --json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadOrFail(cmd, append(paths, args...))
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

func newRulesValidateCmd() *cobra.Command {
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
			set, err := detect.LoadRules(paths, replay.NewFieldRegistry())
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

func newRulesShowCmd() *cobra.Command {
	var paths []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show RULE [FILE...]",
		Short:   "Show a rule with its macros and lists expanded (like falco -l)",
		Example: `  retrace rules show "Terminal shell in container" -r falco_rules.yaml`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadOrFail(cmd, append(paths, args[1:]...))
			if err != nil {
				return err
			}
			return withCode(exitUsage, describe.ShowRule(cmd.OutOrStdout(), set, args[0], asJSON))
		},
	}
	addRulesFlag(cmd, &paths)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newRulesFieldsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fields",
		Short: "List every field conditions and outputs can use: name, type, argument, description",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return describe.Fields(cmd.OutOrStdout(), replay.NewFieldRegistry().Fields(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
