package suite

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay/report"
)

// Runner replays one case's capture with its rules and options and returns
// the detections in time order. An error means the case could not run
// (unreadable capture, bad rules); it is reported, not compared.
type Runner func(ctx context.Context, c *Case) ([]report.Detection, error)

// Status is a case's outcome.
type Status int

// Outcomes, from best to worst.
const (
	Pass Status = iota
	Skip
	Fail
	Errored
)

// String names the status in lower case: pass, skip, fail, error.
func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Skip:
		return "skip"
	case Fail:
		return "fail"
	}
	return "error"
}

// Result is the outcome of one case.
type Result struct {
	Case *Case
	// Detections are the replay's detections, in time order.
	Detections []report.Detection
	// Diff is how they differ from the expectations.
	Diff Diff
	// Err is why the case could not run.
	Err error
	// Duration is how long the replay took.
	Duration time.Duration
}

// Status returns the case's outcome.
func (r *Result) Status() Status {
	switch {
	case r.Err != nil:
		return Errored
	case r.Case.Skip != "":
		return Skip
	case !r.Diff.Empty():
		return Fail
	}
	return Pass
}

// RunOptions configure Run.
type RunOptions struct {
	// Workers is how many cases run at once; 0 means GOMAXPROCS.
	Workers int
}

// Run runs cases concurrently with run and compares each with its
// expectations. Results are in the order of cases. Skipped cases do not
// run.
func Run(ctx context.Context, cases []*Case, run Runner, opts RunOptions) []Result {
	results := make([]Result, len(cases))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(cases)))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = runOne(ctx, cases[i], run)
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func runOne(ctx context.Context, c *Case, run Runner) Result {
	r := Result{Case: c}
	if c.Skip != "" {
		return r
	}
	if err := ctx.Err(); err != nil {
		r.Err = err
		return r
	}
	start := time.Now()
	dets, err := run(ctx, c)
	r.Duration = time.Since(start)
	if err != nil {
		r.Err = fmt.Errorf("run case %q: %w", c.Name, err)
		return r
	}
	slices.SortStableFunc(dets, func(a, b report.Detection) int { return a.Time.Compare(b.Time) })
	r.Detections = dets
	r.Diff = Compare(c, dets)
	return r
}

// Overrides are rule-selection flags given on the command line; they
// apply to every case (replay's -r, -t, -T, -D, -p).
type Overrides struct {
	// Rules, when not empty, replace every case's rule files (-r).
	Rules []string
	// Tags, when not empty, replace every case's tags (-t).
	Tags []string
	// ExcludeTags are added to every case's exclude_tags (-T).
	ExcludeTags []string
	// Disable are added to every case's disable list (-D).
	Disable []string
	// Priority, when not empty, replaces every case's minimum priority (-p).
	Priority string
}

// Apply applies o to c. Rules given on the command line are used as given
// (relative to the working directory), and a case skipped only because its
// ${SHARED} rules are absent runs with them.
func (o *Overrides) Apply(c *Case) error {
	if len(o.Rules) > 0 {
		c.Rules = slices.Clone(o.Rules)
		c.rulePos = nil
		if c.Skip != "" && !c.captureShared {
			c.Skip = ""
		}
	}
	if len(o.Tags) > 0 {
		c.Options.Tags = slices.Clone(o.Tags)
	}
	c.Options.ExcludeTags = append(slices.Clip(c.Options.ExcludeTags), o.ExcludeTags...)
	c.Options.Disable = append(slices.Clip(c.Options.Disable), o.Disable...)
	if o.Priority != "" {
		p, err := engine.ParsePriority(o.Priority)
		if err != nil {
			return err
		}
		c.Options.Priority = p.String()
	}
	if err := c.Options.validate(); err != nil {
		return fmt.Errorf("case %q with the command line's rule selection: %w", c.Name, err)
	}
	return nil
}

// Summary counts outcomes.
type Summary struct {
	Passed, Failed, Errors, Skipped int
}

// Summarize counts the outcomes of results.
func Summarize(results []Result) Summary {
	var s Summary
	for i := range results {
		switch results[i].Status() {
		case Pass:
			s.Passed++
		case Fail:
			s.Failed++
		case Errored:
			s.Errors++
		case Skip:
			s.Skipped++
		}
	}
	return s
}
