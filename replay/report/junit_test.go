package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func sampleSuites() []JUnitSuite {
	return []JUnitSuite{
		{
			Name:      "falco-tests",
			Timestamp: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
			Cases: []JUnitCase{
				{Name: "single_rule_with_cat_write", Class: "cat_write.scap", Duration: 12345 * time.Microsecond,
					Output: "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)"},
				{Name: "detect_counts", Class: "cat_write.scap", Duration: 3 * time.Millisecond,
					Failure: "open_from_cat: got 4 detections, want 8\nmissing: 4 enter events"},
				{Name: "unreadable <capture> & friends", Class: "broken.scap", Error: "read capture broken.scap: offset 28: truncated block \x00\x1b"},
				{Name: "needs -A", Class: "syscall.scap", Skipped: "high-volume events disabled"},
			},
		},
		{Name: "empty"},
	}
}

func TestJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleSuites()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "junit.golden", b.Bytes())
}

func TestJUnitParsesBack(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleSuites()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("output is not well-formed XML: %v", err)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"tests", doc.Tests, 4},
		{"failures", doc.Failures, 1},
		{"errors", doc.Errors, 1},
		{"skipped", doc.Skipped, 1},
		{"suites", len(doc.Suites), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
	c := doc.Suites[0].Cases[2]
	if c.Name != "unreadable <capture> & friends" || c.Error == nil || !strings.Contains(c.Error.Text, "\uFFFD") {
		t.Errorf("case did not round-trip: %+v", c)
	}
	if f := doc.Suites[0].Cases[1].Failure; f == nil || f.Message != "open_from_cat: got 4 detections, want 8" {
		t.Errorf("failure message = %+v", f)
	}
}
