package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/capturepaths"
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/internal/habits"
	"github.com/retrace-dev/retrace/internal/progress"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/falcoout"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// replayFlags are the command line of `retrace replay`, as typed.
type replayFlags struct {
	profileRules bool // --profile-rules
	clockOffsets []string
	falco        falcoFlags
	rules        []string
	output       string
	outputs      []string // -o as typed: formats and Falco overrides
	falcoConfig  string
	out          string
	allEvents    bool
	tags         []string
	excludeTags  []string
	disable      []string
	priority     string
	since        string
	until        string
	container    string
	pid          int64
	seconds      int // -M, as falco's
	tz           string
	ruleMatching string
	compat       string
	filter       string
	format       string
	quiet        bool
	drill        bool     // --drill
	context      int      // --context
	next         int      // --next
	drillMax     int      // --drill-max
	reportMax    int      // --report-max
	views        []string // --views
}

func newReplayCmd() *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay FILE|DIR|PATTERN|@LIST|-...",
		Short: "Replay captures against Falco rules and report detections",
		Long: `replay rebuilds the recorded system state (processes, files, sockets, users,
containers) from one or more capture files (.scap, .scap.gz, .scap.zst, directories
holding them, quoted patterns such as 'hosts/**/*.scap.zst', @FILE for a
list of paths one a line, or - for that list on stdin) and evaluates rules written in Falco's rule language
on every event. Detections print as Falco alert lines (text), Falco JSON lines,
a timeline table or a self-contained HTML report.

Without -r the built-in rule set runs; -r replaces it (repeat -r for several
files or directories), as Falco's -r does. Like current Falco, rules see exit
events only (enter events of syscalls that have both directions are used for
state only) and skip the high-volume I/O syscalls unless -A is given.
--compat falco-0.32 reproduces Falco 0.32 instead: rules also see enter events,
and -A controls the set of events 0.32 skipped (EF_DROP_SIMPLE_CONS and friends).

With -F FILTER no rules run: every event matching the sysdig-style filter is
printed with --format (default: sysdig's line, after the event's host and
FILE:FRAME when several capture files are read), like sysdig -r FILE FILTER -p FORMAT.

Several captures are replayed concurrently, one worker per file and core;
their outputs are merged in time order. Text and JSON lines stream as they
are found while every capture has its own worker; with more captures than
cores they are sorted and written once all are read. Times print in
UTC unless --tz names a zone; hostname comes from the capture's machine
information. A progress bar shows on stderr when it is a terminal, with a
summary line at the end; --quiet silences both.

-c falco.yaml reads a Falco configuration: its rules files (when no -r is
given), priority, rule_matching, json_output and json_include_* options,
time_format_iso_8601, and its stdout, file, program and http outputs, which
receive every alert as Falco sends it (http_output: one POST per alert, e.g.
to falcosidekick). -o key=value overrides one key as falco -o does; -o
without '=' still names retrace's output format. Keys that only configure a
live Falco give one warning each. Alerts an output could not deliver after
retries are counted on stderr and make the exit status 1.`,
		Example: `  retrace replay incident.scap.zst
  retrace replay -r falco_rules.yaml -o json --out alerts.json captures/
  retrace replay host.scap -o html --out report.html --container web
  retrace replay -c /etc/falco/falco.yaml -o http_output.enabled=true -o http_output.url=http://localhost:2801/ host.scap
  retrace replay host.scap -F 'evt.type=execve and evt.dir=<' --format '%evt.time %proc.cmdline'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if done, err := f.falco.run(cmd, f.rules); done {
				return err
			}
			args = append(args, f.falco.captures...)
			if len(args) == 0 {
				return withCode(exitUsage, errors.New("replay: no capture given (retrace replay CAPTURE..., or -e CAPTURE as with falco)"))
			}
			if err := checkCaptureArgs(args); err != nil {
				return err
			}
			if hint := habits.FormatAsPriority(f.priority); hint != "" {
				return withCode(exitUsage, errors.New(hint))
			}
			cfg, err := f.config(cmd, args)
			if err != nil {
				return withCode(exitUsage, err)
			}
			return runReplay(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.rules, "rules", "r", nil, "rules file or directory (repeatable); replaces the built-in rules")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, outputFlagHelp)
	fl.StringVarP(&f.falcoConfig, "config", "c", "", configFlagHelp)
	fl.StringVar(&f.out, "out", "", "write the output to this file instead of stdout")
	fl.BoolVarP(&f.allEvents, "all-events", "A", false, "also evaluate the high-volume events Falco skips by default")
	fl.BoolVar(&f.profileRules, "profile-rules", false, "print each rule's cost on stderr after the run: events evaluated, matches, total and per-event time (docs/PROFILING.md)")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "run only rules with this tag (repeatable)")
	fl.StringArrayVarP(&f.excludeTags, "exclude-tag", "T", nil, "do not run rules with this tag (repeatable)")
	fl.StringArrayVarP(&f.disable, "disable", "D", nil, "do not run rules whose name contains this text (repeatable)")
	fl.StringVarP(&f.priority, "priority", "p", "", "run only rules of this priority or more severe")
	fl.StringVar(&f.since, "since", "", "ignore events before this time: any time retrace prints, RFC 3339, a date and time or time of day in --tz, Unix seconds or nanoseconds, +DURATION after the first event or -DURATION before the last")
	fl.StringVar(&f.until, "until", "", "ignore events after this time (forms as --since)")
	fl.IntVarP(&f.seconds, "seconds", "M", 0, "ignore events more than this many seconds after the first, as falco -M (same as --until +Ns)")
	fl.StringVar(&f.container, "container", "", "only events of the container with this id or name (\"host\" for the host)")
	fl.Int64Var(&f.pid, "pid", 0, "only events of this process id")
	fl.StringArrayVar(&f.clockOffsets, "clock-offset", nil, "correct HOST's clock: add DURATION (e.g. -3m20s) to the time of each of its events, in every output (repeatable)")
	fl.StringVar(&f.tz, "tz", "", "print times in this zone (e.g. Europe/Paris, Local); default UTC")
	fl.StringVar(&f.ruleMatching, "rule-matching", "first", "first: report the first matching rule per event; all: every one")
	fl.StringVar(&f.compat, "compat", "", "reproduce an older Falco: falco-0.32")
	fl.StringVarP(&f.filter, "filter", "F", "", "print the events matching this filter instead of running rules")
	fl.StringVar(&f.format, "format", "", "with -F: the line printed per event (%field tokens); default sysdig's, after the host and FILE:FRAME over many capture files")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar, summary or rule-load warnings on stderr (notes on empty answers still print)")
	fl.BoolVar(&f.drill, "drill", false, "give each detection its drill-down: its process's events around it and what the process and its children did next (on by default with -o html; a second pass over the captures)")
	fl.IntVar(&f.context, "context", timeline.DefaultContext, "with --drill: the process's events kept before and after each detection")
	fl.IntVar(&f.next, "next", timeline.DefaultNext, "with --drill: the steps of what came next kept per detection")
	fl.IntVar(&f.drillMax, "drill-max", timeline.DefaultMaxDrills, "with --drill: drill down into at most this many detections, the first ones")
	fl.StringSliceVar(&f.views, "views", nil, "with -o html: the activity views the report gives a tab each (default: "+strings.Join(timeline.ReportViews(), ",")+"; none for no tabs); one more pass over the captures")
	fl.IntVar(&f.reportMax, "report-max", report.DefaultMaxDetections, "-o html and -o table hold at most this many detections, the first ones, and say how many they left out")
	f.falco.addFlags(fl)
	return cmd
}

// replayConfig is a validated replay run.
type replayConfig struct {
	files     []string
	ruleFiles []string // nil: the built-in rules
	format    report.Format
	outPath   string
	// detect holds the pipeline's options from the flags; runReplay adds
	// the rules, the registry and the output encoding.
	detect   detect.Options
	outputs  *falcoout.Outputs // nil without -c or -o key=value
	loc      *time.Location
	quiet    bool
	progress bool
	// drill, when set, gives each detection its drill-down.
	drill *timeline.DrillOptions
	// reportMax bounds the detections of an HTML or table report.
	reportMax int
	// views are the activity views of an HTML report's tabs.
	views []string
}

// config validates the flags.
func (f *replayFlags) config(cmd *cobra.Command, args []string) (*replayConfig, error) {
	if f.reportMax <= 0 {
		return nil, errors.New("--report-max takes a count (1 or more)")
	}
	cfg := &replayConfig{ruleFiles: f.rules, outPath: f.out, quiet: f.quiet, reportMax: f.reportMax,
		detect: detect.Options{AllEvents: f.allEvents, Filter: f.filter, Format: f.format, ProfileRules: f.profileRules}}
	outs, err := f.loadFalcoConfig()
	if err != nil {
		return nil, err
	}
	cfg.outputs = outs
	files, err := capturepaths.Expand(args, cmd.InOrStdin())
	if err != nil {
		return nil, err
	}
	cfg.files = files
	if cfg.format, err = report.ParseFormat(f.output); err != nil {
		return nil, err
	}
	if cfg.detect.Compat032, err = detect.ParseCompat(f.compat); err != nil {
		return nil, err
	}
	if cfg.detect.Selection, err = engine.NewSelection(f.tags, f.excludeTags, f.disable, f.priority); err != nil {
		return nil, err
	}
	if cfg.detect.Mode, err = engine.ParseMatchMode(f.ruleMatching); err != nil {
		return nil, err
	}
	until, err := falcoDuration(f.until, f.seconds, cmd.Flags().Changed("seconds"))
	if err != nil {
		return nil, err
	}
	if cfg.loc, cfg.detect.Scope, err = detect.ParseScope(f.tz, f.since, until, f.container, f.pid, cmd.Flags().Changed("pid")); err != nil {
		return nil, err
	}
	if cfg.detect.Scope.Clock, err = detect.CheckedClockOffsets(f.clockOffsets, files); err != nil {
		return nil, err
	}
	if f.format != "" && f.filter == "" {
		return nil, errors.New("--format needs -F FILTER")
	}
	if f.filter != "" && f.output != "text" {
		return nil, errors.New("-F prints events as text lines; -o does not apply")
	}
	drill := f.drill || cfg.format == report.FormatHTML && !cmd.Flags().Changed("drill")
	if f.filter != "" && f.drill {
		return nil, errors.New("--drill drills into the rules' detections; -F prints events (see retrace events --around)")
	}
	if drill && f.filter == "" {
		if f.context < 0 || f.next < 0 || f.drillMax < 0 {
			return nil, errors.New("--context, --next and --drill-max take a count (0 or more)")
		}
		cfg.drill = &timeline.DrillOptions{Context: f.context, Next: f.next, Max: f.drillMax, Tree: cfg.format == report.FormatHTML,
			Clock: cfg.detect.Scope.Clock}
	}
	switch {
	case cmd.Flags().Changed("views") && (cfg.format != report.FormatHTML || f.filter != ""):
		return nil, errors.New("--views gives an HTML report its tabs; it needs -o html")
	case cmd.Flags().Changed("views"):
		if cfg.views, err = timeline.ParseReportViews(f.views); err != nil {
			return nil, err
		}
	case cfg.format == report.FormatHTML && f.filter == "":
		cfg.views = timeline.ReportViews()
	}
	if err := applyFalcoConfig(outs, cmd, cfg); err != nil {
		return nil, err
	}
	if err := clobber.Check(cfg.outputFiles(), cfg.inputFiles(args, f.falcoConfig)); err != nil {
		return nil, err
	}
	cfg.progress = !f.quiet && progress.IsTerminal(cmd.ErrOrStderr())
	return cfg, nil
}

// falcoDuration returns --until, or the --until that Falco's -M SECONDS
// means when it was given.
func falcoDuration(until string, seconds int, given bool) (string, error) {
	switch {
	case !given:
		return until, nil
	case until != "":
		return "", errors.New("-M and --until both end the replay: give one")
	case seconds <= 0:
		return "", fmt.Errorf("-M %d: want a number of seconds after the first event, 1 or more", seconds)
	}
	return fmt.Sprintf("+%ds", seconds), nil
}

// outputFiles returns the files the replay writes: --out and Falco's
// file_output.
func (cfg *replayConfig) outputFiles() []clobber.Path {
	outs := clobber.Paths("--out", cfg.outPath)
	if o := cfg.outputs; o != nil && o.Config.FileOut.Enabled {
		outs = append(outs, clobber.Paths("file_output.filename", o.Config.FileOut.Filename)...)
	}
	return outs
}

// inputFiles returns the files the replay reads: the captures and capture
// lists of args, the rules files and the Falco configuration file.
func (cfg *replayConfig) inputFiles(args []string, falcoConfig string) []clobber.Path {
	ins := append(captureInputs(args, cfg.files), ruleInputs(cfg.ruleFiles)...)
	return append(ins, clobber.Paths("configuration file", falcoConfig)...)
}
