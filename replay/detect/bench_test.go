package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/internal/merge"
)

// BenchmarkSets groups 200 captures of 5,000 events: capgen's (none in a
// rotated set), and four rotated sets of 50 files. "open" places each file
// by opening it (how Sets did before capture.ReadMetadata), "metadata" is
// Sets.
func BenchmarkSets(b *testing.B) {
	const files, events = 200, 5000
	dir := b.TempDir()
	var single, rotated []string
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("h%d.scap.zst", i))
		if _, err := capgen.WriteFile(p, capgen.Options{Events: events, Seed: uint64(i), Hostname: fmt.Sprintf("host%d", i)}); err != nil {
			b.Fatal(err)
		}
		single = append(single, p)
		p = filepath.Join(dir, fmt.Sprintf("r%d-%06d.scap.zst", i%4, i/4+1))
		if err := os.WriteFile(p, rotatedCapture(b, fmt.Sprintf("%032x", i%4), i/4+1, events, 0, false), 0o644); err != nil {
			b.Fatal(err)
		}
		rotated = append(rotated, p)
	}
	for _, c := range []struct {
		name  string
		paths []string
		units int
	}{{"capgen", single, files}, {"rotated", rotated, 4}} {
		for _, m := range []struct {
			name       string
			rotationOf func(string) *capture.Rotation
		}{{"open", openRotation}, {"metadata", rotation}} {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if units := sets(c.paths, m.rotationOf); len(units) != c.units {
						b.Fatalf("%d captures, want %d", len(units), c.units)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.paths)), "ns/file")
			})
		}
	}
}

// BenchmarkMerge merges 200 runs of 1,000 lines of 100 bytes, their times
// interleaved, as Run merges its captures: held in memory, and read back
// from one spill file.
func BenchmarkMerge(b *testing.B) {
	const runs, lines = 200, 1000
	line := make([]byte, 100)
	items := make([][]Item, runs)
	for r := range items {
		for i := range lines {
			items[r] = append(items[r], Item{Time: uint64(i*runs + (r*7919)%runs), Line: line})
		}
	}
	for _, spilled := range []bool{false, true} {
		name := "in memory"
		if spilled {
			name = "through a file"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			dir := b.TempDir()
			for b.Loop() {
				n := 0
				if err := mergeItemRuns(dir, items, spilled, func(Item) error { n++; return nil }); err != nil || n != runs*lines {
					b.Fatalf("%d items, %v", n, err)
				}
			}
			b.ReportMetric(float64(runs*lines)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// mergeItemRuns merges runs as Run does, each first written to a spill file
// when spilled.
func mergeItemRuns(dir string, runs [][]Item, spilled bool, emit func(Item) error) error {
	streams := make([]merge.Run[Item], len(runs))
	if !spilled {
		for i, r := range runs {
			streams[i] = merge.NewSlice(slices.Clone(r))
		}
		return merge.Merge(streams, compareItems, emit)
	}
	sp, err := newSpill(dir)
	if err != nil {
		return err
	}
	defer sp.Close()
	for i, r := range runs {
		start := sp.Offset()
		for _, it := range r {
			if err := sp.Write(it); err != nil {
				return err
			}
		}
		streams[i] = sp.Run(start, sp.Offset())
	}
	if err := sp.Flush(); err != nil {
		return err
	}
	return merge.Merge(streams, compareItems, emit)
}
