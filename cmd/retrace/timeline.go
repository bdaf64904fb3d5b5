package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/internal/capturepaths"
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/internal/progress"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// timelineFlags are the command line of `retrace timeline`, as typed.
type timelineFlags struct {
	output, out, since, until, container, tz string
	pid                                      int64
	paths, clockOffsets                      []string
	quiet                                    bool
	reportMax                                int
}

// timelineConfig is a validated timeline run.
type timelineConfig struct {
	files    []string
	opts     timeline.Options
	format   report.Format
	outPath  string
	loc      *time.Location
	progress bool
	pcap     bool // write the io view's socket data as pcapng
	// reportMax bounds the findings of an HTML or table report.
	reportMax int
}

// looksLikeViewName reports whether a last argument that names no file was
// meant as a view: a word, not a path or a capture name.
func looksLikeViewName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/.*?[")
}

func newTimelineCmd() *cobra.Command {
	var f timelineFlags
	cmd := &cobra.Command{
		Use:   "timeline FILE|DIR|PATTERN|@LIST|-... [VIEW]",
		Short: "Show what processes did, without rules: shells, commands, files, connections, I/O, errors, privilege, the process tree",
		Long: `timeline lists activity that matters in an investigation whether or not a
rule fired (rules get tuned, attackers evade them). VIEW is one of:

  shells           every shell started (a process that exec'd a shell, not its
                   forks), with its terminal, provenance, user and the commands it ran
  commands         every command run, with user, login user, tty, container and
                   parent (sysdig's spy_users)
  sensitive-reads  every open for reading of a sensitive file (/etc/shadow, sudoers,
                   PAM configuration, SSH private keys; --path adds more)
  binary-writes    every write-open, rename, unlink, chmod, mkdir or link below a
                   binary directory (/bin, /sbin, /usr/bin, ...; --path adds more)
  files            files by bytes and operations per process: read, written,
                   renamed, deleted, made executable
  connections      connections per process, inbound and outbound, bytes each way
  io               the data read and written on sockets (with --pid: on every fd
                   of the process), as far as the capture's snaplen kept it
                   (sysdig's echo_fds); -o pcap writes the socket data as a pcapng
                   for Wireshark's Follow TCP Stream
  errors           failed syscalls by process, type and error
  privilege        setuid/setgid/capset, ptrace, setns/unshare, mount, bpf, module
                   loads, memfd_create and execs of memfd files
  tree             the process tree (default): every process under the process that
                   forked it, with its execs, file opens, renames and deletes,
                   connections and privilege syscalls; each process names its
                   host and capture, each activity its evt.num and frame

Every finding carries the process's provenance: its creation chain (exited
creators included; for a container process, the runtime, conmon and runc on
the host) and its login uid, session and terminal.

Times print in UTC unless --tz says otherwise.`,
		Example: `  retrace timeline host.scap.zst shells
  retrace timeline host.scap.zst tree --pid 4242 -o html --out tree.html
  retrace timeline host.scap.zst commands -o json
  retrace timeline host.scap.zst io -o pcap --out shell.pcapng
  retrace timeline host.scap.zst sensitive-reads --path /srv/app/secrets.yaml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd, args)
			if err != nil {
				return withCode(exitUsage, err)
			}
			return runTimeline(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: text, json, table, html or timesketch (JSON lines for Timesketch)")
	fl.StringVar(&f.out, "out", "", "write the output to this file instead of stdout")
	fl.StringVar(&f.since, "since", "", "ignore events before this time (forms as replay's --since: RFC 3339, time of day, epoch, +/-DURATION)")
	fl.StringVar(&f.until, "until", "", "ignore events after this time (forms as --since)")
	fl.StringVar(&f.container, "container", "", "only the container with this id or name (\"host\" for the host)")
	fl.Int64Var(&f.pid, "pid", 0, "only this process (tree: and its descendants)")
	fl.StringArrayVar(&f.clockOffsets, "clock-offset", nil, "correct HOST's clock: add DURATION (e.g. -3m20s) to the time of each of its events, in every output (repeatable)")
	fl.StringVar(&f.tz, "tz", "", "print times in this zone (e.g. Europe/Paris, Local); default UTC")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar on stderr")
	fl.IntVar(&f.reportMax, "report-max", report.DefaultMaxDetections, "-o html and -o table hold at most this many findings, the first ones, and say how many they left out")
	fl.StringArrayVar(&f.paths, "path", nil, "sensitive-reads: another sensitive file or directory; binary-writes: another directory (repeatable)")
	return cmd
}

// config validates the flags. The last argument names the view when it is
// a view's name and not an existing file.
func (f *timelineFlags) config(cmd *cobra.Command, args []string) (*timelineConfig, error) {
	if f.reportMax <= 0 {
		return nil, errors.New("--report-max takes a count (1 or more)")
	}
	cfg := &timelineConfig{opts: timeline.Options{View: timeline.ViewTree}, outPath: f.out, reportMax: f.reportMax}
	if last := args[len(args)-1]; slices.Contains(timeline.Views(), last) {
		if _, err := os.Stat(last); err != nil {
			cfg.opts.View, args = last, args[:len(args)-1]
		}
	} else if len(args) > 1 && looksLikeViewName(last) {
		if _, err := os.Stat(last); err != nil {
			return nil, &timeline.UnknownViewError{Name: last}
		}
	}
	if len(args) == 0 {
		return nil, errors.New("timeline: no capture file given")
	}
	files, err := capturepaths.Expand(args, cmd.InOrStdin())
	if err != nil {
		return nil, err
	}
	cfg.files = files
	if err := clobber.Check(clobber.Paths("--out", f.out), captureInputs(args, files)); err != nil {
		return nil, err
	}
	if f.output == "pcap" {
		if cfg.opts.View != timeline.ViewIO {
			return nil, fmt.Errorf("-o pcap applies to the %s view", timeline.ViewIO)
		}
		if f.out == "" && progress.IsTerminal(cmd.OutOrStdout()) {
			return nil, errors.New("-o pcap writes a binary file: give --out FILE or redirect stdout")
		}
		cfg.pcap = true
	} else if cfg.format, err = report.ParseFormat(f.output); err != nil {
		return nil, err
	}
	if cfg.loc, cfg.opts.Scope, err = detect.ParseScope(f.tz, f.since, f.until, f.container, f.pid, cmd.Flags().Changed("pid")); err != nil {
		return nil, err
	}
	if cfg.opts.Scope.Clock, err = detect.CheckedClockOffsets(f.clockOffsets, files); err != nil {
		return nil, err
	}
	cfg.opts.Paths = f.paths
	cfg.progress = !f.quiet && progress.IsTerminal(cmd.ErrOrStderr())
	return cfg, nil
}

// streamTimeline runs a view that writes as it goes: run writes through
// the output open returns, which is created at its first call, once the
// options are known to be valid; then the notes, and the output is
// finished as the other timeline outputs are.
func streamTimeline(stdout, stderr io.Writer, outPath string, stopProgress func(), run func(open func() (*output, error)) (*report.Report, error)) error {
	var out *output
	open := func() (*output, error) {
		if out == nil {
			o, err := openOutput(stdout, outPath)
			if err != nil {
				return nil, err
			}
			out = o
		}
		return out, nil
	}
	rep, runErr := run(open)
	stopProgress()
	if rep == nil {
		return withCode(exitUsage, runErr)
	}
	printNotes(stderr, rep.Captures)
	if _, err := open(); err != nil {
		return withCode(exitFailure, errors.Join(runErr, err))
	}
	return out.finish(runErr)
}

// runTimeline replays every capture (one worker per capture, up to the
// number of CPUs) and writes the merged view: a view's findings written a
// line each stream through temporary files, the tree in text, JSON and
// Timesketch a capture at a time; a table or an HTML page holds
// --report-max findings (a tree table, every capture's tree).
func runTimeline(ctx context.Context, cfg *timelineConfig, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	opts := cfg.opts
	opts.Progress = detect.NewProgress(cfg.files)
	stopProgress := func() {}
	if cfg.progress {
		stopProgress = progress.Start(stderr, opts.Progress.Read, progress.Options{})
	}
	ropts := report.Options{TZ: cfg.loc, MaxDetections: cfg.reportMax}
	if enc := report.ViewLineEncoder(cfg.format, ropts, opts.View); enc != nil && !cfg.pcap && opts.View != timeline.ViewTree {
		return streamTimeline(stdout, stderr, cfg.outPath, stopProgress, func(open func() (*output, error)) (*report.Report, error) {
			return timeline.Lines(ctx, cfg.files, opts, "", enc, func(line []byte) error {
				out, err := open()
				if err != nil {
					return err
				}
				return out.writeLine(line)
			})
		})
	}
	if opts.View == timeline.ViewTree && report.NewTreeWriter(io.Discard, cfg.format, ropts) != nil {
		// Each capture's tree is written once it and those before it are
		// read.
		var tw *report.TreeWriter
		return streamTimeline(stdout, stderr, cfg.outPath, stopProgress, func(open func() (*output, error)) (*report.Report, error) {
			return timeline.Trees(ctx, cfg.files, opts, func(c report.CaptureInfo, roots []report.ProcessNode) error {
				out, err := open()
				if err != nil {
					return err
				}
				if tw == nil {
					tw = report.NewTreeWriter(out, cfg.format, ropts)
				}
				return tw.WriteCapture(c, roots)
			})
		})
	}
	if !cfg.pcap {
		opts.MaxFindings = cfg.reportMax // the io view's pcapng has every finding's data
	}
	rep, runErr := timeline.Run(ctx, cfg.files, opts)
	stopProgress()
	if rep == nil {
		return withCode(exitUsage, runErr)
	}
	printNotes(stderr, rep.Captures)
	for _, n := range rep.Notes {
		fmt.Fprintf(stderr, "retrace: %s\n", n)
	}
	out, err := openOutput(stdout, cfg.outPath)
	if err != nil {
		return withCode(exitFailure, err)
	}
	if cfg.pcap {
		return out.finish(runErr, timeline.WritePcap(out, rep))
	}
	ropts.Width = progress.TerminalWidth(out.dst)
	return out.finish(runErr, report.Write(out, rep, cfg.format, ropts))
}
