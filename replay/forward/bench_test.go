package forward

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a channel that accepts every line.
type discard struct{}

func (discard) Name() string                          { return "discard" }
func (discard) Deliver(context.Context, []byte) error { return nil }
func (discard) Close() error                          { return nil }

// BenchmarkForwarderSend measures the cost Send adds to the replay per
// alert: the copy and the queue hand-off.
func BenchmarkForwarderSend(b *testing.B) {
	f := New([]Channel{discard{}}, Policy{})
	line := []byte(alert)
	b.ReportAllocs()
	for b.Loop() {
		f.Send(line)
	}
	f.Close(context.Background())
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkHTTPDeliver measures one POST to a loopback server, with and
// without keep_alive.
func BenchmarkHTTPDeliver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, keep := range []bool{true, false} {
		name := "keep_alive=false"
		if keep {
			name = "keep_alive=true"
		}
		b.Run(name, func(b *testing.B) {
			ch, err := NewHTTP(HTTPOptions{URL: srv.URL, JSON: true, KeepAlive: keep})
			if err != nil {
				b.Fatal(err)
			}
			defer ch.Close()
			line := []byte(alert)
			b.ReportAllocs()
			for b.Loop() {
				if err := ch.Deliver(context.Background(), line); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}
