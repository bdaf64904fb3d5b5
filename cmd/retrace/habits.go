package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/retrace-dev/retrace/internal/habits"
	"github.com/retrace-dev/retrace/internal/suggest"
)

// This file wires internal/habits into the commands: flags that mean
// something else here get a pointer to retrace's equivalent instead of a
// bare "unknown flag".

// flagHint turns an unknown-flag error of cmd into one that points to the
// equivalent retrace flag or command, or to the closest flag names.
func flagHint(cmd *cobra.Command, err error) error {
	name, ok := habits.UnknownFlagName(err.Error())
	if !ok {
		return withCode(exitUsage, err)
	}
	if hint, ok := habits.ForeignFlag(name); ok {
		return withCode(exitUsage, fmt.Errorf("%w: %s", err, hint))
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		names = append(names, "--"+f.Name)
		if f.Shorthand != "" {
			names = append(names, "-"+f.Shorthand)
		}
	})
	typed := "--" + name
	if len(name) == 1 {
		typed = "-" + name
	}
	return withCode(exitUsage, fmt.Errorf("%w%s", err, suggest.DidYouMean(typed, names)))
}

// checkCaptureArgs explains arguments that are no files but look like a
// sysdig filter given positionally.
func checkCaptureArgs(args []string) error {
	for _, a := range args {
		if _, err := os.Stat(a); err == nil || !errors.Is(err, os.ErrNotExist) || !habits.LooksLikeFilter(a) {
			continue
		}
		return withCode(exitUsage, errors.New(habits.PositionalFilter(a)))
	}
	return nil
}

// falcoFlags are falco's command-line habits that make sense offline:
// -e for the capture, and the rule inspection flags -L, -l, -V, --list,
// answered by the matching `retrace rules` command.
type falcoFlags struct {
	captures   []string
	listRules  bool
	describe   string
	validate   []string
	listFields bool
}

func (f *falcoFlags) addFlags(fl *pflag.FlagSet) {
	fl.StringArrayVarP(&f.captures, "capture", "e", nil, "a capture to replay, as falco -e takes it (repeatable; same as an argument)")
	fl.BoolVarP(&f.listRules, "list-rules", "L", false, "list the rules and exit, as falco -L (retrace rules list)")
	fl.StringVarP(&f.describe, "describe-rule", "l", "", "show a rule and exit, as falco -l RULE (retrace rules show)")
	fl.StringArrayVarP(&f.validate, "validate", "V", nil, "validate a rules file and exit, as falco -V (repeatable; retrace rules validate)")
	fl.BoolVar(&f.listFields, "list", false, "list the fields and exit, as falco --list (retrace rules fields)")
}

// run answers an inspection flag with its `retrace rules` command; done
// says whether one was given.
func (f *falcoFlags) run(cmd *cobra.Command, ruleFiles []string) (done bool, err error) {
	var args []string
	switch {
	case f.listRules:
		args = []string{"list"}
	case f.describe != "":
		args = []string{"show", f.describe}
	case len(f.validate) > 0:
		args = append([]string{"validate"}, f.validate...)
	case f.listFields:
		args = []string{"fields"}
	default:
		return false, nil
	}
	for _, r := range ruleFiles {
		args = append(args, "-r", r)
	}
	rc := newRulesCmd()
	rc.SetArgs(args)
	rc.SetOut(cmd.OutOrStdout())
	rc.SetErr(cmd.ErrOrStderr())
	rc.SilenceErrors, rc.SilenceUsage = true, true
	return true, rc.ExecuteContext(cmd.Context())
}
