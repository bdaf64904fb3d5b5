package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/internal/progress"
	"github.com/retrace-dev/retrace/record"
	rcontainer "github.com/retrace-dev/retrace/record/container"
)

// Exit codes of retrace record besides the shared ones: exitUsage for bad
// flags, exitFailure when recording failed after it started.
const (
	exitNotRoot  = 4 // not root, or BPF not permitted
	exitNoBTF    = 5 // the kernel has no BTF
	exitVerifier = 6 // the kernel refused a BPF program (verifier log on stderr)
)

func newRecordCmd() *cobra.Command {
	var (
		opts                                    record.Options
		signKey, checkpointTo, rotateSize, ring string
	)
	cmd := &cobra.Command{
		Use:   "record -o FILE.scap.zst [flags] [-- CMD ARGS...]",
		Short: "Record syscalls on this host into a capture file (eBPF, root)",
		Long: `record loads retrace's eBPF programs, snapshots the host (processes, fds,
users, interfaces, containers) and writes every recorded syscall into a
capture file, or a rotated set of files (--rotate-size, --rotate-time, --ring;
docs/FORMAT.md), until SIGINT/SIGTERM, --duration, --max-size, or the exit of
CMD when one is given after "--". A status line shows on a terminal.

Exit codes: 0 recorded; 1 recording failed; 2 bad flags or a platform other
than Linux/amd64; 4 not root or BPF not permitted; 5 no kernel BTF; 6 a BPF
program failed verification (the verifier log's tail is printed).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Command = args
			err := opts.SetRotation(rotateSize, ring)
			if err == nil {
				err = opts.Check()
			}
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("record: %w", err))
			}
			if ring != "" {
				usr1 := make(chan os.Signal, 1)
				signal.Notify(usr1, syscall.SIGUSR1)
				defer signal.Stop(usr1)
				opts.WriteOut = usr1
			}
			opts.CommandLine = os.Args
			opts.Version = version
			opts.Log = cmd.ErrOrStderr()
			if len(args) > 0 {
				opts.CommandStdin = os.Stdin
				opts.CommandStdout = os.Stdout
				opts.CommandStderr = os.Stderr
			}
			if signKey != "" {
				if opts.SignKey, err = minisig.ReadPrivateKeyFile(signKey); err != nil {
					return withCode(exitUsage, fmt.Errorf("record: %w", err))
				}
			}
			var sink io.Closer
			if checkpointTo != "" {
				s, err := capture.OpenCheckpointSink(checkpointTo)
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("record: %w", err))
				}
				opts.Checkpoints, sink = s, s
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			clearStatus := func() {}
			if progress.IsTerminal(cmd.ErrOrStderr()) {
				line := progress.NewLine(cmd.ErrOrStderr())
				opts.Status, opts.Log, clearStatus = func(st record.Status) { line.Set(st.String()) }, line.Writer(), line.Clear
			}
			res, err := record.Record(ctx, opts)
			clearStatus()
			if sink != nil {
				if serr := sink.Close(); serr != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "retrace record: %v\n", serr)
				}
			}
			if err != nil {
				return withCode(recordExitCode(err), fmt.Errorf("record: %w", err))
			}
			res.Report(cmd.ErrOrStderr(), opts.Output)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "", "capture file to write (.scap.zst)")
	f.DurationVar(&opts.Duration, "duration", 0, "stop after this long (e.g. 30s); 0 = until signal or CMD exit")
	f.Int64Var(&opts.MaxSize, "max-size", 0, "stop when the recording reaches this many bytes (every file of a set counted); 0 = no limit")
	f.BoolVar(&opts.Force, "force", false, "replace an existing capture file (never one another recorder is writing)")
	f.StringVar(&rotateSize, "rotate-size", "", "write a rotated set of files NAME-SEQ-START.scap.zst, a new one at this size (e.g. 100MB; sysdig's -C)")
	f.DurationVar(&opts.RotateTime, "rotate-time", 0, "write a rotated set, a new file after this long (sysdig's -G)")
	f.IntVar(&opts.Keep, "keep", 0, "with --rotate-*, keep only the newest N files (sysdig's -W)")
	f.StringVar(&ring, "ring", "", "keep only the last DURATION or SIZE (e.g. 5m, 512MiB) in NAME.ring/, written out beside -o on SIGUSR1 and at exit")
	f.Uint32VarP(&opts.Snaplen, "snaplen", "s", 80, "bytes of read/write data kept per event; 0 = none")
	f.BoolVar(&opts.NoEnv, "no-env", false, "do not record environment variables")
	f.StringArrayVar(&opts.RedactEnv, "redact-env", nil, "record environment variables whose name matches this glob as NAME=REDACTED (repeatable; '*' for all)")
	f.BoolVar(&opts.AllSyscalls, "all-syscalls", false, "also write syscalls outside the event profile, as generic events")
	f.StringVar(&opts.FilterContainer, "filter-container", "", "record only this container (id prefix or name)")
	f.StringVar(&opts.FilterComm, "filter-comm", "", "record only threads with this command name")
	f.BoolVar(&opts.BPFStats, "bpf-stats", false, "enable the kernel's BPF run-time accounting and report it at the end")
	f.BoolVar(&opts.OnlyCommand, "only-command", false, "with -- CMD: keep only the events of CMD and the processes it creates (children of children, container runtimes and containers it starts)")
	f.StringVar((*string)(&opts.SnapshotScope), "snapshot-scope", "", "processes of the header's snapshot: command (only the recorder, CMD's parent; the default with --only-command) or all (the default otherwise)")
	f.StringVar(&opts.ContainerdState, "containerd-state", rcontainer.DefaultContainerdState, "containerd's state directory, read for its containers' OCI bundles (k3s: /run/k3s/containerd)")
	f.StringVar(&opts.CRIORunRoot, "crio-runroot", rcontainer.DefaultCRIORunRoot, "cri-o's storage run root, read for its containers' OCI bundles")
	f.StringVar(&signKey, "sign-key", "", "sign the capture's checkpoints with this secret key (retrace keygen's PREFIX.key)")
	f.StringVar(&checkpointTo, "checkpoint-to", "", "also send every checkpoint, as a JSON line, to this file or http(s):// URL")
	return cmd
}

func recordExitCode(err error) int {
	var ve *record.VerifierError
	switch {
	case errors.Is(err, record.ErrNotRoot):
		return exitNotRoot
	case errors.Is(err, record.ErrNoBTF):
		return exitNoBTF
	case errors.As(err, &ve):
		return exitVerifier
	case errors.Is(err, context.Canceled):
		return exitOK
	case errors.Is(err, record.ErrUnsupported), errors.Is(err, record.ErrOutputExists), errors.Is(err, record.ErrOutputBusy):
		return exitUsage
	}
	return exitFailure
}
