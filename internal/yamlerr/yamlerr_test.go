package yamlerr

import "testing"

func TestLine(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		lines    int
		wantLine int
		wantText string
		wantOK   bool
	}{
		{"scanner error keeps its line", "yaml: line 3: mapping values are not allowed in this context", 10, 3, "mapping values are not allowed in this context", true},
		{"parser error counted from 0", "yaml: line 3: did not find expected key", 10, 4, "did not find expected key", true},
		{"parser error bounded by the input", "yaml: line 5: did not find expected node content", 5, 5, "did not find expected node content", true},
		{"empty input", "yaml: line 0: did not find expected <document start>", 0, 1, "did not find expected <document start>", true},
		{"no line", "yaml: control characters are not allowed", 4, 0, "", false},
		{"line too large", "yaml: line 99999999999999999999: x", 4, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, text, ok := Line(tc.msg, tc.lines)
			if line != tc.wantLine || text != tc.wantText || ok != tc.wantOK {
				t.Errorf("Line(%q, %d) = %d, %q, %v; want %d, %q, %v", tc.msg, tc.lines, line, text, ok, tc.wantLine, tc.wantText, tc.wantOK)
			}
		})
	}
}
