package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/export"
	"github.com/retrace-dev/retrace/internal/capturepaths"
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
)

// exportFlags are the command line of `retrace export`, as typed.
type exportFlags struct {
	dir          string
	rules        []string
	allEvents    bool
	compat       string
	ruleMatching string
	shard        string
	clockOffsets []string
	workers      int
	quiet        bool
}

func newExportCmd() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export FILE|DIR|PATTERN|@LIST|-... -o DIR",
		Short: "Export events and detections as Parquet in OCSF classes",
		Long: `export replays captures like retrace replay and writes, below -o DIR, the
events the rules see with their resolved state (process, parent, user, login
user, container, fd, provenance) and the detections of the rules, as Apache
Parquet in OCSF 1.4 classes: Process Activity (1007), File System Activity
(1001), Network Activity (4001) and Detection Finding (2004), partitioned
class=…/host=…/day=… for DuckDB, Trino, Spark or Amazon Security Lake.
docs/EXPORT.md documents the schema and the mapping.

Captures are named as in replay: files, directories, patterns, @LIST or -
(a list on stdin). Without -r the built-in rule set runs; -r replaces it,
as in replay. Each capture writes its own files, named after it: the same
inputs give the same files, byte for byte, and an export replaces the files
an earlier export of the same capture wrote below DIR. A capture read in part (cut short,
damaged) keeps the rows of the events read, and the exit status is 1, as in
replay. --shard I/N exports the I-th of N shares of the inputs
(I from 0, as JOB_COMPLETION_INDEX in a Kubernetes Indexed Job): N jobs with
the same inputs and -o write together what one export writes alone.`,
		Example: `  retrace export captures/ -o lake/
  retrace export -r falco_rules.yaml host1.scap.zst host2.scap.zst -o lake/
  retrace export --shard "$JOB_COMPLETION_INDEX/8" /data/captures -o /data/lake`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			setExportGC()
			return runExport(cmd.Context(), &f, args, cmd.InOrStdin(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.dir, "out-dir", "o", "", "directory to write the Parquet files into (required)")
	fl.StringArrayVarP(&f.rules, "rules", "r", nil, "rules file or directory (repeatable); replaces the built-in rules")
	fl.BoolVarP(&f.allEvents, "all-events", "A", false, "also export (and evaluate) the high-volume events Falco skips by default")
	fl.StringVar(&f.compat, "compat", "", "reproduce an older Falco's event visibility: falco-0.32")
	fl.StringVar(&f.ruleMatching, "rule-matching", "first", "first: report the first matching rule per event; all: every one")
	fl.StringArrayVar(&f.clockOffsets, "clock-offset", nil, "correct HOST's clock: add DURATION (e.g. -3m20s) to the time of each of its events, in every output (repeatable)")
	fl.StringVar(&f.shard, "shard", "0/1", "export only share I of N of the inputs (I/N, I from 0)")
	fl.IntVarP(&f.workers, "workers", "j", 0, "captures exported at once (default: one per CPU)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary on stderr")
	return cmd
}

// exportGCPercent is the garbage collector's target for an export, unless
// GOGC says otherwise. An export's live heap is mostly the Parquet writers'
// reusable buffers, which each worker keeps from one capture to the next;
// Go's default (100) lets as much garbage again pile up on top of them.
// 50 lowers the peak RSS over 400 small captures from about 66 to 59 MB
// at no CPU cost measurable here (docs/PERFORMANCE.md).
const exportGCPercent = 50

// setExportGC sets the collector's target for an export, leaving a GOGC of
// the user's alone.
func setExportGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(exportGCPercent)
	}
}

// runExport validates the flags and runs the export.
func runExport(ctx context.Context, f *exportFlags, args []string, stdin io.Reader, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.dir == "" {
		return withCode(exitUsage, errors.New("export: -o DIR is required"))
	}
	shard, err := export.ParseShard(f.shard)
	if err != nil {
		return withCode(exitUsage, err)
	}
	opts := detect.Options{AllEvents: f.allEvents}
	if opts.Compat032, err = detect.ParseCompat(f.compat); err != nil {
		return withCode(exitUsage, err)
	}
	if opts.Mode, err = engine.ParseMatchMode(f.ruleMatching); err != nil {
		return withCode(exitUsage, err)
	}
	all, err := capturepaths.Expand(args, stdin)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := export.CheckNames(all); err != nil {
		return withCode(exitUsage, err)
	}
	if err := clobber.Check(clobber.Paths("-o", f.dir), append(captureInputs(args, all), ruleInputs(f.rules)...)); err != nil {
		return withCode(exitUsage, fmt.Errorf("export: %w", err))
	}
	if opts.Scope.Clock, err = detect.CheckedClockOffsets(f.clockOffsets, all); err != nil {
		return withCode(exitUsage, err)
	}
	files, err := shard.Select(all)
	if err != nil {
		return withCode(exitUsage, err)
	}
	reg := replay.NewFieldRegistry()
	if opts.Rules, err = detect.LoadRules(f.rules, reg); err != nil {
		return withCode(exitUsage, err)
	}
	opts.Registry = reg
	opts.Workers = detect.Workers(len(files), f.workers)
	det, err := detect.New(opts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	start := time.Now()
	sum, runErr := export.Run(ctx, files, export.Options{Detector: det, Registry: reg, Dir: f.dir,
		Workers: opts.Workers, Version: version})
	if !f.quiet {
		nfiles := 0
		for _, c := range sum.Captures {
			nfiles += len(c.Files)
		}
		partial, failed, events := sum.Counts()
		rows := sum.Rows()
		var parts []string
		for _, c := range export.Classes {
			parts = append(parts, fmt.Sprintf("%s %d", c.Partition, rows[c.UID]))
		}
		slices.Sort(parts)
		how := fmt.Sprintf("shard %d/%d", shard.Index, shard.Count)
		if partial > 0 {
			how += fmt.Sprintf("; %d read in part", partial)
		}
		if failed > 0 {
			how += fmt.Sprintf("; %d failed, without files", failed)
		}
		secs := time.Since(start).Seconds()
		fmt.Fprintf(stderr, "retrace: exported %d events from %d of %d captures (%s) in %.2fs into %d files: %v\n",
			events, len(files)-failed, len(all), how, secs, nfiles, parts)
	}
	if runErr != nil {
		return withCode(exitFailure, runErr)
	}
	return nil
}
