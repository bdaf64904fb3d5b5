package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/rules"
)

// This file runs captures concurrently and writes the merged output.

// item is one output record of a worker: a detection or, with -F, a line.
type item struct {
	ts   uint64
	det  *report.Detection
	line []byte
}

// captureResult is what a worker reports about its capture.
type captureResult struct {
	info  report.CaptureInfo
	items []item
	found uint64 // detections or matching events
	err   error
}

// progressCounter tracks bytes read across workers for the progress bar.
type progressCounter struct {
	read, total atomic.Int64
}

// runReplay runs cfg, writing the output to stdout (or cfg.outPath) and
// progress and warnings to stderr.
func runReplay(ctx context.Context, cfg *replayConfig, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reg := replay.NewFieldRegistry()
	var set *rules.Set
	if cfg.filter == "" {
		var err error
		set, err = loadRules(cfg, reg)
		if err != nil {
			return withCode(exitUsage, err)
		}
		if !cfg.quiet && len(set.Warnings) > 0 {
			fmt.Fprintf(stderr, "retrace: %d warnings in the rules (retrace rules validate shows them)\n", len(set.Warnings))
		}
		if !cfg.quiet && !cfg.allEvents {
			if names := ignoredRuleEvents(set, newEventFilter(cfg.compat032, false), cfg.compat032); len(names) > 0 {
				fmt.Fprintf(stderr, "retrace: warning: the rules match events that are not evaluated unless -A is given: %s\n",
					strings.Join(names, ","))
			}
		}
	} else if _, _, err := compileFilter(cfg, reg); err != nil {
		return withCode(exitUsage, err)
	}
	return replayWith(ctx, cfg, reg, set, stdout, stderr)
}

// replayWith runs cfg with loaded rules (set is nil with -F).
func replayWith(ctx context.Context, cfg *replayConfig, reg engine.Registry, set *rules.Set, stdout, stderr io.Writer) error {
	// Compiled rules are not safe for concurrent use: one ruleset per
	// worker, handed from capture to capture through a pool, and compiled
	// here because compiling from a Set is not safe for concurrent use
	// either.
	workers := min(len(cfg.files), max(runtime.GOMAXPROCS(0), 1))
	pool := make(chan *engine.Ruleset, workers)
	for range workers {
		var rs *engine.Ruleset
		if set != nil {
			var err error
			if rs, err = set.Ruleset(cfg.sel, cfg.mode); err != nil {
				return withCode(exitUsage, err)
			}
		}
		pool <- rs
	}
	start := time.Now()

	var out io.Writer = stdout
	var file *os.File
	if cfg.outPath != "" {
		f, err := os.Create(cfg.outPath)
		if err != nil {
			return withCode(exitFailure, fmt.Errorf("create output: %w", err))
		}
		file = f
		out = f
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	ropts := report.Options{TZ: cfg.loc, Width: terminalWidth(out)}
	// Line formats stream: as found for one capture, merged in time order
	// as found when every capture has a worker; otherwise (more captures
	// than workers) all lines are sorted once every capture is read.
	lines := cfg.filter != "" || cfg.format == report.FormatText || cfg.format == report.FormatJSON
	stream := lines && len(cfg.files) <= workers

	prog, stopProgress := trackProgress(stderr, cfg.files, cfg.progress)

	var writeErr error
	// emit runs on this goroutine only, so one buffer serves every line.
	var lineBuf []byte
	emit := func(it item) {
		if writeErr != nil {
			return
		}
		line := it.line
		if line == nil {
			if cfg.format == report.FormatJSON {
				lineBuf = report.AppendJSON(lineBuf[:0], it.det, ropts)
			} else {
				lineBuf = report.AppendText(lineBuf[:0], it.det, ropts)
			}
			line = lineBuf
		}
		_, err := bw.Write(line)
		if err == nil {
			err = bw.WriteByte('\n')
		}
		if err != nil {
			writeErr = fmt.Errorf("write output: %w", err)
		}
	}

	results := make([]captureResult, len(cfg.files))
	var chans []chan item
	if stream {
		chans = make([]chan item, len(cfg.files))
		for i := range chans {
			chans[i] = make(chan item, 1024)
		}
	}
	var wg sync.WaitGroup
	for i, path := range cfg.files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := <-pool // at most one capture per worker at a time
			defer func() { pool <- rs }()
			var sink func(item)
			if stream {
				ch := chans[i]
				defer close(ch)
				sink = func(it item) { ch <- it }
			}
			results[i] = replayCapture(ctx, cfg, reg, rs, path, sink, prog)
		}()
	}
	if stream {
		// Every capture has its worker, so waiting on any channel makes
		// progress: merge the heads in time order (ties: argument order).
		mergeInTimeOrder(chans, emit)
	}
	wg.Wait()
	stopProgress()

	var errs []error
	var rep report.Report
	rep.RuleFiles = cfg.ruleFiles
	var all []item
	var events, found uint64
	for i := range results {
		r := &results[i]
		rep.Captures = append(rep.Captures, r.info)
		all = append(all, r.items...)
		events += r.info.Events
		found += r.found
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if !cfg.quiet {
		secs := time.Since(start).Seconds()
		what := "detections"
		if cfg.filter != "" {
			what = "matching events"
		}
		fmt.Fprintf(stderr, "retrace: %d events from %d captures in %.2fs (%.0f events/s), %d %s\n",
			events, len(cfg.files), secs, float64(events)/max(secs, 1e-9), found, what)
	}
	if !stream {
		slices.SortStableFunc(all, func(a, b item) int {
			switch {
			case a.ts < b.ts:
				return -1
			case a.ts > b.ts:
				return 1
			}
			return 0
		})
		switch {
		case cfg.filter != "" || cfg.format == report.FormatText || cfg.format == report.FormatJSON:
			for _, it := range all {
				emit(it)
			}
		default:
			for _, it := range all {
				rep.Detections = append(rep.Detections, *it.det)
			}
			if err := report.Write(bw, &rep, cfg.format, ropts); err != nil {
				writeErr = err
			}
		}
	}
	if err := bw.Flush(); err != nil && writeErr == nil {
		writeErr = fmt.Errorf("write output: %w", err)
	}
	if file != nil {
		if err := file.Close(); err != nil && writeErr == nil {
			writeErr = fmt.Errorf("write output: %w", err)
		}
	}
	if writeErr != nil {
		errs = append(errs, writeErr)
	}
	if len(errs) > 0 {
		return withCode(exitFailure, errors.Join(errs...))
	}
	return nil
}

// mergeInTimeOrder emits the items of every channel in timestamp order,
// each channel being in order already, until all are closed.
func mergeInTimeOrder(chans []chan item, emit func(item)) {
	heads := make([]item, len(chans))
	open := make([]bool, len(chans))
	for i, ch := range chans {
		heads[i], open[i] = <-ch
	}
	for {
		best := -1
		for i := range heads {
			if open[i] && (best < 0 || heads[i].ts < heads[best].ts) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		emit(heads[best])
		heads[best], open[best] = <-chans[best]
	}
}

// compileFilter compiles -F's filter and event format.
func compileFilter(cfg *replayConfig, reg engine.Registry) (*engine.Condition, *engine.Format, error) {
	opts := engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}}
	root, err := engine.Parse(cfg.filter, engine.ParseOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("parse filter: %w", err)
	}
	cond, _, err := engine.Compile(root, cfg.filter, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("compile filter: %w", err)
	}
	format := strings.TrimPrefix(cfg.eventFormat, "*")
	if _, ok := reg.Info("evt.outputtime"); !ok {
		format = strings.ReplaceAll(format, "%evt.outputtime", "%evt.time")
	}
	f, err := engine.CompileFormat(format, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("compile format: %w", err)
	}
	return cond, f, nil
}

// sysdigHidden reports events sysdig does not print (procinfo fillers and
// container events, consumed into its tables).
func sysdigHidden(t scap.Type) bool {
	switch t {
	case scap.ProcinfoE, scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E:
		return true
	}
	return false
}

// replayCapture replays one capture. Items go to sink as they are found
// when sink is not nil, else into the result.
func replayCapture(ctx context.Context, cfg *replayConfig, reg engine.Registry, rs *engine.Ruleset, path string,
	sink func(item), prog *progressCounter) captureResult {
	res := captureResult{info: report.CaptureInfo{File: path}}
	rd, err := capture.Open(path)
	if err != nil {
		res.err = fmt.Errorf("replay %s: %w", path, err)
		return res
	}
	defer rd.Close()
	if h := rd.Header(); h != nil {
		if h.Machine != nil {
			res.info.Hostname = h.Machine.Hostname
		}
		if h.Metadata != nil && h.Metadata.Drops != nil {
			res.info.Drops = h.Metadata.Drops.Total
		}
	}
	if sink == nil {
		sink = func(it item) { res.items = append(res.items, it) }
	}
	emit := sink
	sink = func(it item) {
		res.found++
		emit(it)
	}

	sc := newScope(cfg.scope, reg)
	var handle replay.Handler
	if cfg.filter != "" {
		cond, format, err := compileFilter(cfg, reg)
		if err != nil {
			res.err = err
			return res
		}
		printAll := strings.HasPrefix(cfg.eventFormat, "*")
		var scratch []byte
		handle = func(e *replay.Event) error {
			if e.StateOnly || sysdigHidden(e.Ev.Type()) || !cond.MatchesEventType(e.DispatchID()) ||
				!sc.in(e) || !cond.Eval(e) {
				return nil
			}
			if !printAll {
				for i := range format.Fields() {
					if scratch = format.AppendJSONValue(scratch[:0], e, i); string(scratch) == "null" {
						return nil
					}
				}
			}
			sink(item{ts: e.Ev.Ts(), line: format.Append(nil, e)})
			return nil
		}
	} else {
		filter := newEventFilter(cfg.compat032, cfg.allEvents)
		probes := newContextProbes(reg)
		var scratch []byte
		handle = func(e *replay.Event) error {
			if e.StateOnly || filter.skip(e.Ev) || !sc.in(e) {
				return nil
			}
			for _, r := range rs.Match(e) {
				scratch = r.Output.Append(scratch[:0], e)
				d := &report.Detection{
					Time:     time.Unix(0, int64(e.Ev.Ts())),
					Rule:     r.Name,
					Priority: r.Priority.String(),
					Source:   r.Source,
					Tags:     r.Tags,
					Output:   string(scratch),
					Hostname: res.info.Hostname,
					Capture:  path,
					EventNum: e.Num,
				}
				d.OutputFields = outputFields(r.Output, e, scratch)
				probes.fill(d, e)
				sink(item{ts: e.Ev.Ts(), det: d})
			}
			return nil
		}
	}

	res.err = replayTracked(ctx, rd, prog, &res.info, handle)
	return res
}

// replayTracked replays rd through handle, adding the bytes read to prog
// (when not nil) as it goes. Afterwards it sets info's event count, time
// span and, when the capture's state names one, hostname. A handler's
// replay.ErrStop is not an error.
func replayTracked(ctx context.Context, rd *capture.Reader, prog *progressCounter, info *report.CaptureInfo,
	handle replay.Handler) error {
	var first, last uint64
	var lastBytes int64
	n := 0
	st, err := replay.ReplayReader(ctx, rd, replay.Options{}, func(e *replay.Event) error {
		ts := e.Ev.Ts()
		if first == 0 {
			first = ts
		}
		last = ts
		if n++; n&0x3fff == 0 && prog != nil {
			b := rd.Stats().FileBytes
			prog.read.Add(b - lastBytes)
			lastBytes = b
		}
		return handle(e)
	})
	if prog != nil {
		prog.read.Add(rd.Stats().FileBytes - lastBytes)
	}
	if st != nil {
		info.Events = st.Stats().Events
		if h := st.Machine.Hostname; h != "" {
			info.Hostname = h
		}
	}
	if first != 0 {
		info.Start, info.End = time.Unix(0, int64(first)), time.Unix(0, int64(last))
	}
	if err != nil && !errors.Is(err, replay.ErrStop) {
		return err
	}
	return nil
}

// trackProgress returns a counter of the bytes read out of the total size
// of files and, when show is set, draws it on w until the returned function
// is called.
func trackProgress(w io.Writer, files []string, show bool) (*progressCounter, func()) {
	prog := &progressCounter{}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			prog.total.Add(st.Size())
		}
	}
	if !show {
		return prog, func() {}
	}
	return prog, startProgress(w, prog)
}

// startProgress draws a progress bar on w (a terminal) until the returned
// function is called.
func startProgress(w io.Writer, p *progressCounter) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, progressLine(p.read.Load(), p.total.Load(), time.Since(start)))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// progressLine renders one progress bar update.
func progressLine(read, total int64, elapsed time.Duration) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(float64(read)/float64(total), 1)
	}
	fill := int(frac * width)
	return fmt.Sprintf("\r\033[K[%s%s] %3.0f%% %s/%s %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		frac*100, humanBytes(read), humanBytes(total), elapsed.Truncate(time.Second))
}

// humanBytes formats n bytes with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
