package replay_test

import (
	"context"
	"fmt"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
)

// Replay a capture and print the command line of every process that opens
// a file below /etc for reading, using a condition compiled by the engine
// against the replay field registry.
func ExampleReplayFile() {
	reg := replay.NewFieldRegistry()
	const cond = "evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.directory = /etc"
	root, err := engine.Parse(cond, engine.ParseOptions{})
	if err != nil {
		panic(err)
	}
	c, _, err := engine.Compile(root, cond, engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}})
	if err != nil {
		panic(err)
	}
	format, err := engine.CompileFormat("%proc.cmdline read %fd.name", engine.CompileOptions{Registry: reg})
	if err != nil {
		panic(err)
	}
	_, err = replay.ReplayFile(context.Background(), "capture.scap.zst", replay.Options{}, func(e *replay.Event) error {
		if !e.StateOnly && c.Eval(e) {
			fmt.Println(string(format.Append(nil, e)))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
}
