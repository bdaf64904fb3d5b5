package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture/inspect"
	"github.com/retrace-dev/retrace/internal/progress"
)

func newInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info FILE...",
		Short: "Describe capture files: format, host, time range, events, processes, drops",
		Long: `info reads each capture file (.scap, .scap.gz or .scap.zst, detected from its
first bytes) to the end and prints its format and version, the recording host,
the time range and duration, the number of events and a histogram by event
type (generic syscall events count under their syscall name), the processes
and containers seen, the recorder's drop counters, the frames and compression
ratio, and whether the file is complete or truncated.

The exit code is 1 when a file is truncated or corrupt (what could be read is
still described), 2 when a file cannot be opened.`,
		Example: `  retrace info capture.scap.zst
  retrace info --json a.scap b.scap.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfo(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file (JSON lines)")
	return cmd
}

func runInfo(stdout, stderr io.Writer, files []string, asJSON bool) error {
	var failed error
	for i, path := range files {
		var read atomic.Int64
		stop := func() {}
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 && progress.IsTerminal(stderr) {
			size := fi.Size()
			stop = progress.Start(stderr, func() (int64, int64) { return read.Load(), size },
				progress.Options{Label: path, Delay: time.Second})
		}
		info, err := inspect.Describe(path, &read)
		stop()
		if info == nil {
			return withCode(exitUsage, err)
		}
		if err != nil && failed == nil {
			failed = withCode(exitFailure, err)
		}
		if asJSON {
			b, _ := json.Marshal(info)
			fmt.Fprintf(stdout, "%s\n", b)
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		info.WriteText(stdout)
	}
	return failed
}
