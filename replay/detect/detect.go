package detect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/merge"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/builtin"
)

// CompatFalco032 is the compatibility mode that reproduces Falco 0.32's
// event visibility (the --compat value).
const CompatFalco032 = "falco-0.32"

// DefaultFormat is the line a filter prints for each matching event when
// no format is given: sysdig's default line. As in sysdig, a format that
// starts with '*' prints every event; any other format skips events for
// which one of its fields has no value.
const DefaultFormat = "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args"

// DefaultJSONFormat gives the keys of a filter's JSON lines (Options.JSON)
// when no format is given: sysdig -j's.
const DefaultJSONFormat = "*%evt.num %evt.outputtime %evt.cpu %proc.name %thread.tid %evt.dir %evt.type %evt.info"

// ManyFormat is the line a filter prints for each matching event when no
// format is given and the run reads more than one capture file: the
// event's host, then its capture file and frame (FILE:FRAME, <NA> for a
// file without frames), then sysdig's default line, so that each line can
// be traced back to its bytes.
const ManyFormat = "*%evt.hostname %capture.file:%capture.frame %evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args"

// ManyJSONFormat gives the keys of a filter's JSON lines when no format is
// given and the run reads more than one capture file: sysdig -j's and the
// event's host, capture file and frame.
const ManyJSONFormat = "*%evt.hostname %capture.file %capture.frame %evt.num %evt.outputtime %evt.cpu %proc.name %thread.tid %evt.dir %evt.type %evt.info"

// Options configure a [Detector].
type Options struct {
	// Registry resolves field names; nil means replay's registry. Rules
	// must have been loaded with the same registry.
	Registry engine.Registry
	// Rules is the rule set to run; with Filter set it is not used.
	Rules *rules.Set
	// Selection and Mode choose the rules that run and how many may
	// match one event (Falco's -t/-T/-D/-p and rule_matching).
	Selection engine.Selection
	Mode      engine.MatchMode
	// ProfileRules measures each rule's cost (see [Detector.Profile]).
	ProfileRules bool
	// Filter, when set, replaces the rules: every visible event matching
	// this sysdig-style filter is reported as a line in Format (default
	// DefaultFormat; ManyFormat when the run reads more than one capture
	// file: [Detector.Run] of several paths, [Detector.CaptureSet] of
	// several files).
	Filter, Format string
	// JSON prints each filter line as a JSON object, as sysdig -j does:
	// the format's fields as keys, sorted, with typed values (numbers as
	// numbers, null for no value); default format DefaultJSONFormat, or
	// ManyJSONFormat as for Format.
	JSON bool
	// Compat032 reproduces Falco 0.32's event visibility; AllEvents is
	// Falco's -A. See [NewVisibility]. With Filter, every event but those
	// sysdig does not print is visible.
	Compat032, AllEvents bool
	// Scope limits the events evaluated and reported.
	Scope Scope
	// Workers bounds the captures replayed at once; 0 means one per CPU.
	Workers int
	// Progress, when set, counts the bytes read.
	Progress *Progress
	// Encode, when set, turns each detection into its output line (text
	// or JSON) in the worker that found it: [Item]s then carry lines only,
	// which [Detector.Run] can spill to disk. Without it, items carry the
	// detection, held in memory until emitted.
	Encode func(dst []byte, d *report.Detection) []byte
	// TempDir is where Run spills lines when there are more captures than
	// workers; empty means the system's temporary directory.
	TempDir string
}

// Item is one output record: a detection or a filter's line.
type Item struct {
	// Time is the event's timestamp in nanoseconds since the epoch.
	Time uint64
	// Line is the output line without its newline: a filter's line, or a
	// detection encoded by Options.Encode.
	Line []byte
	// Detection is the detection when there is no Encode; nil otherwise.
	Detection *report.Detection
}

// Detector replays captures and reports what the rules (or the filter)
// find. It is safe for concurrent use: each replay borrows one of its
// workers' compiled rules.
type Detector struct {
	opts     Options
	warnings []string
	reg      engine.Registry
	vis      *Visibility
	workers  int
	pool     chan *worker
}

// worker is the state one capture's replay uses: compiled rules or
// filter and scratch buffers, none safe for concurrent use.
type worker struct {
	rs     *engine.Ruleset
	filter *lineFilter
	// many is the filter with the default format of runs over more
	// than one capture file; filter itself when a format was given.
	many    *lineFilter
	desc    *Describer
	scratch []byte
}

// New compiles opts into a Detector: one copy of the rules (or the filter)
// per worker.
func New(opts Options) (*Detector, error) {
	d := &Detector{opts: opts, reg: opts.Registry}
	if d.reg == nil {
		d.reg = replay.NewFieldRegistry()
	}
	if opts.Filter == "" && opts.Rules == nil {
		return nil, errors.New("detect: no rules and no filter")
	}
	d.vis = NewVisibility(opts.Compat032, opts.AllEvents)
	d.workers = Workers(1<<30, opts.Workers)
	d.pool = make(chan *worker, d.workers)
	// Compiling from a Set is not safe for concurrent use: compile here.
	for i := range d.workers {
		w := &worker{desc: NewDescriber(d.reg)}
		var err error
		if opts.Filter != "" {
			w.filter, w.many, err = compileFilters(opts.Filter, opts.Format, opts.JSON, d.reg)
		} else if w.rs, err = opts.Rules.RulesetWith(opts.Selection, opts.Mode, engine.RulesetOptions{Profile: opts.ProfileRules}); err == nil && i == 0 {
			d.warnings = checkSelection(opts.Rules, opts.Selection, len(w.rs.Rules()))
		}
		if err != nil {
			return nil, err
		}
		d.pool <- w
	}
	return d, nil
}

// Warnings returns what New noticed in the options that a user should
// hear: selection flags that select or disable nothing.
func (d *Detector) Warnings() []string { return d.warnings }

// Visibility returns the event visibility the rules run with.
func (d *Detector) Visibility() *Visibility { return d.vis }

// Result is what replaying one capture gave.
type Result struct {
	// Info describes the capture (host, span, events, drops).
	Info report.CaptureInfo
	// Found counts the detections or matching events.
	Found uint64
}

// Capture replays the capture at path and calls emit with every item, in
// the capture's order (time order), from the calling goroutine. An error
// from emit stops the replay and is returned.
func (d *Detector) Capture(ctx context.Context, path string, emit func(Item) error) (Result, error) {
	return d.captureSet(ctx, []string{path}, false, emit)
}

// CaptureSet is [Detector.Capture] for the files of a rotated set, in
// order (see [Sets] and [ReplaySet]).
func (d *Detector) CaptureSet(ctx context.Context, files []string, emit func(Item) error) (Result, error) {
	return d.captureSet(ctx, files, len(files) > 1, emit)
}

// captureSet is CaptureSet; many says the run reads more than one capture
// file (the default format names each line's capture).
func (d *Detector) captureSet(ctx context.Context, files []string, many bool, emit func(Item) error) (Result, error) {
	w := <-d.pool
	defer func() { d.pool <- w }()
	lf := w.filter
	if many {
		lf = w.many
	}
	return d.capture(ctx, w, lf, files, emit)
}

// capture replays files with w's rules, or with the filter lf when it is
// not nil.
func (d *Detector) capture(ctx context.Context, w *worker, lf *lineFilter, files []string, emit func(Item) error) (Result, error) {
	var res Result
	sink := func(it Item) error {
		res.Found++
		return emit(it)
	}
	sc := d.opts.Scope.Filter(d.reg, files[len(files)-1]) // the end of a set is in its last file
	newHandler := func(info report.CaptureInfo) replay.Handler {
		if lf != nil {
			return sc.Wrap(filterHandler(lf, sink))
		}
		return sc.Wrap(d.ruleHandler(w, info, sink))
	}
	info, err := ReplaySet(ctx, files, d.opts.Progress, d.opts.Scope.Clock, newHandler)
	info.Notes = append(info.Notes, sc.Notes()...)
	if lf != nil {
		info.Notes = append(info.Notes, lf.notes()...)
	}
	res.Info = info
	return res, err
}

// filterHandler reports the lines of the events matching the filter lf.
func filterHandler(lf *lineFilter, sink func(Item) error) replay.Handler {
	return func(e *replay.Event) error {
		if SysdigHidden(e.Ev.Type()) || !lf.matchesType(e) {
			return nil
		}
		line, ok := lf.line(e)
		if !ok {
			return nil
		}
		return sink(Item{Time: e.Ev.Ts(), Line: line})
	}
}

// ruleHandler reports the detections of the rules on the visible events.
func (d *Detector) ruleHandler(w *worker, info report.CaptureInfo, sink func(Item) error) replay.Handler {
	return func(e *replay.Event) error {
		if d.vis.Skips(e.Ev) {
			return nil
		}
		for _, r := range w.rs.Match(e) {
			det := w.detection(r, e, info.File, info.Hostname)
			it := Item{Time: e.Ev.Ts(), Detection: det}
			if d.opts.Encode != nil {
				it = Item{Time: it.Time, Line: d.opts.Encode(nil, det)}
			}
			if err := sink(it); err != nil {
				return err
			}
		}
		return nil
	}
}

// detection builds the detection of rule r on e.
func (w *worker) detection(r *engine.Rule, e *replay.Event, path, host string) *report.Detection {
	w.scratch = r.Output.Append(w.scratch[:0], e)
	det := &report.Detection{
		Time:     time.Unix(0, int64(e.Ev.Ts())),
		Rule:     r.Name,
		Priority: r.Priority.String(),
		Source:   r.Source,
		Tags:     r.Tags,
		Output:   string(w.scratch),
		Hostname: host,
		Capture:  captureOf(e, path),
		EventNum: e.Num,
		Frame:    e.Frame,
	}
	det.OutputFields = outputFields(r.Output, e, w.scratch)
	w.desc.Fill(det, e)
	det.Gap = gapOf(e)
	return det
}

// gapOf says which of the state e uses is from before a gap, nil when
// none is (docs/FORMAT.md, "Replay after a gap").
func gapOf(e *replay.Event) *report.Gap {
	st := e.Stale()
	if !st.Any() {
		return nil
	}
	g := &report.Gap{EventsLostKnown: true}
	if st.Process {
		g.Stale = append(g.Stale, "process")
	}
	if st.FD {
		g.Stale = append(g.Stale, "fd")
	}
	for _, x := range e.State().Gaps()[st.Since:] {
		g.Frames = append(g.Frames, x.Frame)
		g.EventsLost += x.Events
		g.EventsLostKnown = g.EventsLostKnown && x.EventsKnown
	}
	return g
}

// Summary is what a [Detector.Run] over many captures gave.
type Summary struct {
	// Captures describes every capture, in the order given.
	Captures []report.CaptureInfo
	// Events counts the events read; Found the detections or matching
	// events.
	Events, Found uint64
	// Failed counts the captures that could not be read to their end.
	Failed int
}

// Line is the summary line of a run over n captures that took elapsed:
// events read, captures, rate and what was found (matching events with a
// filter, detections otherwise).
func (s Summary) Line(n int, elapsed time.Duration, filter bool) string {
	secs := elapsed.Seconds()
	what := "detections"
	if filter {
		what = "matching events"
	}
	failed := ""
	if s.Failed > 0 {
		failed = fmt.Sprintf(" (%d not read to the end, see below)", s.Failed)
	}
	line := fmt.Sprintf("%d events from %d captures%s in %.2fs (%.0f events/s), %d %s",
		s.Events, n, failed, secs, float64(s.Events)/max(secs, 1e-9), s.Found, what)
	if d := s.Drops(); d > 0 {
		line += fmt.Sprintf("; %d events lost to recorder drops (see the notes)", d)
	}
	if n := s.LeftOut(); n > 0 {
		line += fmt.Sprintf("; %d threads, fds or container frames left out at the analysis bounds (see the notes)", n)
	}
	return line
}

// LeftOut is the number of threads, fds and container metadata frames
// the replay left out at its bounds, over every capture.
func (s Summary) LeftOut() uint64 {
	var n uint64
	for _, c := range s.Captures {
		n += c.LeftOut
	}
	return n
}

// Drops is the number of events the recorders lost, over every capture.
func (s Summary) Drops() uint64 {
	var n uint64
	for _, c := range s.Captures {
		n += c.Drops
	}
	return n
}

// Run replays paths, at most Options.Workers at once (the files of a
// rotated set as one capture, see [Sets]), and calls emit with
// every item in time order across captures (ties: the order of paths),
// from the calling goroutine. When every capture has a worker, items
// stream as they are found; otherwise each capture's items wait, spilled
// to a temporary file when they are lines, until all captures are read.
// Errors of single captures do not stop the others; they are joined in
// the returned error. An emit error stops the run and is returned.
func (d *Detector) Run(ctx context.Context, paths []string, emit func(Item) error) (Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	units := Sets(paths)
	n := len(units)
	many := len(paths) > 1
	results := make([]Result, n)
	errs := make([]error, n)
	live := n <= d.workers
	streams := make([]merge.Run[Item], n)
	var mergeErr error
	if live {
		chans := make([]merge.Chan[Item], n)
		for i := range chans {
			chans[i] = make(merge.Chan[Item], 1024)
			streams[i] = chans[i]
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			ForEach(n, n, func(_, i int) {
				defer close(chans[i])
				results[i], errs[i] = d.captureSet(ctx, units[i], many, func(it Item) error {
					chans[i] <- it
					return ctx.Err()
				})
			})
		}()
		if mergeErr = merge.Merge(streams, compareItems, emit); mergeErr != nil {
			cancel()
			for _, c := range chans { // let the producers finish
				for range c {
				}
			}
		}
		<-done
	} else {
		var spills []*merge.Spill[Item]
		spills, mergeErr = d.runSpilled(ctx, units, many, results, errs, streams)
		if mergeErr == nil {
			mergeErr = merge.Merge(streams, compareItems, emit)
		}
		for _, sp := range spills {
			if sp != nil {
				sp.Close()
			}
		}
	}
	var sum Summary
	var all []error
	for i := range results {
		sum.Captures = append(sum.Captures, results[i].Info)
		sum.Events += results[i].Info.Events
		sum.Found += results[i].Found
		if errs[i] != nil && !(mergeErr != nil && errors.Is(errs[i], context.Canceled)) {
			all = append(all, errs[i])
			sum.Failed++
		}
	}
	if mergeErr != nil {
		all = append(all, mergeErr)
	}
	return sum, errors.Join(all...)
}

// runSpilled replays captures with more captures than workers: each
// worker writes the lines of its captures into its spill file, one run
// per capture; detections stay in memory. It fills streams with one
// stream per capture, and returns the spill files (nil where a worker
// wrote none), which the caller closes once it has merged the streams.
func (d *Detector) runSpilled(ctx context.Context, units [][]string, many bool, results []Result, errs []error, streams []merge.Run[Item]) ([]*merge.Spill[Item], error) {
	spills := make([]*merge.Spill[Item], d.workers)
	var mu sync.Mutex
	var spillErr error
	ForEach(len(units), d.workers, func(wi, i int) {
		var items []Item
		sp := spills[wi]
		start := int64(0)
		if sp != nil {
			start = sp.Offset()
		}
		results[i], errs[i] = d.captureSet(ctx, units[i], many, func(it Item) error {
			if it.Detection != nil {
				items = append(items, it)
				return nil
			}
			if sp == nil {
				var err error
				if sp, err = newSpill(d.opts.TempDir); err != nil {
					mu.Lock()
					spillErr = errors.Join(spillErr, err)
					mu.Unlock()
					return err
				}
				spills[wi] = sp
				start = 0
			}
			return sp.Write(it)
		})
		switch {
		case items != nil:
			streams[i] = merge.NewSlice(items)
		case sp != nil && sp.Offset() > start:
			streams[i] = sp.Run(start, sp.Offset())
		default:
			streams[i] = merge.NewSlice[Item](nil)
		}
	})
	for _, sp := range spills {
		if sp != nil {
			if err := sp.Flush(); err != nil {
				spillErr = errors.Join(spillErr, err)
			}
		}
	}
	return spills, spillErr
}

// SysdigHidden reports events sysdig does not print (procinfo fillers and
// container events, consumed into its tables).
func SysdigHidden(t scap.Type) bool {
	switch t {
	case scap.ProcinfoE, scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E:
		return true
	}
	return false
}

// lineFilter is a compiled -F filter and its line format.
type lineFilter struct {
	cond     *engine.Condition
	format   *engine.Format
	printAll bool
	scratch  []byte
	// json is set for JSON lines: keys are the format's distinct fields
	// in name order, each with the index of its field.
	json []jsonKey
	// suppressed counts, per field of the format, the matching events not
	// printed because that field (the first without a value) had none.
	suppressed uint64
	missing    map[string]uint64
}

// EventsFilter is the filter of retrace events (sysdig -r CAPTURE FILTER):
// filter, when not empty, and with around not 0 the events numbered within
// context of it; every event when neither is given.
func EventsFilter(filter string, around, context uint64) string {
	var conds []string
	if filter != "" {
		conds = append(conds, "("+filter+")")
	}
	if around != 0 {
		lo := uint64(1)
		if around > context {
			lo = around - context
		}
		conds = append(conds, fmt.Sprintf("evt.num >= %d and evt.num <= %d", lo, around+context))
	}
	if len(conds) == 0 {
		return "evt.num > 0"
	}
	return strings.Join(conds, " and ")
}

// CompileLineFormat compiles a sysdig -p format (without its leading '*')
// for reg, reading %evt.outputtime as %evt.time where reg has no such
// field.
func CompileLineFormat(format string, reg engine.Registry) (*engine.Format, error) {
	if _, ok := reg.Info("evt.outputtime"); !ok {
		format = strings.ReplaceAll(format, "%evt.outputtime", "%evt.time")
	}
	f, err := engine.CompileFormat(format, engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}})
	if err != nil {
		return nil, fmt.Errorf("compile format: %w", err)
	}
	return f, nil
}

// jsonKey is one key of a filter's JSON line.
type jsonKey struct {
	name  string
	field int
	// rawTime prints the event time in nanoseconds (sysdig's JSON
	// evt.outputtime) instead of the field.
	rawTime bool
}

// compileFilters compiles a filter with its event format, and with the
// default format of runs over many capture files (ManyFormat or
// ManyJSONFormat; the given format when there is one).
func compileFilters(filter, format string, asJSON bool, reg engine.Registry) (one, many *lineFilter, err error) {
	if one, err = compileFilter(filter, format, asJSON, reg); err != nil || format != "" {
		return one, one, err
	}
	format = ManyFormat
	if asJSON {
		format = ManyJSONFormat
	}
	many, err = compileFilter(filter, format, asJSON, reg)
	return one, many, err
}

// compileFilter compiles a filter and its event format (default
// DefaultFormat, or DefaultJSONFormat for JSON lines).
func compileFilter(filter, format string, asJSON bool, reg engine.Registry) (*lineFilter, error) {
	opts := engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}}
	root, err := engine.Parse(filter, engine.ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("parse filter: %w", err)
	}
	cond, _, err := engine.Compile(root, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("compile filter: %w", err)
	}
	switch {
	case format != "":
	case asJSON:
		format = DefaultJSONFormat
	default:
		format = DefaultFormat
	}
	lf := &lineFilter{cond: cond, printAll: strings.HasPrefix(format, "*")}
	format = strings.TrimPrefix(format, "*")
	renamed := false
	if _, ok := reg.Info("evt.outputtime"); !ok && strings.Contains(format, "%evt.outputtime") {
		// sysdig's evt.outputtime is evt.time in text and the number of
		// nanoseconds in JSON.
		renamed = !strings.Contains(format, "%evt.time")
	}
	if lf.format, err = CompileLineFormat(format, reg); err != nil {
		return nil, err
	}
	if asJSON {
		seen := map[string]bool{}
		for i, name := range lf.format.Fields() {
			k := jsonKey{name: name, field: i}
			if name == "evt.outputtime" || renamed && name == "evt.time" {
				k = jsonKey{name: "evt.outputtime", field: i, rawTime: true}
			}
			if !seen[k.name] {
				seen[k.name] = true
				lf.json = append(lf.json, k)
			}
		}
		slices.SortFunc(lf.json, func(a, b jsonKey) int { return strings.Compare(a.name, b.name) })
	}
	return lf, nil
}

// matchesType is the filter's event-type index check.
func (f *lineFilter) matchesType(e *replay.Event) bool {
	return f.cond.MatchesEventType(e.DispatchID())
}

// line returns e's line when e matches and, unless the format starts with
// '*', every field of the format has a value (as sysdig prints).
func (f *lineFilter) line(e *replay.Event) ([]byte, bool) {
	if !f.cond.Eval(e) {
		return nil, false
	}
	if !f.printAll {
		for i, name := range f.format.Fields() {
			if f.scratch = f.format.AppendJSONValue(f.scratch[:0], e, i); string(f.scratch) == "null" {
				f.suppressed++
				if f.missing == nil {
					f.missing = map[string]uint64{}
				}
				f.missing[name]++
				return nil, false
			}
		}
	}
	if f.json != nil {
		return f.appendJSON(nil, e), true
	}
	return f.format.Append(nil, e), true
}

// appendJSON appends e's JSON line: sysdig -j's object of the format's
// fields.
func (f *lineFilter) appendJSON(dst []byte, e *replay.Event) []byte {
	dst = append(dst, '{')
	for i, k := range f.json {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = engine.AppendJSONString(dst, k.name)
		dst = append(dst, ':')
		if k.rawTime {
			dst = strconv.AppendUint(dst, e.Ev.Ts(), 10)
			continue
		}
		dst = f.format.AppendJSONValue(dst, e, k.field)
	}
	return append(dst, '}')
}

// notes reports the matching events the format left out since the last
// reset of suppressed, and clears the count.
func (f *lineFilter) notes() []string {
	if f.suppressed == 0 {
		return nil
	}
	var fields []string
	for name, n := range f.missing {
		fields = append(fields, fmt.Sprintf("%%%s (%d)", name, n))
	}
	slices.Sort(fields)
	n := f.suppressed
	f.suppressed, f.missing = 0, nil
	return []string{fmt.Sprintf("%d matching events not printed because a field of the format had no value: %s "+
		"(as sysdig does; start the format with * to print them with <NA>)", n, strings.Join(fields, ", "))}
}

// LoadRules loads rule files (nil: retrace's built-in rules) with the
// field registry reg.
func LoadRules(files []string, reg engine.Registry) (*rules.Set, error) {
	opts := rules.Options{Fields: reg, EventTypes: scap.EventTypeIndex{}}
	if len(files) == 0 {
		b, err := builtin.Files()
		if err != nil {
			return nil, err
		}
		return rules.LoadFiles(b, opts)
	}
	return rules.Load(files, opts)
}
