// Command retrace records syscall captures on an incident host, replays them
// against Falco rules on an analyst's machine, and checks detections in CI.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/internal/habits"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFailure  = 1 // the command ran and found a problem (a failed check, a detection diff, a bad file)
	exitUsage    = 2 // bad flags, arguments or input that could not be loaded
	exitInternal = 3
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "retrace",
		Short: "Offline forensic analyzer for recorded syscall captures",
		Long: `retrace records what processes do on a Linux host (retrace record), and
answers later, elsewhere, "what happened here?" by replaying sysdig/Falco
captures against rules written in Falco's rule language (retrace replay).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagHint)
	root.AddCommand(newVersionCmd())
	root.AddCommand(newReplayCmd())
	root.AddCommand(newTimelineCmd())
	root.AddCommand(newEventsCmd())
	root.AddCommand(newRecordCmd())
	root.AddCommand(newInfoCmd())
	root.AddCommand(newConvertCmd())
	root.AddCommand(newRedactCmd())
	root.AddCommand(newKeygenCmd())
	root.AddCommand(newVerifyCmd())
	root.AddCommand(newRulesCmd())
	root.AddCommand(newTestCmd())
	root.AddCommand(newExportCmd())
	root.Long += habits.Help("")
	for _, c := range root.Commands() {
		c.Long += habits.Help(c.Name())
	}
	return root
}

func main() { os.Exit(run()) }

// run runs the command line and returns the exit status.
func run() int {
	root := newRootCmd()
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(os.Stderr, "retrace: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}
