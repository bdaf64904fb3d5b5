package capture_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// benchEvents is the size of the benchmark capture generated when
// RETRACE_BENCH_CAPTURE does not name one (docs/PERFORMANCE.md uses a
// larger one made with capture/capgen/cmd/capgen).
const benchEvents = 500_000

var benchFile struct {
	once sync.Once
	path string
	err  error
}

// benchCapture returns the path of the .scap.zst benchmark capture.
func benchCapture(b *testing.B) string {
	if p := os.Getenv("RETRACE_BENCH_CAPTURE"); p != "" {
		return p
	}
	benchFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "retrace-bench")
		if err != nil {
			benchFile.err = err
			return
		}
		benchFile.path = filepath.Join(dir, "bench.scap.zst")
		_, benchFile.err = capgen.WriteFile(benchFile.path, capgen.Options{Events: benchEvents, Seed: 1})
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return benchFile.path
}

// decodeFile decodes every event of path and returns the event count.
func decodeFile(b *testing.B, path string) int64 {
	r, err := capture.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	var sum uint64
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		sum += ev.Ts() + uint64(ev.Type()) + uint64(ev.Tid())
		n++
	}
	r.Close()
	if sum == 0 {
		b.Fatal("no events")
	}
	return n
}

// BenchmarkReadZstd decodes every event of the benchmark capture (frames
// decompressed in parallel, events decoded in order).
func BenchmarkReadZstd(b *testing.B) {
	path := benchCapture(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var events int64
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	for b.Loop() {
		events += decodeFile(b, path)
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(events), "allocs/event")
}

// BenchmarkDecodeLoop measures the per-event decode loop alone, over events
// already in memory, to show it allocates nothing.
func BenchmarkDecodeLoop(b *testing.B) {
	data := generate(b, 20000, capture.WriterOptions{Format: capture.FormatScap})
	b.ReportAllocs()
	r, err := capture.NewReader(bytes.NewReader(data), "mem")
	if err != nil {
		b.Fatal(err)
	}
	var evs int
	for b.Loop() {
		ev, err := r.Next()
		if err == io.EOF {
			b.StopTimer()
			r.Close()
			r, err = capture.NewReader(bytes.NewReader(data), "mem")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		_ = ev.Ts()
		evs++
	}
	b.ReportMetric(float64(evs)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReadVsZstd alternates `zstd -d -c FILE > /dev/null` and a full
// decode of the same file, once each per iteration, and reports the medians
// and their ratio (run with -benchtime=5x for the figure in
// docs/PERFORMANCE.md).
func BenchmarkReadVsZstd(b *testing.B) {
	zstd := testutil.NeedTool(b, "zstd")
	path := benchCapture(b)
	var tz, tr, cz, cr []time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(zstd, "-q", "-d", "-c", path)
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		tz = append(tz, time.Since(start))
		cz = append(cz, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		start, cpu := time.Now(), testutil.CPUTime()
		decodeFile(b, path)
		tr = append(tr, time.Since(start))
		cr = append(cr, testutil.CPUTime()-cpu)
	}
	mz, mr := median(tz), median(tr)
	b.ReportMetric(mz.Seconds()*1000, "zstd-ms")
	b.ReportMetric(mr.Seconds()*1000, "retrace-ms")
	b.ReportMetric(mz.Seconds()/mr.Seconds(), "throughput-ratio")
	b.ReportMetric(median(cz).Seconds()*1000, "zstd-cpu-ms")
	b.ReportMetric(median(cr).Seconds()*1000, "retrace-cpu-ms")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkWriteZstd writes pre-encoded events to a .scap.zst stream at the
// default level on one goroutine, and reports the compression ratio against
// gzip -6 of the same scap bytes.
func BenchmarkWriteZstd(b *testing.B) {
	const n = 200_000
	plain := generate(b, n, capture.WriterOptions{Format: capture.FormatScap})
	r, evs, err := readAll(b, plain)
	if err != nil {
		b.Fatal(err)
	}
	h := r.Header()
	key, err := minisig.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	// Every capture carries the hash chain; signing adds an Ed25519
	// signature per checkpoint (by default every 10 s of writing, and at
	// Close; "signed-every-frame" signs after every event frame).
	for _, bc := range []struct {
		name string
		opts capture.WriterOptions
	}{
		{"unsigned", capture.WriterOptions{}},
		{"signed", capture.WriterOptions{SignKey: key}},
		{"signed-every-frame", capture.WriterOptions{SignKey: key, CheckpointInterval: time.Nanosecond}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out countWriter
			b.ReportAllocs()
			var total int
			cpu := testutil.CPUTime()
			for b.Loop() {
				out = 0
				w, err := capture.NewWriter(&out, "bench.scap.zst", bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.WriteHeader(h); err != nil {
					b.Fatal(err)
				}
				for _, ev := range evs {
					if err := w.WriteEvent(0, 0, ev); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				total += len(evs)
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(total)/(testutil.CPUTime()-cpu).Seconds(), "events/cpu-s")
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, 6)
			zw.Write(plain)
			zw.Close()
			b.ReportMetric(float64(len(plain))/float64(out), "zstd-ratio")
			b.ReportMetric(float64(len(plain))/float64(gz.Len()), "gzip6-ratio")
		})
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// BenchmarkReadManySmall opens, reads and closes 200 captures of 5,000
// events one after the other: the cost of a reader's setup next to a
// small capture's events (Falco writes a capture per rule trigger).
func BenchmarkReadManySmall(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	for i := range 200 {
		p := filepath.Join(dir, "h"+strconv.Itoa(i)+".scap.zst")
		if _, err := capgen.WriteFile(p, capgen.Options{Events: 5000, Seed: uint64(i + 1), Hostname: "host" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	b.ReportAllocs()
	var events int64
	for b.Loop() {
		for _, p := range paths {
			events += decodeFile(b, p)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWriteManySmall writes 200 captures of 2,000 events one after
// the other, as capgen does for the fleet tests and a recorder rotating
// small files does: the cost of a writer's setup next to a small
// capture's events.
func BenchmarkWriteManySmall(b *testing.B) {
	var caps [][]byte
	for i := range 200 {
		data, err := capgen.Bytes(capgen.Options{Events: 2000, Seed: uint64(i + 1)}, capture.WriterOptions{Format: capture.FormatScap})
		if err != nil {
			b.Fatal(err)
		}
		caps = append(caps, data)
	}
	type capEvents struct {
		h   *capture.Header
		evs [][]byte
	}
	var inputs []capEvents
	for _, data := range caps {
		r, evs, err := readAll(b, data)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, capEvents{r.Header(), evs})
	}
	b.ReportAllocs()
	var events int
	for b.Loop() {
		for _, c := range inputs {
			var out countWriter
			w, err := capture.NewWriter(&out, "bench.scap.zst", capture.WriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := w.WriteHeader(c.h); err != nil {
				b.Fatal(err)
			}
			for _, ev := range c.evs {
				if err := w.WriteEvent(0, 0, ev); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			events += len(c.evs)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(inputs)), "µs/capture")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
