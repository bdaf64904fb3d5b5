package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
)

// runRetrace runs the retrace command line args in-process and returns
// what it printed.
func runRetrace(t *testing.T, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	root := newRootCmd()
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return o.Bytes(), e.Bytes(), err
}

// newTestRegistry returns the field registry replay compiles rules with.
func newTestRegistry() engine.Registry { return replay.NewFieldRegistry() }
