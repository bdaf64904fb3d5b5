package rules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/testutil"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
	"github.com/retrace-dev/retrace/rules"
)

// iocRuleFile returns a rule file with a list of n IPv4 addresses (an IOC
// list), a macro that uses it and a rule that uses the macro.
func iocRuleFile(n int) []byte {
	var b strings.Builder
	b.WriteString("- list: ioc_ips\n  items:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - 10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	b.WriteString(`- macro: ioc_connect
  condition: evt.type = connect and fd.sip in (ioc_ips)
- rule: IOC connection
  desc: a connection to an address of the IOC list
  condition: ioc_connect and proc.name != curl
  output: "IOC %fd.sip by %proc.name"
  priority: WARNING
`)
	return []byte(b.String())
}

// largeOptions compiles against the in-repo fake registry, so that the
// large-list tests need nothing outside the repository.
func largeOptions() rules.Options {
	return rules.Options{Fields: enginetest.NewRegistry(enginetest.DefaultFields), EventTypes: enginetest.Default()}
}

// TestLoadLargeList loads a rule file whose 200,000-item list is used in a
// condition: it loads without error, in reasonable time (it took minutes
// when parsing was quadratic), and the rule matches an address of the list.
func TestLoadLargeList(t *testing.T) {
	const items = 200000
	// CPU time, not wall time, so that a busy machine does not fail it;
	// the race detector slows loading 5-10x.
	bound := 10 * time.Second
	if testutil.RaceEnabled {
		bound = 60 * time.Second
	}
	data := iocRuleFile(items)
	start, wall := testutil.CPUTime(), time.Now()
	set, err := rules.LoadFiles([]rules.File{{Name: "ioc.yaml", Data: data}}, largeOptions())
	elapsed := testutil.CPUTime() - start
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	t.Logf("%d items, %d bytes: %v CPU, %v wall", items, len(data), elapsed, time.Since(wall))
	if elapsed > bound {
		t.Errorf("LoadFiles took %v of CPU time, want under %v", elapsed, bound)
	}
	if l := set.Lists[0]; len(l.Items) != items {
		t.Errorf("list %s has %d items, want %d", l.Name, len(l.Items), items)
	}
	rs, err := set.Ruleset(engine.Selection{}, engine.MatchFirst)
	if err != nil {
		t.Fatalf("Ruleset: %v", err)
	}
	connect := enginetest.Default().ID("connect")
	tests := []struct {
		ip, proc string
		match    bool
	}{
		{"10.0.0.0", "nc", true},
		{"10.3.13.63", "nc", true}, // item 199,999
		{"10.3.13.64", "nc", false},
		{"10.0.0.1", "curl", false},
	}
	for _, tc := range tests {
		t.Run(tc.ip+" "+tc.proc, func(t *testing.T) {
			ev := (&enginetest.Event{ID: connect}).Set("fd.sip", enginetest.IP(tc.ip)).Set("proc.name", enginetest.Str(tc.proc))
			if got := len(rs.Match(ev)) > 0; got != tc.match {
				t.Errorf("match = %v, want %v", got, tc.match)
			}
		})
	}
}

// BenchmarkLoadLargeList loads the IOC rule file of TestLoadLargeList with
// 2,000, 20,000 and 200,000 items; linear loading shows as a constant
// ns/item.
func BenchmarkLoadLargeList(b *testing.B) {
	for _, n := range []int{2000, 20000, 200000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			files := []rules.File{{Name: "ioc.yaml", Data: iocRuleFile(n)}}
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
