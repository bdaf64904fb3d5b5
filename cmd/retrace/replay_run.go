package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/progress"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
	"github.com/retrace-dev/retrace/rules"
)

// This file runs `retrace replay`: it wires the flags to replay/detect and
// writes the output, the progress bar and the summary.

// runReplay runs cfg, writing the output to stdout (or cfg.outPath) and
// progress and warnings to stderr.
func runReplay(ctx context.Context, cfg *replayConfig, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reg := replay.NewFieldRegistry()
	var set *rules.Set
	if cfg.detect.Filter == "" {
		var err error
		if set, err = detect.LoadRules(cfg.ruleFiles, reg); err != nil {
			return withCode(exitUsage, err)
		}
		if !cfg.quiet && len(set.Warnings) > 0 {
			fmt.Fprintf(stderr, "retrace: %d warnings in the rules (retrace rules validate shows them)\n", len(set.Warnings))
		}
	}
	return replayWith(ctx, cfg, reg, set, stdout, stderr)
}

// replayWith runs cfg with rules loaded with reg (set is nil with -F).
func replayWith(ctx context.Context, cfg *replayConfig, reg engine.Registry, set *rules.Set, stdout, stderr io.Writer) error {
	opts := cfg.detect
	opts.Registry, opts.Rules = reg, set
	opts.Workers = detect.Workers(len(cfg.files), 0)
	ropts := cfg.outputs.ReportOptions(report.Options{TZ: cfg.loc, MaxDetections: cfg.reportMax})
	// The user who asked for Falco's own output (a falco.yaml, -o
	// key=value or --compat) gets exactly Falco's lines.
	opts.Encode = report.LineEncoder(cfg.format, ropts, cfg.outputs != nil || opts.Compat032)
	printConfigWarnings(cfg.outputs, stderr, cfg.quiet)
	if cfg.drill != nil {
		opts.Encode = nil // the detections wait for their drill-down
	}
	if err := cfg.outputs.Start(&opts, cfg.format, ropts, stdout, stderr); err != nil {
		return withCode(exitUsage, err)
	}
	opts.Progress = detect.NewProgress(cfg.files)
	det, err := detect.New(opts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	for _, w := range det.Warnings() {
		fmt.Fprintf(stderr, "retrace: warning: %s\n", w)
	}
	if !cfg.quiet && opts.Filter == "" && !opts.AllEvents {
		if names := det.Visibility().IgnoredRuleEvents(opts.Rules); len(names) > 0 {
			fmt.Fprintf(stderr, "retrace: warning: the rules match events that are not evaluated unless -A is given: %s\n",
				strings.Join(names, ","))
		}
	}

	out, err := openOutput(cfg.outputs.Stdout(stdout), cfg.outPath)
	if err != nil {
		return withCode(exitFailure, err)
	}
	ropts.Width = progress.TerminalWidth(out.dst)
	// Filter lines print captured strings as they are, as sysdig does; on
	// a terminal, control characters are escaped so that they cannot
	// drive it (the alert formats escape them always).
	escape := opts.Filter != "" && progress.IsTerminal(out.dst)
	start := time.Now()
	stopProgress := func() {}
	if cfg.progress {
		stopProgress = progress.Start(stderr, opts.Progress.Read, progress.Options{})
	}
	var rep report.Report
	// An HTML page or a table holds at most --report-max detections; the
	// others are only counted, so memory stays bounded however many fire.
	bounded := cfg.format == report.FormatHTML || cfg.format == report.FormatTable
	sum, runErr := det.Run(ctx, cfg.files, func(it detect.Item) error {
		cfg.outputs.Send(it)
		if it.Detection != nil {
			if bounded && len(rep.Detections) >= cfg.reportMax {
				rep.Left.Add(it.Detection) // counted in the summary, not held
			} else {
				rep.Detections = append(rep.Detections, *it.Detection)
			}
			return nil
		}
		line := it.Line
		if escape {
			line = []byte(report.TerminalSafe(string(line)))
		}
		if err := out.writeLine(line); err != nil {
			return err
		}
		if cfg.outputs.FlushEach() {
			if err := out.Flush(); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
		return nil
	})
	stopProgress()
	if opts.ProfileRules && opts.Filter == "" {
		_ = detect.WriteProfile(stderr, det.Profile())
	}
	printNotes(stderr, sum.Captures)
	errs := []error{runErr, cfg.outputs.Close(ctx, stderr, cfg.quiet)}
	if !cfg.quiet && sum.Failed < len(cfg.files) {
		fmt.Fprintf(stderr, "retrace: %s\n", sum.Line(len(sum.Captures), time.Since(start), opts.Filter != ""))
	}
	if opts.Encode == nil && opts.Filter == "" {
		rep.RuleFiles = cfg.ruleFiles
		rep.Captures = sum.Captures
		if cfg.drill != nil && len(rep.Detections) > 0 {
			errs = append(errs, drillDown(ctx, &rep, *cfg.drill, stderr, cfg.quiet))
		}
		if len(cfg.views) > 0 {
			vstart, notes := time.Now(), len(rep.Notes)
			errs = append(errs, timeline.AddViews(ctx, &rep, cfg.files, cfg.views, timeline.Options{Scope: cfg.detect.Scope,
				Workers: detect.Workers(len(cfg.files), 0), MaxFindings: cfg.reportMax}))
			for _, n := range rep.Notes[notes:] {
				fmt.Fprintf(stderr, "retrace: %s\n", n)
			}
			if !cfg.quiet {
				fmt.Fprintf(stderr, "retrace: %d activity views in %.2fs\n", len(cfg.views), time.Since(vstart).Seconds())
			}
		}
		errs = append(errs, report.Write(out, &rep, cfg.format, ropts))
	}
	return out.finish(errs...)
}

// drillDown gives rep's detections their drill-down (a second pass over
// the captures) and says on stderr what it cost and what it left out.
func drillDown(ctx context.Context, rep *report.Report, opts timeline.DrillOptions, stderr io.Writer, quiet bool) error {
	start, notes := time.Now(), len(rep.Notes)
	skipped, err := timeline.Drill(ctx, rep, opts)
	for _, n := range rep.Notes[notes:] {
		fmt.Fprintf(stderr, "retrace: %s\n", n)
	}
	if !quiet {
		fmt.Fprintf(stderr, "retrace: drill-down of %d detections in %.2fs\n", len(rep.Detections)-skipped, time.Since(start).Seconds())
	}
	if err != nil {
		return fmt.Errorf("drill down: %w", err)
	}
	return nil
}

// printNotes writes what the run noticed about each capture to stderr:
// an empty answer must say why.
func printNotes(stderr io.Writer, caps []report.CaptureInfo) {
	for _, c := range caps {
		for _, n := range c.Notes {
			fmt.Fprintf(stderr, "retrace: %s: %s\n", c.File, n)
		}
	}
}
