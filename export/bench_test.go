package export

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/replay/detect"
)

// genCaptures writes n generated captures of distinct hosts.
func genCaptures(tb testing.TB, n, events int) []string {
	tb.Helper()
	dir := tb.TempDir()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("host%03d.scap.zst", i))
		if _, err := capgen.WriteFile(p, capgen.Options{Events: events, Seed: uint64(i + 1), Start: start, Hostname: fmt.Sprintf("host%03d", i)}); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// BenchmarkExport exports 8 generated captures with the built-in rules
// (one worker) and reports events/s; BenchmarkReplayRules replays them
// with the same rules, the baseline export is measured against.
func BenchmarkExport(b *testing.B) {
	benchmarkExport(b, genCaptures(b, 8, 20000))
}

// BenchmarkExportManySmall is BenchmarkExport over 200 captures of 5,000
// events of distinct hosts: where the costs of each file and partition
// directory weigh most (docs/PERFORMANCE.md, "Export").
func BenchmarkExportManySmall(b *testing.B) {
	benchmarkExport(b, genCaptures(b, 200, 5000))
}

func benchmarkExport(b *testing.B, paths []string) {
	det, reg := builtinDetector(b, 1)
	b.Run("replay", func(b *testing.B) {
		b.ReportAllocs()
		var events uint64
		for b.Loop() {
			sum, err := det.Run(context.Background(), paths, func(detect.Item) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			events = sum.Events
		}
		b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("export", func(b *testing.B) {
		b.ReportAllocs()
		var events uint64
		for b.Loop() {
			sum, err := Run(context.Background(), paths, Options{Detector: det, Registry: reg, Dir: b.TempDir(), Workers: 1})
			if err != nil {
				b.Fatal(err)
			}
			events = 0
			for _, c := range sum.Captures {
				events += c.Info.Events
			}
		}
		b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkPartFloor writes and closes one file of one row per class
// (writers reused as a worker reuses them): parquet-go's cost of a file
// whatever its rows, the floor of an export's cost per capture
// (docs/PERFORMANCE.md, "Export").
func BenchmarkPartFloor(b *testing.B) {
	dir := b.TempDir()
	pool := writerPool{}
	b.Run("process", func(b *testing.B) { benchmarkPartFloor[ProcessActivity](b, pool, ClassProcessActivity, dir) })
	b.Run("file", func(b *testing.B) { benchmarkPartFloor[FileActivity](b, pool, ClassFileActivity, dir) })
	b.Run("network", func(b *testing.B) { benchmarkPartFloor[NetworkActivity](b, pool, ClassNetworkActivity, dir) })
}

func benchmarkPartFloor[T any](b *testing.B, pool writerPool, class int32, dir string) {
	i := 0
	oneRow := func() {
		i++
		p, err := newPart[T](pool, class, filepath.Join(dir, fmt.Sprintf("%d-%d.parquet", class, i)))
		if err != nil {
			b.Fatal(err)
		}
		p.slot()
		if err := p.done(); err != nil {
			b.Fatal(err)
		}
		if err := p.close(""); err != nil {
			b.Fatal(err)
		}
	}
	oneRow() // the worker's writer, set up once
	b.ReportAllocs()
	for b.Loop() {
		oneRow()
	}
}
