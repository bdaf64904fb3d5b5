package suite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/replay/report"
)

// benchCase builds a case expecting n alerts over 10 rules (each with a
// command line field), and the n detections that satisfy it, listed in
// the reverse order of the alerts so that matching has to search.
func benchCase(b *testing.B, n int) (*Case, []report.Detection) {
	var src strings.Builder
	src.WriteString("cases:\n  - name: c\n    capture: x.scap\n    expect:\n      alerts:\n")
	dets := make([]report.Detection, n)
	for i := range n {
		rule := fmt.Sprintf("Rule %d", i%10)
		fmt.Fprintf(&src, "        - {rule: %s, priority: Notice, fields: {proc.cmdline: \"sh -c %d\", fd.name: /etc/f%d}}\n", rule, i, i)
		dets[n-1-i] = det(i, rule, "Notice", int64(i), fmt.Sprintf("sh -c %d", i), map[string]any{"fd.name": fmt.Sprintf("/etc/f%d", i)})
	}
	s, err := Parse([]byte(src.String()), "bench.yaml", ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return s.Cases[0], dets
}

// BenchmarkCompare measures matching detections against expected alerts.
// go test -run '^$' -bench Compare -benchtime 20x ./replay/suite
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c, dets := benchCase(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if d := Compare(c, dets); !d.Empty() {
					b.Fatal(FormatDiff(&d))
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "detections/s")
		})
	}
}

// BenchmarkParse measures parsing a suite of 1000 expected alerts.
func BenchmarkParse(b *testing.B) {
	var src strings.Builder
	src.WriteString("cases:\n  - name: c\n    capture: x.scap\n    expect:\n      alerts:\n")
	for i := range 1000 {
		fmt.Fprintf(&src, "        - rule: Rule %d\n          priority: Notice\n          fields:\n            proc.cmdline: sh -c %d\n", i%10, i)
	}
	data := []byte(src.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "bench.yaml", ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
