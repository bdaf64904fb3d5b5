package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/retrace-dev/retrace/capture/inspect"
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
		if fi, err := os.Stat(path); err == nil {
			stop = startInfoProgress(stderr, path, fi.Size(), &read)
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

// startInfoProgress draws a progress bar on stderr for a file that takes
// more than a second, only when stderr is a terminal. It returns a function
// that erases it.
func startInfoProgress(stderr io.Writer, name string, size int64, read *atomic.Int64) func() {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || size <= 0 {
		return func() {}
	}
	return drawProgress(f, name, size, read, time.Second, 200*time.Millisecond)
}

// drawProgress redraws "NAME [####....]  42%" on w every tick once delay
// has passed, until the returned function is called, which erases the line
// if it was drawn.
func drawProgress(w io.Writer, name string, size int64, read *atomic.Int64, delay, tick time.Duration) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		t := time.NewTicker(tick)
		defer t.Stop()
		drawn := false
		for {
			select {
			case <-done:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				if time.Since(start) < delay {
					continue
				}
				fmt.Fprint(w, progressBar(name, read.Load(), size))
				drawn = true
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressBar renders one redraw of the progress line.
func progressBar(name string, read, size int64) string {
	pct := min(max(float64(read)/float64(size), 0), 1)
	n := int(pct * 30)
	return fmt.Sprintf("\r%s [%s%s] %3.0f%%", name, strings.Repeat("#", n), strings.Repeat(".", 30-n), pct*100)
}
