package redact

import (
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// loadEvents returns the header and the decoded events of an attack trace.
func loadEvents(tb testing.TB, name string) (*capture.Header, []*scap.Event) {
	tb.Helper()
	r, err := capture.Open(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var evs []*scap.Event
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		var e scap.Event
		if err := e.Decode(append([]byte(nil), ev.Raw()...), false); err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, &e)
	}
	return r.Header(), evs
}

// BenchmarkRedactEvent redacts the events of the largest attack trace
// with the environment and buffer options, and with pseudonyms of users,
// hosts and paths on top (after the first pass).
func BenchmarkRedactEvent(b *testing.B) {
	h, evs := loadEvents(b, "container-mounts.scap.zst")
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"env+buffers", Options{Env: []string{"*"}, Buffers: true}},
		{"env+buffers+pseudonyms", Options{Env: []string{"*"}, Buffers: true, Pseudonymize: Kinds{Users: true, Hosts: true, Paths: true}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := New(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			r.LearnHeader(h)
			for _, ev := range evs {
				r.LearnEvent(ev)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, ev := range evs {
					r.Event(ev)
				}
				n += len(evs)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
