package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/retrace-dev/retrace/internal/suggest"
)

// This file meets Falco's and sysdig's users where their habits differ
// from retrace: flags that mean something else here get a pointer to
// retrace's equivalent instead of a bare "unknown flag".

// foreignFlags maps flags of falco and sysdig that retrace's commands do
// not have to what to use instead.
var foreignFlags = map[string]string{
	"w":            "sysdig's -w writes the selected events: retrace events CAPTURE FILTER -w OUT (or retrace convert IN OUT)",
	"j":            "sysdig's -j prints JSON: -o json here, or retrace events -j",
	"c":            "sysdig's chisels are retrace timeline views: spy_users → commands, topfiles_* → files, topconns/netstat → connections, echo_fds → io, topprocs_errors → errors; retrace timeline --help lists them",
	"chisel":       "sysdig's chisels are retrace timeline views: spy_users → commands, topfiles_* → files, topconns/netstat → connections, echo_fds → io; retrace timeline --help lists them",
	"s":            "sysdig's -s (snaplen) is set when recording: retrace record --snaplen N",
	"snaplen":      "the snaplen is set when recording: retrace record --snaplen N",
	"M":            "Falco's -M stops after N seconds of a live capture: use --until +DURATION (e.g. --until +30s) on a recorded one",
	"k":            "the Kubernetes API is not reachable offline: Kubernetes metadata comes from what the recorder wrote into the capture",
	"K":            "the Kubernetes API is not reachable offline: Kubernetes metadata comes from what the recorder wrote into the capture",
	"pidfile":      "retrace replay runs in the foreground and writes no pidfile",
	"daemon":       "retrace replay runs in the foreground on recorded captures",
	"modern-bpf":   "drivers are for live capture: retrace record records with eBPF, replay reads captures",
	"u":            "drivers are for live capture: retrace record records with eBPF, replay reads captures",
	"N":            "retrace never resolves host names (captures are replayed offline)",
	"S":            "the summary line on stderr gives the event counts (drop -q to see it); retrace info CAPTURE gives the capture's statistics",
	"list-plugins": "plugins are not supported: retrace reads syscall captures",
}

// flagHint turns an unknown-flag error of cmd into one that points to the
// equivalent retrace flag or command, or to the closest flag names.
func flagHint(cmd *cobra.Command, err error) error {
	name, ok := unknownFlagName(err.Error())
	if !ok {
		return withCode(exitUsage, err)
	}
	if hint, ok := foreignFlags[name]; ok {
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

// unknownFlagRE matches pflag's unknown-flag errors.
var unknownFlagRE = regexp.MustCompile(`^unknown (?:shorthand )?flag: (?:--([^ =]+)|'(.)' in -)`)

// unknownFlagName returns the name of the flag an unknown-flag error
// names, without dashes.
func unknownFlagName(msg string) (string, bool) {
	m := unknownFlagRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// filterLikeRE matches arguments that read as a filter rather than a file:
// a comparison, or a Falco field name followed by an operator.
var filterLikeRE = regexp.MustCompile(`[=<>!]|^\(|\b(and|or|not|in|contains|startswith|exists)\b|^(evt|proc|fd|user|group|container|thread|fs)\.[a-z]`)

// checkCaptureArgs explains arguments that are no files but look like a
// sysdig filter given positionally.
func checkCaptureArgs(args []string) error {
	for _, a := range args {
		if _, err := os.Stat(a); err == nil || !errors.Is(err, os.ErrNotExist) || !filterLikeRE.MatchString(a) {
			continue
		}
		return withCode(exitUsage, fmt.Errorf("%q is not a capture file but looks like a filter: replay runs rules on captures; "+
			"to select events use -F %q, or retrace events CAPTURE %q as with sysdig -r CAPTURE FILTER", a, a, a))
	}
	return nil
}

// checkPriorityFlag explains a sysdig-style format given to -p, which is
// Falco's priority flag here.
func checkPriorityFlag(p string) error {
	if !strings.Contains(p, "%") {
		return nil
	}
	return withCode(exitUsage, fmt.Errorf("-p %q: -p is Falco's minimum priority here; for sysdig's -p format use --format with -F, "+
		"or retrace events CAPTURE FILTER -p FORMAT", p))
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
