package main

import (
	"github.com/retrace-dev/retrace/internal/clobber"
	"github.com/retrace-dev/retrace/rules"
)

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
