package suite

import (
	"testing"

	"github.com/retrace-dev/retrace/replay/report"
)

// FuzzParse feeds arbitrary bytes to the suite parser: it must return a
// suite or an error, never panic, and a parsed suite must survive an
// Update round trip (encode, then parse again).
func FuzzParse(f *testing.F) {
	f.Add([]byte("cases:\n  - name: a\n    capture: x.scap\n"))
	f.Add([]byte(runSuite))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml", ParseOptions{Shared: "/shared"})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(s.Cases) == 0 {
			t.Fatal("a parsed suite has no cases")
		}
		results := make([]Result, len(s.Cases))
		for i, c := range s.Cases {
			d := det(1, "Shell", "Notice", 1, "sh", map[string]any{"fd.name": nil})
			results[i] = Result{Case: c, Detections: append([]report.Detection(nil), d)}
			results[i].Diff = Compare(c, results[i].Detections)
			_ = FormatDiff(&results[i].Diff)
		}
		out, err := s.Update(results)
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if _, err := Parse(out, "fuzz.yaml", ParseOptions{Shared: "/shared"}); err != nil {
			t.Fatalf("updated suite does not parse: %v\n--- input\n%s\n--- output\n%s", err, data, out)
		}
	})
}
