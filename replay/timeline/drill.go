package timeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// Defaults and bounds of [DrillOptions].
const (
	DefaultContext   = 10
	DefaultNext      = 50
	DefaultMaxDrills = 1000
	// MaxContext bounds DrillOptions.Context.
	MaxContext = 1000
)

// DrillOptions configure [Drill].
type DrillOptions struct {
	// Context is how many events of a detection's process Drill keeps
	// before and after it; 0 means DefaultContext.
	Context int
	// Next bounds the steps of what came next per detection; 0 means
	// DefaultNext.
	Next int
	// Max bounds the detections that get a drill-down, the first ones in
	// report order; 0 means DefaultMaxDrills.
	Max int
	// Registry resolves field names; nil means replay's registry.
	Registry engine.Registry
	// Workers bounds the captures replayed at once; 0: one per CPU.
	Workers int
	// Progress, when set, counts the bytes read.
	Progress *detect.Progress
	// Tree sets the report's Tree to the story's process tree.
	Tree bool
	// Clock corrects hosts' clocks as the replay that found the
	// detections did.
	Clock detect.ClockOffsets
}

// Drill replays the captures of rep's detections once more and gives each
// of the first Max detections its [report.Drill]: the events of its process
// just before and after it (sysdig's lines), and what the process and its
// descendants did from then on (execs, files, connections, privilege
// changes). With Tree, it sets rep.Tree to the story of the detections: their
// processes under their creators (exited ones included, from the replay's
// lineage records) and the descendants that acted after a detection, each
// with its activity and the detections pinned on it (ProcessNode.Pins).
// It returns how many detections got no drill-down because of Max, and
// says so in rep.Notes.
// Errors of single captures do not stop the others.
func Drill(ctx context.Context, rep *report.Report, opts DrillOptions) (int, error) {
	opts.Context = min(cmpOr(opts.Context, DefaultContext), MaxContext)
	opts.Next = cmpOr(opts.Next, DefaultNext)
	opts.Max = cmpOr(opts.Max, DefaultMaxDrills)
	reg := opts.Registry
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	format, err := detect.CompileLineFormat(strings.TrimPrefix(detect.DefaultFormat, "*"), reg)
	if err != nil {
		return 0, err
	}
	// The detections of each capture, by event number. A detection names
	// the file that holds its event: a rotated set's member is replayed
	// as part of its set, named after its first file, which the set's
	// event numbers count from.
	setOf := map[string]string{}
	for _, c := range rep.Captures {
		for _, f := range c.Files {
			setOf[f] = c.File
		}
	}
	var paths []string
	byPath := map[string]map[uint64][]int{}
	skipped := 0
	for i := range rep.Detections {
		d := &rep.Detections[i]
		if i >= opts.Max {
			skipped++
			continue
		}
		path := cmp.Or(setOf[d.Capture], d.Capture)
		m, ok := byPath[path]
		if !ok {
			m = map[uint64][]int{}
			byPath[path] = m
			paths = append(paths, path)
		}
		m[d.EventNum] = append(m[d.EventNum], i)
	}
	trees := make([][]report.ProcessNode, len(paths))
	errs := make([]error, len(paths))
	detect.ForEach(len(paths), detect.Workers(len(paths), opts.Workers), func(_, i int) {
		f, err := format.Clone()
		if err != nil {
			errs[i] = err
			return
		}
		dc := newDrillCollector(rep, paths[i], byPath[paths[i]], f, reg, &opts)
		files := []string{paths[i]}
		for _, c := range rep.Captures {
			if c.File == paths[i] && len(c.Files) > 0 {
				files = c.Files // a rotated set: replayed as one capture
			}
		}
		_, errs[i] = detect.ReplaySet(ctx, files, opts.Progress, opts.Clock, func(info report.CaptureInfo) replay.Handler {
			dc.vc.host = info.Hostname
			return dc.event
		})
		trees[i] = dc.finish()
	})
	if opts.Tree {
		rep.Tree = nil
		for _, t := range trees {
			rep.Tree = append(rep.Tree, t...)
		}
	}
	if skipped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("drill-down of the first %d detections only; %d more have none (--drill-max)",
			len(rep.Detections)-skipped, skipped))
	}
	return skipped, errors.Join(errs...)
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// drillCollector gathers the drill-downs of one capture's detections.
type drillCollector struct {
	rep    *report.Report
	opts   *DrillOptions
	vc     *viewCollector // classifies events and builds the tree
	format *engine.Format
	line   []byte

	targets map[uint64][]int // detections by event number
	last    map[int64]uint64 // per pid, the event number of its last detection
	rings   map[int64]*eventRing
	after   map[int64][]*report.Drill // drills still taking events after theirs, by pid
	watch   map[procKey][]*openDrill  // drills taking next steps, by the detection's process
	pins    map[procKey][]int         // detections by process
	story   map[procKey]bool          // processes whose activity the tree shows
}

// openDrill is a drill-down taking next steps.
type openDrill struct {
	drill *report.Drill
	num   uint64 // the detection's event number
}

// eventRing keeps the last events of one process.
type eventRing struct {
	evs  []report.ContextEvent
	next int
}

func (r *eventRing) push(e report.ContextEvent, n int) {
	if len(r.evs) < n {
		r.evs = append(r.evs, e)
		return
	}
	r.evs[r.next] = e
	r.next = (r.next + 1) % n
}

// ordered returns the events oldest first.
func (r *eventRing) ordered() []report.ContextEvent {
	return append(slices.Clone(r.evs[r.next:]), r.evs[:r.next]...)
}

func newDrillCollector(rep *report.Report, path string, targets map[uint64][]int, f *engine.Format, reg engine.Registry, opts *DrillOptions) *drillCollector {
	dc := &drillCollector{
		rep: rep, opts: opts, format: f, targets: targets,
		vc:    newViewCollector(&Options{View: ViewTree}, reg, path),
		last:  map[int64]uint64{},
		rings: map[int64]*eventRing{}, after: map[int64][]*report.Drill{},
		watch: map[procKey][]*openDrill{}, pins: map[procKey][]int{}, story: map[procKey]bool{},
	}
	for num, idx := range targets {
		for _, i := range idx {
			pid := rep.Detections[i].Process.Pid
			dc.last[pid] = max(dc.last[pid], num)
		}
	}
	return dc
}

// event feeds one event of the capture.
func (dc *drillCollector) event(e *replay.Event) error {
	if e.Thread == nil {
		return nil
	}
	pid := e.Thread.Pid
	dets := dc.targets[e.Num]
	if !e.StateOnly && !detect.SysdigHidden(e.Ev.Type()) {
		last, ringed := dc.last[pid]
		if ringed && e.Num > last {
			delete(dc.last, pid)
			delete(dc.rings, pid)
			ringed = false
		}
		if ringed || len(dc.after[pid]) > 0 || len(dets) > 0 {
			dc.context(e, pid, dets, ringed)
		}
	}
	if a, ok := dc.vc.classify(e); ok {
		dc.steps(e, a)
	}
	if len(dets) > 0 {
		dc.open(e, dets)
	}
	return nil
}

// context records e's line in its process's ring and in the drills still
// taking events after theirs.
func (dc *drillCollector) context(e *replay.Event, pid int64, dets []int, ringed bool) {
	dc.line = dc.format.Append(dc.line[:0], e)
	ce := report.ContextEvent{Num: e.Num, Time: time.Unix(0, int64(e.Ev.Ts())), Line: string(dc.line)}
	if open := dc.after[pid]; len(open) > 0 {
		keep := open[:0]
		for _, d := range open {
			d.After = append(d.After, ce)
			if len(d.After) < dc.opts.Context {
				keep = append(keep, d)
			}
		}
		if len(keep) == 0 {
			delete(dc.after, pid)
		} else {
			dc.after[pid] = keep
		}
	}
	var before []report.ContextEvent
	if r := dc.rings[pid]; r != nil && len(dets) > 0 {
		before = r.ordered()
	}
	for _, i := range dets {
		d := &report.Drill{Before: before, Event: ce}
		dc.rep.Detections[i].Drill = d
		dc.after[pid] = append(dc.after[pid], d)
	}
	if ringed {
		r := dc.rings[pid]
		if r == nil {
			r = &eventRing{}
			dc.rings[pid] = r
		}
		r.push(ce, dc.opts.Context)
	}
}

// open starts the next steps of the detections dets on e, and pins them
// on e's process.
func (dc *drillCollector) open(e *replay.Event, dets []int) {
	l := e.Lineage()
	if l == nil {
		return
	}
	k := keyOf(l)
	dc.story[k] = true
	dc.vc.node(e, l)
	for _, i := range dets {
		d := dc.rep.Detections[i].Drill
		if d == nil { // a state-only or hidden event: no context line
			d = &report.Drill{}
			dc.rep.Detections[i].Drill = d
		}
		dc.watch[k] = append(dc.watch[k], &openDrill{drill: d, num: e.Num})
		dc.pins[k] = append(dc.pins[k], i)
	}
}

// steps adds a to the next steps of the drills watching e's process or an
// ancestor of it, and to the tree when e's process is in the story.
func (dc *drillCollector) steps(e *replay.Event, a action) {
	l := e.Lineage()
	if l == nil || a.kind == "exit" && len(dc.watch) == 0 {
		return
	}
	if a.kind == "open-read" && slices.ContainsFunc(treeNoiseDirs(), func(d string) bool {
		return a.paths[0] == d || strings.HasPrefix(a.paths[0], d+"/")
	}) {
		return
	}
	k := keyOf(l)
	var step *report.Step
	depth := 0
	for anc := l; anc != nil && depth <= replay.MaxLineageDepth && len(dc.watch) > 0; anc, depth = anc.Parent, depth+1 {
		open := dc.watch[keyOf(anc)]
		if len(open) == 0 {
			continue
		}
		dc.story[k] = true
		if a.kind == "exit" {
			break
		}
		if step == nil {
			step = &report.Step{Activity: report.Activity{Time: time.Unix(0, int64(e.Ev.Ts())), Kind: a.kind, Object: stepObject(l, a), EventNum: e.Num, Frame: e.Frame, Capture: dc.vc.fileOf(e)},
				Pid: l.Pid, Name: l.Comm}
		}
		for _, od := range open {
			if e.Num <= od.num {
				continue
			}
			if n := len(od.drill.Next); n > 0 && sameStep(&od.drill.Next[n-1], step) {
				continue // a repeat (a shell reading /etc/passwd for each prompt)
			}
			if len(od.drill.Next) >= dc.opts.Next {
				od.drill.NextCut++
				continue
			}
			s := *step
			s.Depth = depth
			od.drill.Next = append(od.drill.Next, s)
		}
	}
	if dc.story[k] {
		dc.vc.treeEvent(e, a)
	}
}

// sameStep reports whether two steps are one process doing the same thing.
func sameStep(a, b *report.Step) bool {
	return a.Pid == b.Pid && a.Kind == b.Kind && a.Object == b.Object
}

// stepObject is what a step happened to: the command line of an exec, a
// privilege call's arguments, the paths or the network endpoint.
func stepObject(l *replay.Lineage, a action) string {
	switch {
	case a.kind == "exec":
		return l.Cmdline
	case a.priv != "":
		return a.priv
	case len(a.paths) > 0:
		return strings.Join(a.paths, " -> ")
	}
	return a.net
}

// finish returns the story's tree with the detections pinned.
func (dc *drillCollector) finish() []report.ProcessNode {
	for k, pins := range dc.pins {
		if n := dc.vc.nodes[k]; n != nil {
			n.pins = pins
		}
	}
	_, tree := dc.vc.finish()
	return tree
}
