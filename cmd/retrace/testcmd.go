package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/suite"
)

// testFlags are the command line of `retrace test`.
type testFlags struct {
	over   suite.Overrides
	update bool
	junit  string
	json   bool
	shared string
	jobs   int
	run    string
	prof   bool // --profile
}

func newTestCmd() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test SUITE.yaml...",
		Short: "Replay captures and check their detections against test suites",
		Long: `test replays the captures named by each suite file's cases, with the case's
rules and options, and compares the detections with the case's expectations:
exact counts per rule, expected alerts (rule, priority, output fields), and
rules that must not fire. docs/TESTING.md describes the suite format.

It prints a line per case and a diff under each failure (missing, unexpected
and changed alerts, with time and process). The rule-selection flags of
replay (-r, -t, -T, -D, -p) override every case, so a CI job can try a
changed rule set against the same corpus. --update rewrites the expected
parts of the suites from the current results, keeping comments and order.

Cases run concurrently. Exit status: 0 when every case passes (or is
skipped), 1 when a case's detections differ, 2 on a usage or load error
(bad suite, bad rules, unreadable capture).`,
		Example: `  retrace test testdata/attacks/suite.yaml
  retrace test -r my_rules.yaml --junit results.xml testdata/attacks/suite.yaml
  retrace test -D 'Terminal shell' testdata/attacks/falco-suite.yaml
  retrace test --update testdata/attacks/suite.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd.Context(), &f, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.over.Rules, "rules", "r", nil, "rules file or directory (repeatable); replaces every case's rules")
	fl.StringArrayVarP(&f.over.Tags, "tag", "t", nil, "run only rules with this tag (repeatable); replaces every case's tags")
	fl.StringArrayVarP(&f.over.ExcludeTags, "exclude-tag", "T", nil, "do not run rules with this tag (repeatable); adds to every case's")
	fl.StringArrayVarP(&f.over.Disable, "disable", "D", nil, "do not run rules whose name contains this text (repeatable); adds to every case's")
	fl.StringVarP(&f.over.Priority, "priority", "p", "", "run only rules of this priority or more severe; replaces every case's")
	fl.BoolVar(&f.update, "update", false, "rewrite the suites' expected detections from the current results")
	fl.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to this file")
	fl.BoolVar(&f.json, "json", false, "print the results as JSON instead of text")
	fl.BoolVar(&f.prof, "profile", false, "print each rule's cost over the suites on stderr: events evaluated, matches, total and per-event time (docs/PROFILING.md)")
	fl.StringVar(&f.shared, "shared", "", "directory that ${SHARED} in suites stands for (default $RETRACE_SHARED, else ../shared beside the repository)")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "cases run at once (default: the number of CPUs)")
	fl.StringVar(&f.run, "run", "", "run only the cases whose name matches this regular expression")
	return cmd
}

// testInputs returns the files a test run reads: the suites and their
// cases' captures and rules files.
func testInputs(suites []string, cases []*suite.Case) []clobber.Path {
	ins := clobber.Paths("suite", suites...)
	for _, c := range cases {
		ins = append(ins, clobber.Paths("capture", c.Capture)...)
		ins = append(ins, ruleInputs(c.Rules)...)
	}
	return ins
}

// runTest loads the suites, runs their cases and reports.
func runTest(ctx context.Context, f *testFlags, args []string, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.over.Priority != "" {
		if _, err := engine.ParsePriority(f.over.Priority); err != nil {
			return withCode(exitUsage, err)
		}
	}
	var only *regexp.Regexp
	if f.run != "" {
		var err error
		if only, err = regexp.Compile(f.run); err != nil {
			return withCode(exitUsage, fmt.Errorf("parse --run: %w", err))
		}
	}
	shared := f.shared
	if shared == "" {
		shared = os.Getenv("RETRACE_SHARED")
	}
	reg := replay.NewFieldRegistry()
	runner := detect.NewCaseRunner(reg)
	if f.prof {
		runner.EnableProfile()
	}
	// Rule names are checked against each case's own rules and options,
	// before -r/-D/... replace them.
	suites, cases, err := runner.LoadSuites(args, suite.LoadOptions{Shared: shared}, only, &f.over)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := clobber.Check(clobber.Paths("--junit", f.junit), testInputs(args, cases)); err != nil {
		return withCode(exitUsage, err)
	}

	start := time.Now()
	results := suite.Run(ctx, cases, runner.Run, suite.RunOptions{Workers: f.jobs})
	if f.prof {
		_ = detect.WriteProfile(stderr, runner.Profile())
	}

	if f.update {
		o := &f.over
		if len(o.Rules)+len(o.Tags)+len(o.ExcludeTags)+len(o.Disable) > 0 || o.Priority != "" {
			fmt.Fprintln(stderr, "retrace: warning: --update with -r/-t/-T/-D/-p writes the detections of that rule selection")
		}
		for _, s := range suites {
			if err := s.UpdateFile(results); err != nil {
				return withCode(exitFailure, err)
			}
			fmt.Fprintf(stderr, "retrace: updated %s\n", s.Path)
		}
		if err := suite.Recompare(results, shared); err != nil {
			return withCode(exitUsage, fmt.Errorf("reload updated suite: %w", err))
		}
	}

	if f.json {
		err = suite.WriteJSON(stdout, results)
	} else {
		err = suite.WriteText(stdout, results)
	}
	if err != nil {
		return withCode(exitFailure, err)
	}
	if f.junit != "" {
		if err := report.WriteJUnitFile(f.junit, suite.JUnit(results, start)); err != nil {
			return withCode(exitFailure, err)
		}
	}
	sum := suite.Summarize(results)
	switch {
	case sum.Errors > 0:
		return withCode(exitUsage, fmt.Errorf("%d of %d cases could not run", sum.Errors, len(results)))
	case sum.Failed > 0:
		return withCode(exitFailure, fmt.Errorf("%d of %d cases failed", sum.Failed, len(results)))
	}
	return nil
}
