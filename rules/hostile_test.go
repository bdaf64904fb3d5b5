package rules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/hostile"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// hostileRuleCases are the rule files of the hostile corpus that loading
// must handle in linear time, each with the size the issue measured (the
// "1x" of the benchmarks is a hundredth of it).
var hostileRuleCases = []struct {
	name string
	gen  func(n int) []byte
	n    int
}{
	{"list references", hostile.ListReferences, 20000},
	{"appends", hostile.Appends, 20000},
	{"exception values", hostile.ExceptionValues, 200000},
	{"exception tuples", hostile.ExceptionTuples, 20000},
	{"output fields", hostile.OutputFields, 200000},
}

// TestHostileRuleFilesLoadFast loads each hostile rule file at the issue's
// size and requires it to take under 2 s of CPU time (CPU, not wall time,
// so a busy machine does not fail it); they took 38 s to minutes when list
// substitution, appends and exceptions were quadratic.
func TestHostileRuleFilesLoadFast(t *testing.T) {
	if testing.Short() {
		t.Skip("loads rule files of up to 200,000 items")
	}
	// The race detector slows loading 5-10x; a quadratic load would still
	// take minutes.
	limit := 2 * time.Second
	if testutil.RaceEnabled {
		limit = 20 * time.Second
	}
	for _, tc := range hostileRuleCases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.gen(tc.n)
			start, wall := testutil.CPUTime(), time.Now()
			_, err := rules.LoadFiles([]rules.File{{Name: "hostile.yaml", Data: data}}, largeOptions())
			cpu := testutil.CPUTime() - start
			t.Logf("%d bytes: %v CPU, %v wall", len(data), cpu, time.Since(wall))
			if err != nil {
				t.Fatalf("LoadFiles: %v", err)
			}
			if cpu > limit {
				t.Errorf("LoadFiles took %v of CPU time, want under %v", cpu, limit)
			}
		})
	}
}

// BenchmarkLoadHostile loads each hostile rule file at 1x, 10x and 100x of
// a hundredth of the size; linear loading shows as a constant
// ns/item.
func BenchmarkLoadHostile(b *testing.B) {
	for _, tc := range hostileRuleCases {
		for _, scale := range []int{1, 10, 100} {
			n := tc.n / 100 * scale
			b.Run(fmt.Sprintf("%s/n=%d", tc.name, n), func(b *testing.B) {
				files := []rules.File{{Name: "hostile.yaml", Data: tc.gen(n)}}
				opts := largeOptions()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := rules.LoadFiles(files, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/item")
			})
		}
	}
}
