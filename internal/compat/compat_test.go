package compat

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseRepositoryDoc(t *testing.T) {
	if _, err := Parse(DocPath()); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs int
		wantErr bool
	}{
		{"empty table", "| id | judge | area | difference |\n|---|---|---|---|\n", 0, false},
		{"one row", "| id | judge | area | difference |\n|---|---|---|---|\n| `A` | sysdig-0.29.3 | x | y |\n", 1, false},
		{"bad judge", "| id | judge | area | difference |\n|---|---|---|---|\n| A | nobody | x | y |\n", 0, true},
		{"duplicate", "| id | judge | area | difference |\n|---|---|---|---|\n| A | falco | x | y |\n| A | falco | x | y |\n", 0, true},
		{"short row", "| id | judge | area | difference |\n|---|---|---|---|\n| A | falco |\n", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.md")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Parse(p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && len(got) != tc.wantIDs {
				t.Fatalf("got %d entries, want %d", len(got), tc.wantIDs)
			}
		})
	}
}
