package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocExample parses the example suite of docs/TESTING.md, so that the
// documentation cannot drift from the parser.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "TESTING.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "### Example\n\n```yaml\n")
	if !ok {
		t.Fatal("docs/TESTING.md has no example suite")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("unterminated example")
	}
	s, err := Parse([]byte(example), "example.yaml", ParseOptions{Shared: "/shared"})
	if err != nil {
		t.Fatalf("the documented example does not parse: %v", err)
	}
	if len(s.Cases) != 4 || s.Cases[1].Options.Priority != "Notice" || !s.Cases[1].Options.AllEvents ||
		s.Cases[2].Rules[0] != "/shared/falco-rules/falco_rules.yaml" || s.Cases[2].Expect.Exhaustive {
		t.Fatalf("example parsed differently than documented: %+v", s.Cases)
	}
}
