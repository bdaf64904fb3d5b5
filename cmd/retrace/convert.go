package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/clobber"
)

func newConvertCmd() *cobra.Command {
	var out string
	var level, frameKiB int
	cmd := &cobra.Command{
		Use:   "convert IN [OUT | -o OUT]",
		Short: "Convert a capture between .scap, .scap.gz and .scap.zst",
		Long: `convert copies every block of IN (any supported format, detected from its
first bytes) unchanged into OUT, whose format its extension names: .scap.zst
(retrace's zstd frames), .scap.gz (gzip) or anything else for plain .scap.
Because blocks are copied byte for byte, converting back gives the original
scap bytes. retrace metadata (recorder, drops, containers) is kept when both
files are .scap.zst.

OUT is written to a temporary file beside it and renamed when complete. When
IN is truncated, the events before the truncation are written and the exit
code is 1; when IN has damaged frames, the events of every intact frame are
written, the damage is reported and the exit code is 1.`,
		Example: `  retrace convert trace.scap.gz trace.scap.zst
  retrace convert trace.scap.gz -o trace.scap.zst
  zstd -d trace.scap.zst   # gives a plain .scap that sysdig -r reads`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 2 && out != "":
				return withCode(exitUsage, fmt.Errorf("convert: output named twice (%s and -o %s)", args[1], out))
			case len(args) == 2:
				out = args[1]
			case out == "":
				return withCode(exitUsage, errors.New("convert: name the output: retrace convert IN OUT (or -o OUT)"))
			}
			if err := clobber.Check(clobber.Paths("output", out), clobber.Paths("capture", args[0])); err != nil {
				return withCode(exitUsage, fmt.Errorf("convert: %w", err))
			}
			n, err := capture.ConvertFile(args[0], out, capture.WriterOptions{Level: level, FrameSize: frameKiB << 10})
			if err != nil {
				var te *capture.TruncatedError
				var de *capture.DamagedError
				switch {
				case errors.As(err, &de):
					fmt.Fprintf(cmd.ErrOrStderr(), "retrace: %v; wrote the %d events of the intact frames to %s\n", err, n, out)
					return withCode(exitFailure, err)
				case errors.As(err, &te):
					fmt.Fprintf(cmd.ErrOrStderr(), "retrace: %v; wrote the %d events before it to %s\n", err, n, out)
					return withCode(exitFailure, err)
				}
				return withCode(exitFailure, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "output file (.scap, .scap.gz or .scap.zst)")
	cmd.Flags().IntVar(&level, "level", capture.DefaultLevel, "zstd compression level (1-22) for .scap.zst output")
	cmd.Flags().IntVar(&frameKiB, "frame-size", capture.DefaultFrameSize>>10, "raw KiB per zstd event frame for .scap.zst output")
	return cmd
}
