package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// upstreamSets are the upstream rule files as users load them.
var upstreamSets = [][]string{
	{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml", "falco-deprecated_rules.yaml"},
	{"falco_rules-0.32.yaml"},
	{"falco_rules-0.33.yaml"},
	{"falco_rules-1.0.1.yaml"},
	{"application_rules-archive.yaml"},
}

// BenchmarkLoadUpstream loads, checks and compiles every upstream rule
// file (all of ../shared/falco-rules, in the sets users load them in).
func BenchmarkLoadUpstream(b *testing.B) {
	dir := testutil.SharedFile(b, "falco-rules")
	opts := testOptions(b)
	var sets [][]rules.File
	for _, names := range upstreamSets {
		var files []rules.File
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, rules.File{Name: n, Data: data})
		}
		sets = append(sets, files)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		for _, files := range sets {
			set, err := rules.LoadFiles(files, opts)
			if err != nil {
				b.Fatal(err)
			}
			n += len(set.Rules)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rules/s")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
}
