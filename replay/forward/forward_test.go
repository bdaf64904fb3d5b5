package forward

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// scripted is a channel whose attempts fail as its script says.
type scripted struct {
	mu sync.Mutex
	// fail returns the error of attempt n (0-based) of line.
	fail     func(line string, n int) error
	attempts map[string]int
	got      []string
	delay    time.Duration
}

func (c *scripted) Name() string { return "scripted" }

func (c *scripted) Deliver(ctx context.Context, line []byte) error {
	if c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attempts == nil {
		c.attempts = map[string]int{}
	}
	n := c.attempts[string(line)]
	c.attempts[string(line)]++
	if c.fail != nil {
		if err := c.fail(string(line), n); err != nil {
			return err
		}
	}
	c.got = append(c.got, string(line))
	return nil
}

func (c *scripted) Close() error { return nil }

var errDown = errors.New("down")

func TestForwarderPolicy(t *testing.T) {
	fast := Policy{Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
	tests := []struct {
		name   string
		policy Policy
		lines  int
		fail   func(line string, n int) error
		delay  time.Duration
		close  time.Duration
		want   Stats
	}{
		{"all delivered", fast, 10, nil, 0, time.Second, Stats{Delivered: 10}},
		{"retried then delivered", fast, 3, func(_ string, n int) error {
			if n < 2 {
				return errDown
			}
			return nil
		}, 0, time.Second, Stats{Delivered: 3, Retries: 6}},
		{"attempts bound", fast, 2, func(string, int) error { return errDown }, 0, time.Second,
			Stats{Failed: 2, Retries: 6, LastErr: errDown}},
		{"permanent not retried", fast, 2, func(string, int) error { return &PermanentError{errDown} }, 0, time.Second,
			Stats{Failed: 2, LastErr: &PermanentError{errDown}}},
		{"gives up after a run of failures", Policy{Backoff: time.Millisecond, GiveUpAfter: 3, Attempts: 2}, 100,
			func(string, int) error { return errDown }, 0, time.Second,
			Stats{Failed: 100, Retries: 3, GaveUp: true, LastErr: errDown}},
		{"close deadline abandons", Policy{Backoff: time.Millisecond}, 50, nil, 20 * time.Millisecond, 50 * time.Millisecond,
			Stats{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := &scripted{fail: tc.fail, delay: tc.delay}
			f := New([]Channel{ch}, tc.policy)
			for i := range tc.lines {
				f.Send([]byte{byte('a' + i%26), byte('0' + i/26)})
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.close)
			defer cancel()
			st := f.Close(ctx)[0]
			if tc.name == "close deadline abandons" {
				if st.Delivered+st.Abandoned != 50 || st.Abandoned == 0 {
					t.Errorf("delivered %d + abandoned %d, want 50 with some abandoned", st.Delivered, st.Abandoned)
				}
				return
			}
			tc.want.Channel = "scripted"
			if st.Delivered != tc.want.Delivered || st.Failed != tc.want.Failed || st.Retries != tc.want.Retries ||
				st.GaveUp != tc.want.GaveUp || st.Dropped != 0 || st.Abandoned != 0 {
				t.Errorf("stats %+v, want %+v", st, tc.want)
			}
			if (st.LastErr == nil) != (tc.want.LastErr == nil) || st.LastErr != nil && st.LastErr.Error() != tc.want.LastErr.Error() {
				t.Errorf("last error %v, want %v", st.LastErr, tc.want.LastErr)
			}
			if st.Undelivered()+st.Delivered != uint64(tc.lines) {
				t.Errorf("%d delivered + %d undelivered != %d sent", st.Delivered, st.Undelivered(), tc.lines)
			}
		})
	}
}

// TestForwarderQueueFull checks that Send on a full queue waits at most
// MaxBlock and counts the alert as dropped.
func TestForwarderQueueFull(t *testing.T) {
	ch := &scripted{delay: 200 * time.Millisecond}
	f := New([]Channel{ch}, Policy{QueueSize: 1, MaxBlock: 10 * time.Millisecond})
	start := time.Now()
	for i := range 5 {
		f.Send([]byte{byte('a' + i)})
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("5 sends took %v with a stuck channel; want about 3x MaxBlock", d)
	}
	st := f.Close(context.Background())[0]
	if st.Dropped < 2 || st.Delivered+st.Dropped != 5 {
		t.Errorf("stats %+v: want 5 alerts, at least 2 dropped", st)
	}
}

// TestForwarderOrder checks that one channel gets the lines in order.
func TestForwarderOrder(t *testing.T) {
	a, b := &scripted{}, &scripted{}
	f := New([]Channel{a, b}, Policy{})
	var want []string
	for i := range 1000 {
		line := []byte{byte(i >> 8), byte(i)}
		want = append(want, string(line))
		f.Send(line)
		line[0] = 'x' // Send copies
	}
	f.Close(context.Background())
	for _, ch := range []*scripted{a, b} {
		if len(ch.got) != len(want) {
			t.Fatalf("got %d lines, want %d", len(ch.got), len(want))
		}
		for i := range want {
			if ch.got[i] != want[i] {
				t.Fatalf("line %d out of order", i)
			}
		}
	}
}
