package timeline

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// Trees is [Run] for the tree view written a capture at a time: emit gets
// each capture's process tree (its roots, as Run's report would hold
// them) and what was learnt of the capture, in the order of paths, as
// soon as that capture and those before it are replayed. A capture
// replayed before its turn waits for it, so that at most one tree per
// worker is held, whatever the number of captures. Calls of emit are not
// concurrent; the first error of emit stops the run and is returned. The
// report returned has the captures but no tree; it is nil when opts are
// not valid (opts.View must be the tree or empty).
func Trees(ctx context.Context, paths []string, opts Options, emit func(c report.CaptureInfo, roots []report.ProcessNode) error) (*report.Report, error) {
	if opts.View == "" {
		opts.View = ViewTree
	}
	if opts.View != ViewTree {
		return nil, fmt.Errorf("timeline: view %s is not a tree", opts.View)
	}
	if err := opts.cleanPaths([]string{ViewTree}); err != nil {
		return nil, err
	}
	reg := opts.Registry
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	units := detect.Sets(paths)
	infos := make([]report.CaptureInfo, len(units))
	errs := make([]error, len(units))
	var (
		mu      sync.Mutex
		turn    = sync.NewCond(&mu)
		next    int // the capture whose tree is written next
		emitErr error
	)
	detect.ForEach(len(units), detect.Workers(len(units), opts.Workers), func(_, i int) {
		res := capture(ctx, &opts, reg, []string{ViewTree}, units[i])[0]
		infos[i], errs[i] = res.info, res.err
		mu.Lock()
		defer mu.Unlock()
		for next != i {
			turn.Wait()
		}
		if emitErr == nil {
			// The captures after this one wait: emit is not concurrent.
			if emitErr = emit(res.info, res.tree); emitErr != nil {
				cancel()
			}
		}
		next++
		turn.Broadcast()
	})
	var all []error
	for _, err := range errs {
		if err != nil && !(emitErr != nil && errors.Is(err, context.Canceled)) {
			all = append(all, err)
		}
	}
	if emitErr != nil {
		all = append(all, emitErr)
	}
	rep := &report.Report{Title: "retrace timeline: " + ViewTree, View: ViewTree, Captures: infos}
	return rep, errors.Join(all...)
}
