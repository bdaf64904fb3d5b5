package forward

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Channel delivers alert lines to one destination. Deliver makes one
// attempt; the [Forwarder] retries. A Channel is used by one goroutine at a
// time.
type Channel interface {
	// Name names the channel in messages, as falco.yaml does
	// ("http_output").
	Name() string
	// Deliver sends one line (without its newline). An error wrapped in
	// [*PermanentError] is not retried.
	Deliver(ctx context.Context, line []byte) error
	// Close releases the channel's resources (an open file, a running
	// program) and reports what failed on the way.
	Close() error
}

// PermanentError is a delivery failure that retrying would not fix, such as
// an HTTP 400 answer.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Policy bounds what a [Forwarder] does for a failing channel. The zero
// value of each field means its default.
type Policy struct {
	// Attempts is how many times one alert is tried (default 4).
	Attempts int
	// Backoff is the wait before the first retry, doubled before each
	// next one up to MaxBackoff (defaults 100ms and 2s).
	Backoff, MaxBackoff time.Duration
	// GiveUpAfter is how many alerts in a row may fail before the channel
	// stops trying: the alerts after them count as undelivered at once
	// (default 5).
	GiveUpAfter int
	// QueueSize is how many alerts wait per channel (default 16384).
	QueueSize int
	// MaxBlock is how long [Forwarder.Send] waits for room in a full queue
	// before it counts the alert as dropped (default 1s).
	MaxBlock time.Duration
}

func (p Policy) withDefaults() Policy {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.Attempts, 4)
	def(&p.GiveUpAfter, 5)
	def(&p.QueueSize, 16384)
	defDur(&p.Backoff, 100*time.Millisecond)
	defDur(&p.MaxBackoff, 2*time.Second)
	defDur(&p.MaxBlock, time.Second)
	return p
}

// Stats is what a channel did with the alerts it was given.
type Stats struct {
	// Channel is the channel's name.
	Channel string
	// Delivered counts the alerts delivered.
	Delivered uint64
	// Failed counts the alerts whose attempts all failed, or that came
	// after the channel gave up; Dropped those that found the queue full
	// for longer than Policy.MaxBlock; Abandoned those still queued when
	// [Forwarder.Close]'s context ended.
	Failed, Dropped, Abandoned uint64
	// Retries counts the attempts after the first.
	Retries uint64
	// GaveUp reports that GiveUpAfter alerts failed in a row.
	GaveUp bool
	// LastErr is the last delivery error, or Close's error.
	LastErr error
}

// Undelivered counts the alerts that did not reach the channel.
func (s Stats) Undelivered() uint64 { return s.Failed + s.Dropped + s.Abandoned }

// Forwarder sends alert lines to channels. Its methods are safe for
// concurrent use; each channel has its own queue and goroutine.
type Forwarder struct {
	policy Policy
	outs   []*output
	closed atomic.Bool
}

// output is one channel with its queue.
type output struct {
	ch    Channel
	queue chan []byte
	done  chan struct{}
	// stop is closed when Close's context ends: the worker stops trying.
	stop     chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	stats    Stats
	// failedRun counts alerts failed in a row.
	failedRun int
}

// New starts forwarding to chs with policy p.
func New(chs []Channel, p Policy) *Forwarder {
	f := &Forwarder{policy: p.withDefaults()}
	for _, ch := range chs {
		o := &output{ch: ch, queue: make(chan []byte, f.policy.QueueSize), done: make(chan struct{}),
			stop: make(chan struct{}), stats: Stats{Channel: ch.Name()}}
		f.outs = append(f.outs, o)
		go f.run(o)
	}
	return f
}

// Send queues a copy of line for every channel. When a channel's queue is
// full it waits up to Policy.MaxBlock, then counts the alert as dropped for
// that channel.
func (f *Forwarder) Send(line []byte) {
	if f.closed.Load() {
		panic("forward: Send after Close")
	}
	cp := append([]byte(nil), line...)
	for _, o := range f.outs {
		select {
		case o.queue <- cp:
			continue
		default:
		}
		t := time.NewTimer(f.policy.MaxBlock)
		select {
		case o.queue <- cp:
		case <-t.C:
			o.mu.Lock()
			o.stats.Dropped++
			o.stats.LastErr = fmt.Errorf("queue full for %v", f.policy.MaxBlock)
			o.mu.Unlock()
		}
		t.Stop()
	}
}

// Close waits until every queued alert is delivered or given up, or until
// ctx ends (the alerts still queued then count as abandoned), closes the
// channels and returns their statistics, in the order of the channels.
func (f *Forwarder) Close(ctx context.Context) []Stats {
	if f.closed.Swap(true) {
		panic("forward: Close called twice")
	}
	for _, o := range f.outs {
		close(o.queue)
	}
	out := make([]Stats, len(f.outs))
	for i, o := range f.outs {
		select {
		case <-o.done:
		case <-ctx.Done():
			o.stopOnce.Do(func() { close(o.stop) })
			<-o.done
		}
		o.mu.Lock()
		if err := o.ch.Close(); err != nil {
			o.stats.LastErr = fmt.Errorf("close: %w", err)
		}
		out[i] = o.stats
		o.mu.Unlock()
	}
	return out
}

// run delivers o's queue until it is closed.
func (f *Forwarder) run(o *output) {
	defer close(o.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-o.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for line := range o.queue {
		o.mu.Lock()
		gaveUp := o.stats.GaveUp
		o.mu.Unlock()
		switch {
		case ctx.Err() != nil:
			o.count(func(s *Stats) { s.Abandoned++ })
		case gaveUp:
			o.count(func(s *Stats) { s.Failed++ })
		default:
			f.deliver(ctx, o, line)
		}
	}
}

// deliver tries one line up to Policy.Attempts times.
func (f *Forwarder) deliver(ctx context.Context, o *output, line []byte) {
	wait := f.policy.Backoff
	var err error
	for attempt := 0; attempt < f.policy.Attempts; attempt++ {
		if attempt > 0 {
			o.count(func(s *Stats) { s.Retries++ })
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				o.count(func(s *Stats) { s.Abandoned++; s.LastErr = err })
				return
			}
			wait = min(2*wait, f.policy.MaxBackoff)
		}
		if err = o.ch.Deliver(ctx, line); err == nil {
			o.count(func(s *Stats) { s.Delivered++ })
			o.failedRun = 0
			return
		}
		if ctx.Err() != nil {
			o.count(func(s *Stats) { s.Abandoned++; s.LastErr = err })
			return
		}
		var pe *PermanentError
		if errors.As(err, &pe) {
			break
		}
	}
	o.failedRun++
	o.count(func(s *Stats) {
		s.Failed++
		s.LastErr = err
		if o.failedRun >= f.policy.GiveUpAfter {
			s.GaveUp = true
		}
	})
}

func (o *output) count(fn func(*Stats)) {
	o.mu.Lock()
	fn(&o.stats)
	o.mu.Unlock()
}
