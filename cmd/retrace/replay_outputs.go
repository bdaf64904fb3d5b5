package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/replay/falcoout"
	"github.com/retrace-dev/retrace/replay/report"
)

// This file wires Falco's configuration (-c falco.yaml, -o key=value) into
// `retrace replay`; replay/falcoout does the work.

// outputFlagHelp documents -o, which takes both retrace's output formats
// and Falco's configuration overrides.
const outputFlagHelp = "output format: text, json, table, html or timesketch; a value with '=' is instead " +
	"a Falco configuration override key=value, as falco -o takes it (e.g. -o json_output=true, " +
	"-o http_output.url=http://localhost:2801/, -o rules_files[]=my_rules.yaml; repeatable)"

// configFlagHelp documents -c.
const configFlagHelp = "read Falco's configuration file (falco.yaml): rules files, priority, rule matching, " +
	"JSON options and the stdout, file, program and http outputs; the flags override it"

// splitOutputFlag splits the -o values into the output format (the last
// value without '='; "" when none) and Falco configuration overrides
// (values with '='), in order.
func splitOutputFlag(vals []string) (format string, overrides []string) {
	for _, v := range vals {
		if strings.Contains(v, "=") {
			overrides = append(overrides, v)
			continue
		}
		format = v
	}
	return format, overrides
}

// loadFalcoConfig reads -c and the -o overrides and sets f.output to the
// format to print: the one -o names, else JSON when the configuration sets
// json_output, else text. It returns nil without -c and overrides.
func (f *replayFlags) loadFalcoConfig() (*falcoout.Outputs, error) {
	format, overrides := splitOutputFlag(f.outputs)
	f.output = format
	if f.falcoConfig == "" && len(overrides) == 0 {
		if f.output == "" {
			f.output = string(report.FormatText)
		}
		return nil, nil
	}
	o, err := falcoout.Load(f.falcoConfig, overrides)
	if err != nil {
		return nil, err
	}
	if f.output == "" {
		f.output = string(o.LineFormat)
	}
	return o, nil
}

// applyFalcoConfig lets the configuration decide what the flags leave
// open: the rules files, the priority and rule matching.
func applyFalcoConfig(o *falcoout.Outputs, cmd *cobra.Command, cfg *replayConfig) error {
	if o == nil {
		return nil
	}
	c := o.Config
	fl := cmd.Flags()
	if !fl.Changed("rules") && c.RulesSet {
		if len(c.RulesFiles) == 0 {
			o.Warnings = append(o.Warnings, "none of the configuration's rules files exists here; the built-in rules run")
		}
		cfg.ruleFiles = c.RulesFiles
	}
	if !fl.Changed("priority") && c.HasPriority {
		cfg.detect.Selection.MinPriority = c.Priority
	}
	if !fl.Changed("rule-matching") && c.HasRuleMatching {
		cfg.detect.Mode = c.RuleMatching
	}
	return o.CheckFilter(cfg.detect.Filter)
}

// printConfigWarnings prints the configuration's warnings unless quiet.
func printConfigWarnings(o *falcoout.Outputs, stderr io.Writer, quiet bool) {
	if o == nil || quiet {
		return
	}
	for _, w := range o.Warnings {
		fmt.Fprintf(stderr, "retrace: warning: %s\n", w)
	}
}
