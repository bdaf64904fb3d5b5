package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/capturepaths"
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// eventsFlags are the command line of `retrace events`, as typed.
type eventsFlags struct {
	format, out, write string
	clockOffsets       []string
	pid                int64
	around, context    uint64
	json, quiet        bool
}

func newEventsCmd() *cobra.Command {
	var f eventsFlags
	cmd := &cobra.Command{
		Use:   "events CAPTURE... [FILTER] [-p FORMAT] [-j] [-w FILE] [--around EVT_NUM] [--pid PID]",
		Short: "Print the events of captures as sysdig does: a positional filter and a -p format",
		Long: `events prints the events of the captures that match FILTER, one line each,
with sysdig's grammar: the arguments after the capture files are the filter
(sysdig -r CAPTURE FILTER), -p gives the line format (default sysdig's
"` + detect.DefaultFormat + `";
a format starting with * prints events whose fields have no value, with <NA>).
-j prints each event as a JSON object of the format's fields, as sysdig -j.
Over more than one capture file, the default line starts with the event's
host and FILE:FRAME, the capture file and zstd frame that hold it
(%evt.hostname %capture.file:%capture.frame), and -j adds those keys, so
that each line can be traced back to its bytes.
-w FILE writes the selected events of one capture as a new capture (.scap,
.scap.gz or .scap.zst by its name), as sysdig -w: the source's header and
process snapshot, its container events, and the matching events unchanged;
retrace replays it, and sysdig reads it (after zstd -d for .scap.zst).

--around N keeps the events numbered N-K to N+K (K is --context) of each
capture, the drill-down around a detection's evt.num; --pid keeps one
process's events. --clock-offset HOST=DURATION corrects a host's clock as
replay's does: its events' times, and their place in the merged lines.`,
		Example: `  retrace events host.scap.zst proc.name=cat and evt.type=openat
  retrace events host.scap.zst "evt.type=read and fd.sport=45555" -p "%proc.name %evt.buffer"
  retrace events host.scap.zst --around 4242 --context 20 --pid 31337
  retrace events host.scap.zst proc.name=nc -j | jq .
  retrace events host.scap.zst "proc.pid=31337 or proc.ppid=31337" -w shell.scap.zst
  retrace events --clock-offset db-02=-3m20s hosts/ proc.name=nc`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, opts, err := f.config(args, cmd.InOrStdin())
			if err != nil {
				return withCode(exitUsage, err)
			}
			if f.write != "" {
				return writeEvents(cmd.Context(), files, opts, f.write, cmd.ErrOrStderr())
			}
			return runEvents(cmd.Context(), files, opts, f.out, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "print", "p", "", "the line format, as sysdig's -p (default: sysdig's, after the host and FILE:FRAME over many capture files)")
	fl.StringVar(&f.out, "out", "", "write the lines to this file instead of stdout")
	fl.BoolVarP(&f.json, "json", "j", false, "print each event as a JSON object of the format's fields, as sysdig -j")
	fl.StringVarP(&f.write, "write", "w", "", "write the selected events of one capture to this capture file, as sysdig -w")
	fl.Int64Var(&f.pid, "pid", 0, "only this process's events")
	fl.Uint64Var(&f.around, "around", 0, "only the events numbered around this evt.num (see --context)")
	fl.Uint64Var(&f.context, "context", 10, "with --around: how many events before and after")
	fl.StringArrayVar(&f.clockOffsets, "clock-offset", nil, "correct HOST's clock: add DURATION (e.g. -3m20s) to the time of each of its events, in every output (repeatable)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "accepted for symmetry with replay; events draws no progress bar")
	return cmd
}

// eventsArgs splits the arguments into captures (the leading arguments
// that name files, directories, patterns or lists: [capturepaths.Names])
// and the filter (the rest, joined by spaces, as sysdig joins them).
func eventsArgs(args []string) (captures []string, filter string) {
	i := 0
	for ; i < len(args) && capturepaths.Names(args[i]); i++ {
	}
	return args[:i], strings.Join(args[i:], " ")
}

// config validates the flags and returns the capture files and the
// detector's options.
func (f *eventsFlags) config(args []string, stdin io.Reader) ([]string, detect.Options, error) {
	caps, filter := eventsArgs(args)
	if len(caps) == 0 && capturepaths.IsPattern(args[0]) {
		_, err := capturepaths.Expand(args[:1], nil) // why the pattern names nothing
		return nil, detect.Options{}, err
	}
	if len(caps) == 0 {
		return nil, detect.Options{}, fmt.Errorf("events: %q is not a capture file", args[0])
	}
	files, err := capturepaths.Expand(caps, stdin)
	if err != nil {
		return nil, detect.Options{}, err
	}
	if f.write != "" && len(files) != 1 {
		return nil, detect.Options{}, fmt.Errorf("events: -w writes the events of one capture; %d captures given", len(files))
	}
	if f.write != "" && len(f.clockOffsets) > 0 {
		return nil, detect.Options{}, errors.New("events: -w writes the events unchanged, with their recorded times; --clock-offset does not apply")
	}
	outs := append(clobber.Paths("--out", f.out), clobber.Paths("-w", f.write)...)
	if err := clobber.Check(outs, captureInputs(caps, files)); err != nil {
		return nil, detect.Options{}, fmt.Errorf("events: %w", err)
	}
	opts := detect.Options{Filter: detect.EventsFilter(filter, f.around, f.context), Format: f.format, JSON: f.json}
	if f.pid != 0 {
		opts.Scope = detect.Scope{Pid: f.pid, HasPid: true}
	}
	if opts.Scope.Clock, err = detect.CheckedClockOffsets(f.clockOffsets, files); err != nil {
		return nil, detect.Options{}, err
	}
	return files, opts, nil
}

// runEvents prints the matching events' lines of every capture, in time
// order across captures.
func runEvents(ctx context.Context, files []string, opts detect.Options, outPath string, stdout io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	det, err := detect.New(opts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	out, err := openOutput(stdout, outPath)
	if err != nil {
		return withCode(exitFailure, err)
	}
	_, runErr := det.Run(ctx, files, func(it detect.Item) error { return out.writeLine(it.Line) })
	return out.finish(runErr)
}

// writeEvents writes the selected events of the capture files[0] to the
// capture file out (sysdig -w), replacing it only when complete.
func writeEvents(ctx context.Context, files []string, opts detect.Options, out string, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	det, err := detect.New(opts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	var res detect.Result
	err = capture.WriteFile(out, capture.WriterOptions{}, func(w *capture.Writer) error {
		var err error
		res, err = det.Extract(ctx, files[0], w)
		return err
	})
	if err != nil {
		return withCode(exitFailure, err)
	}
	printNotes(stderr, []report.CaptureInfo{res.Info})
	return nil
}
