package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/internal/falcoconfig"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/forward"
	"github.com/retrace-dev/retrace/replay/report"
)

// This file wires Falco's configuration (-c falco.yaml, -o key=value) and
// output channels (replay/forward) into `retrace replay`.

// outputFlagHelp documents -o, which takes both retrace's output formats
// and Falco's configuration overrides.
const outputFlagHelp = "output format: text, json, table, html or timesketch; a value with '=' is instead " +
	"a Falco configuration override key=value, as falco -o takes it (e.g. -o json_output=true, " +
	"-o http_output.url=http://localhost:2801/, -o rules_files[]=my_rules.yaml; repeatable)"

// configFlagHelp documents -c.
const configFlagHelp = "read Falco's configuration file (falco.yaml): rules files, priority, rule matching, " +
	"JSON options and the stdout, file, program and http outputs; the flags override it"

// closeTimeout bounds how long a replay waits, after the last event, for
// the output channels to deliver what is queued.
const closeTimeout = 30 * time.Second

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

// replayOutputs is the output side of a replay that a Falco configuration
// (-c or -o key=value) shapes; nil without one.
type replayOutputs struct {
	conf *falcoconfig.Config
	// keys and timeFormat are the report options the configuration sets.
	keys       report.JSONKeys
	timeFormat *report.TimeFormat
	// lineFormat is the format of the lines the channels get: Falco's
	// json_output decides between JSON and text.
	lineFormat report.Format
	// warnings are printed when the replay starts.
	warnings []string
	fwd      *forward.Forwarder
	encode   func(dst []byte, d *report.Detection) []byte
	// reuseLines reports that the pipeline's lines are the channels'.
	reuseLines bool
	scratch    []byte
}

// loadFalcoConfig reads -c and the -o overrides and sets f.output to the
// format to print: the one -o names, else JSON when the configuration sets
// json_output, else text. It returns nil without -c and overrides.
func (f *replayFlags) loadFalcoConfig() (*replayOutputs, error) {
	format, overrides := splitOutputFlag(f.outputs)
	f.output = format
	if f.falcoConfig == "" && len(overrides) == 0 {
		if f.output == "" {
			f.output = string(report.FormatText)
		}
		return nil, nil
	}
	c, err := falcoconfig.Load(f.falcoConfig, overrides)
	if err != nil {
		return nil, err
	}
	o := &replayOutputs{conf: c, lineFormat: report.FormatText}
	if c.JSONOutput {
		o.lineFormat = report.FormatJSON
	}
	if f.output == "" {
		f.output = string(o.lineFormat)
	}
	o.keys = report.JSONKeys{OmitOutput: !c.JSONIncludeOutput, OmitTags: !c.JSONIncludeTags,
		OmitOutputFields: !c.JSONIncludeOutputFields, Message: c.JSONIncludeMessage}
	if c.File != "" || c.IsSet("time_format_iso_8601") {
		tf := report.TimeOfDay
		if c.TimeISO8601 {
			tf = report.TimeISO8601
		}
		o.timeFormat = &tf
	}
	for _, w := range c.Warnings {
		o.warnings = append(o.warnings, w.String())
	}
	return o, nil
}

// apply lets the configuration decide what the flags leave open: the
// rules files, the priority and rule matching.
func (o *replayOutputs) apply(cmd *cobra.Command, cfg *replayConfig) error {
	if o == nil {
		return nil
	}
	c := o.conf
	fl := cmd.Flags()
	if !fl.Changed("rules") && c.RulesSet {
		if len(c.RulesFiles) == 0 {
			o.warnings = append(o.warnings, "none of the configuration's rules files exists here; the built-in rules run")
		}
		cfg.ruleFiles = c.RulesFiles
	}
	if !fl.Changed("priority") && c.HasPriority {
		cfg.detect.Selection.MinPriority = c.Priority
	}
	if !fl.Changed("rule-matching") && c.HasRuleMatching {
		cfg.detect.Mode = c.RuleMatching
	}
	if cfg.detect.Filter != "" && (c.FileOut.Enabled || c.Program.Enabled || c.HTTP.Enabled) {
		return errors.New("-F prints events, not alerts: the file, program and http outputs do not apply")
	}
	return nil
}

// reportOptions returns opts with the configuration's JSON keys and time
// format.
func (o *replayOutputs) reportOptions(opts report.Options) report.Options {
	if o == nil {
		return opts
	}
	opts.JSON = o.keys
	if o.timeFormat != nil {
		opts.TimeFormat = *o.timeFormat
	}
	return opts
}

// stdout returns where the stdout output goes: w, or nowhere when the
// configuration disables stdout_output.
func (o *replayOutputs) stdout(w io.Writer) io.Writer {
	if o == nil || o.conf.Stdout.Enabled {
		return w
	}
	return io.Discard
}

// flushEach reports whether stdout is flushed after every alert: Falco's
// buffered_outputs: false, its default, when a configuration file is read
// or the key is set.
func (o *replayOutputs) flushEach() bool {
	return o != nil && !o.conf.BufferedOutputs && (o.conf.File != "" || o.conf.IsSet("buffered_outputs"))
}

// start prints the configuration's warnings and starts the file, program
// and http channels. When the pipeline's lines (opts.Encode, format) are
// not the channels' lines, it clears opts.Encode so that items carry the
// detection, which the channels encode.
func (o *replayOutputs) start(opts *detect.Options, format report.Format, ropts report.Options,
	stdout, stderr io.Writer, quiet bool) error {
	if o == nil {
		return nil
	}
	if !quiet {
		for _, w := range o.warnings {
			fmt.Fprintf(stderr, "retrace: warning: %s\n", w)
		}
	}
	c := o.conf
	var chs []forward.Channel
	if c.FileOut.Enabled {
		chs = append(chs, forward.NewFile(c.FileOut.Filename, c.FileOut.KeepAlive, c.BufferedOutputs))
	}
	if c.Program.Enabled {
		// The program inherits retrace's stdout when it is a file; a
		// writer would need a copying goroutine racing with the report.
		var progOut io.Writer = io.Discard
		if f, ok := stdout.(*os.File); ok {
			progOut = f
		}
		var progErr io.Writer = io.Discard
		if f, ok := stderr.(*os.File); ok {
			progErr = f
		}
		chs = append(chs, forward.NewProgram(c.Program.Program, c.Program.KeepAlive, c.BufferedOutputs, progOut, progErr))
	}
	if c.HTTP.Enabled {
		h := c.HTTP
		ho := forward.HTTPOptions{URL: h.URL, UserAgent: h.UserAgent, JSON: o.lineFormat == report.FormatJSON,
			Insecure: h.Insecure, CACert: h.CACert, CABundle: h.CABundle, CAPath: h.CAPath, MTLS: h.MTLS,
			ClientCert: h.ClientCert, ClientKey: h.ClientKey, Compress: h.CompressUploads, KeepAlive: h.KeepAlive}
		if h.Echo {
			ho.Echo = stderr
		}
		ch, err := forward.NewHTTP(ho)
		if err != nil {
			return err
		}
		chs = append(chs, ch)
	}
	if len(chs) == 0 {
		return nil
	}
	if o.lineFormat == report.FormatJSON {
		o.encode = func(dst []byte, d *report.Detection) []byte { return report.AppendJSON(dst, d, ropts) }
	} else {
		o.encode = func(dst []byte, d *report.Detection) []byte { return report.AppendText(dst, d, ropts) }
	}
	// JSON lines are Falco's alerts as they are; text lines carry
	// retrace's provenance line, which the channels do not get.
	o.reuseLines = opts.Encode != nil && format == o.lineFormat && format == report.FormatJSON
	if !o.reuseLines {
		opts.Encode = nil
	}
	o.fwd = forward.New(chs, forward.Policy{QueueSize: c.QueueCapacity})
	return nil
}

// send queues the alert of it for the channels.
func (o *replayOutputs) send(it detect.Item) {
	if o == nil || o.fwd == nil {
		return
	}
	switch {
	case it.Detection != nil:
		o.scratch = o.encode(o.scratch[:0], it.Detection)
		o.fwd.Send(o.scratch)
	case o.reuseLines:
		o.fwd.Send(it.Line)
	}
}

// close waits for the channels to deliver what is queued (at most
// closeTimeout), prints what each delivered to stderr and returns an error
// when alerts were not delivered.
func (o *replayOutputs) close(ctx context.Context, stderr io.Writer, quiet bool) error {
	if o == nil || o.fwd == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	var failed []string
	for _, st := range o.fwd.Close(ctx) {
		n := st.Undelivered()
		if n == 0 {
			if !quiet {
				fmt.Fprintf(stderr, "retrace: %s: %d alerts delivered\n", st.Channel, st.Delivered)
			}
			if st.LastErr != nil {
				fmt.Fprintf(stderr, "retrace: %s: %v\n", st.Channel, st.LastErr)
			}
			continue
		}
		var why []string
		if st.Failed > 0 {
			why = append(why, fmt.Sprintf("%d failed", st.Failed))
		}
		if st.Dropped > 0 {
			why = append(why, fmt.Sprintf("%d dropped from a full queue", st.Dropped))
		}
		if st.Abandoned > 0 {
			why = append(why, fmt.Sprintf("%d still queued after %v", st.Abandoned, closeTimeout))
		}
		gaveUp := ""
		if st.GaveUp {
			gaveUp = ", gave up after repeated failures"
		}
		fmt.Fprintf(stderr, "retrace: %s: %d of %d alerts not delivered (%s; %d retries%s); last error: %v\n",
			st.Channel, n, n+st.Delivered, strings.Join(why, ", "), st.Retries, gaveUp, st.LastErr)
		failed = append(failed, fmt.Sprintf("%s %d", st.Channel, n))
	}
	if len(failed) > 0 {
		return fmt.Errorf("alerts not delivered: %s", strings.Join(failed, ", "))
	}
	return nil
}
