package main

import (
	"strings"

	"github.com/retrace-dev/retrace/internal/capturepaths"
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/rules"
)

// captureInputs returns the capture files, and the list files that args
// name with "@", as inputs for [clobber.Check].
func captureInputs(args, files []string) []clobber.Path {
	ins := clobber.Paths("capture", files...)
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, capturepaths.ListPrefix); ok && name != "" {
			ins = append(ins, clobber.Paths("capture list", name)...)
		}
	}
	return ins
}

// ruleInputs returns the rules files that paths (files and directories)
// name, as inputs for [clobber.Check]; a path that does not expand is
// kept as given, for the loader to report.
func ruleInputs(paths []string) []clobber.Path {
	var out []clobber.Path
	for _, p := range paths {
		files, err := rules.ExpandPaths([]string{p})
		if err != nil {
			files = []string{p}
		}
		out = append(out, clobber.Paths("rules file", files...)...)
	}
	return out
}
