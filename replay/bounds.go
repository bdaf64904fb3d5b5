package replay

import "fmt"

// The bounds of the replayed state (docs/FORMAT.md, "Limits of the
// analysis"): far above what a real host reaches, so that a hostile
// capture costs bounded memory.
const (
	// DefaultMaxThreads bounds the thread table.
	DefaultMaxThreads = 1 << 20
	// DefaultMaxProcessFDs bounds the open fds of one process: Linux's
	// default fs.nr_open.
	DefaultMaxProcessFDs = 1 << 20
	// DefaultMaxTotalFDs bounds the open fds of all processes together
	// (about 1 GiB of state).
	DefaultMaxTotalFDs = 1 << 22
)

// Bound kinds, for [Bounded.What].
const (
	BoundThreads    = "threads"
	BoundProcessFDs = "open fds of one process"
	BoundTotalFDs   = "open fds in total"
)

// Bounded counts what the state left out at one of its bounds.
type Bounded struct {
	// What names the bound (BoundThreads, BoundProcessFDs, BoundTotalFDs).
	What string
	// Limit is the bound.
	Limit int
	// Count is the number of threads or fds left out.
	Count uint64
	// FirstEvent is the number of the event (evt.num) that met the bound
	// first; 0 when the capture's header did.
	FirstEvent uint64
}

func (b Bounded) String() string {
	item := "fds"
	if b.What == BoundThreads {
		item = "threads"
	}
	where := fmt.Sprintf("the first at event %d", b.FirstEvent)
	if b.FirstEvent == 0 {
		where = "the first in the header's snapshot"
	}
	return fmt.Sprintf("%d %s not tracked: more than %d %s (%s); their events see them as unknown (docs/FORMAT.md, \"Limits of the analysis\")",
		b.Count, item, b.Limit, b.What, where)
}

// boundCounter counts one bound's refusals.
type boundCounter struct {
	count, first uint64
}

func (c *boundCounter) hit(event uint64) {
	if c.count == 0 {
		c.first = event
	}
	c.count++
}

// Bounded returns the bounds the replay met so far, each with what it
// left out; nil when none was met.
func (s *State) Bounded() []Bounded {
	var out []Bounded
	add := func(what string, limit int, c boundCounter) {
		if c.count > 0 {
			out = append(out, Bounded{What: what, Limit: limit, Count: c.count, FirstEvent: c.first})
		}
	}
	add(BoundThreads, s.maxThreads, s.threadsOver)
	add(BoundProcessFDs, s.fdPool.maxProcess, s.fdPool.processOver)
	add(BoundTotalFDs, s.fdPool.maxTotal, s.fdPool.totalOver)
	return out
}

// threadRoom reports whether the thread table has room for one more
// thread, counting a refusal when it has not.
func (s *State) threadRoom() bool {
	if len(s.threads) < s.maxThreads {
		return true
	}
	s.threadsOver.hit(s.stats.Events)
	return false
}
