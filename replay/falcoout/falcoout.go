// Package falcoout is the output side of a replay that Falco's
// configuration shapes (falco.yaml, -o key=value): the JSON keys and time
// format of the report, whether stdout gets alerts and is flushed after
// each, and the file, program and http channels of replay/forward.
package falcoout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/internal/falcoconfig"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/forward"
	"github.com/retrace-dev/retrace/replay/report"
)

// CloseTimeout bounds how long a replay waits, after the last event, for
// the output channels to deliver what is queued.
const CloseTimeout = 30 * time.Second

// Outputs is the output side of one replay. A nil *Outputs (no
// configuration) leaves everything as retrace's flags set it.
type Outputs struct {
	// Config is the configuration read.
	Config *falcoconfig.Config
	// LineFormat is the format of the lines the channels get: Falco's
	// json_output decides between JSON and text.
	LineFormat report.Format
	// Warnings are printed when the replay starts.
	Warnings []string

	keys       report.JSONKeys
	timeFormat *report.TimeFormat
	fwd        *forward.Forwarder
	encode     func(dst []byte, d *report.Detection) []byte
	reuseLines bool // the pipeline's lines are the channels'
	scratch    []byte
}

// Load reads the configuration file path (none when "") with the key=value
// overrides applied in order.
func Load(path string, overrides []string) (*Outputs, error) {
	c, err := falcoconfig.Load(path, overrides)
	if err != nil {
		return nil, err
	}
	o := &Outputs{Config: c, LineFormat: report.FormatText}
	if c.JSONOutput {
		o.LineFormat = report.FormatJSON
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
		o.Warnings = append(o.Warnings, w.String())
	}
	return o, nil
}

// CheckFilter refuses channels that deliver alerts when the replay prints
// events (-F) instead.
func (o *Outputs) CheckFilter(filter string) error {
	if o == nil || filter == "" {
		return nil
	}
	if c := o.Config; c.FileOut.Enabled || c.Program.Enabled || c.HTTP.Enabled {
		return errors.New("-F prints events, not alerts: the file, program and http outputs do not apply")
	}
	return nil
}

// ReportOptions returns opts with the configuration's JSON keys and time
// format.
func (o *Outputs) ReportOptions(opts report.Options) report.Options {
	if o == nil {
		return opts
	}
	opts.JSON = o.keys
	if o.timeFormat != nil {
		opts.TimeFormat = *o.timeFormat
	}
	return opts
}

// Stdout returns where the stdout output goes: w, or nowhere when the
// configuration disables stdout_output.
func (o *Outputs) Stdout(w io.Writer) io.Writer {
	if o == nil || o.Config.Stdout.Enabled {
		return w
	}
	return io.Discard
}

// FlushEach reports whether stdout is flushed after every alert: Falco's
// buffered_outputs: false, its default, when a configuration file is read
// or the key is set.
func (o *Outputs) FlushEach() bool {
	return o != nil && !o.Config.BufferedOutputs && (o.Config.File != "" || o.Config.IsSet("buffered_outputs"))
}

// Start starts the file, program and http channels. When the pipeline's
// lines (opts.Encode, format) are not the channels' lines, it clears
// opts.Encode so that items carry the detection, which the channels
// encode. The program channel inherits stdout and stderr when they are
// files.
func (o *Outputs) Start(opts *detect.Options, format report.Format, ropts report.Options, stdout, stderr io.Writer) error {
	if o == nil {
		return nil
	}
	c := o.Config
	var chs []forward.Channel
	if c.FileOut.Enabled {
		chs = append(chs, forward.NewFile(c.FileOut.Filename, c.FileOut.KeepAlive, c.BufferedOutputs))
	}
	if c.Program.Enabled {
		// A writer that is not a file would need a copying goroutine
		// racing with the report.
		chs = append(chs, forward.NewProgram(c.Program.Program, c.Program.KeepAlive, c.BufferedOutputs,
			fileOrDiscard(stdout), fileOrDiscard(stderr)))
	}
	if c.HTTP.Enabled {
		h := c.HTTP
		ho := forward.HTTPOptions{URL: h.URL, UserAgent: h.UserAgent, JSON: o.LineFormat == report.FormatJSON,
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
	if o.LineFormat == report.FormatJSON {
		o.encode = func(dst []byte, d *report.Detection) []byte { return report.AppendJSON(dst, d, ropts) }
	} else {
		o.encode = func(dst []byte, d *report.Detection) []byte { return report.AppendText(dst, d, ropts) }
	}
	// JSON lines are Falco's alerts as they are; text lines carry
	// retrace's provenance line, which the channels do not get.
	o.reuseLines = opts.Encode != nil && format == o.LineFormat && format == report.FormatJSON
	if !o.reuseLines {
		opts.Encode = nil
	}
	o.fwd = forward.New(chs, forward.Policy{QueueSize: c.QueueCapacity})
	return nil
}

func fileOrDiscard(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return io.Discard
}

// Send queues the alert of it for the channels.
func (o *Outputs) Send(it detect.Item) {
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

// Close waits for the channels to deliver what is queued (at most
// CloseTimeout), prints what each delivered to stderr (failures even when
// quiet) and returns an error when alerts were not delivered.
func (o *Outputs) Close(ctx context.Context, stderr io.Writer, quiet bool) error {
	if o == nil || o.fwd == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CloseTimeout)
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
		fmt.Fprintf(stderr, "retrace: %s: %d of %d alerts not delivered (%s); last error: %v\n",
			st.Channel, n, n+st.Delivered, undelivered(st), st.LastErr)
		failed = append(failed, fmt.Sprintf("%s %d", st.Channel, n))
	}
	if len(failed) > 0 {
		return fmt.Errorf("alerts not delivered: %s", strings.Join(failed, ", "))
	}
	return nil
}

// undelivered explains why a channel did not deliver some alerts.
func undelivered(st forward.Stats) string {
	var why []string
	if st.Failed > 0 {
		why = append(why, fmt.Sprintf("%d failed", st.Failed))
	}
	if st.Dropped > 0 {
		why = append(why, fmt.Sprintf("%d dropped from a full queue", st.Dropped))
	}
	if st.Abandoned > 0 {
		why = append(why, fmt.Sprintf("%d still queued after %v", st.Abandoned, CloseTimeout))
	}
	s := fmt.Sprintf("%s; %d retries", strings.Join(why, ", "), st.Retries)
	if st.GaveUp {
		s += ", gave up after repeated failures"
	}
	return s
}
