package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
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
