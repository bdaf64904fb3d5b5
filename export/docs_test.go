package export

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
)

// docPath is the export's documentation.
var docPath = filepath.Join(testutil.RepoRoot(), "docs", "EXPORT.md")

// TestDocMatchesWriter checks that docs/EXPORT.md's mapping and schema
// sections are what the writer writes; -update rewrites them.
func TestDocMatchesWriter(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, tc := range []struct {
		name string
		want string
	}{
		{"mapping", MappingMarkdown()},
		{"schema", SchemaMarkdown()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			begin, end := "<!-- "+tc.name+":begin -->\n", "<!-- "+tc.name+":end -->"
			i, j := strings.Index(doc, begin), strings.Index(doc, end)
			if i < 0 || j < i {
				t.Fatalf("%s: no %q … %q section", docPath, begin, end)
			}
			got := doc[i+len(begin) : j]
			if got == tc.want {
				return
			}
			if testutil.Update() {
				doc = doc[:i+len(begin)] + tc.want + doc[j:]
				return
			}
			t.Errorf("%s: the %s section differs from the writer's; run go test ./export -run TestDocMatchesWriter -update\n--- doc\n%s\n--- writer\n%s",
				docPath, tc.name, got, tc.want)
		})
	}
	if testutil.Update() {
		if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(doc, "OCSF schema **"+OCSFVersion+"**") || !strings.Contains(doc, "Export layout version "+SchemaVersion+"**") {
		t.Errorf("%s does not name OCSF %s and export layout version %s", docPath, OCSFVersion, SchemaVersion)
	}
}

// TestMappingComplete checks that every column says where it comes from,
// that every source named is used, and that every Falco field the mapping
// names is one retrace knows.
func TestMappingComplete(t *testing.T) {
	used := map[string]bool{}
	for i := range Classes {
		for _, col := range Classes[i].Columns() {
			if Source(col.Path) == "" {
				t.Errorf("%s column %s: no source in columns.go", Classes[i].Partition, col.Path)
			}
			used[col.Path] = true
		}
	}
	for path := range columnSources {
		if !used[path] {
			t.Errorf("columnSources names %s, which no class has", path)
		}
	}
	reg := replay.NewFieldRegistry()
	field := regexp.MustCompile("`((?:proc|thread|user|group|fd|fs|container|evt)\\.[a-z0-9_.]+)")
	var text strings.Builder
	for path := range used {
		text.WriteString(Source(path) + "\n")
	}
	for _, m := range EventMappings {
		text.WriteString(m.Note + "\n")
	}
	for _, m := range field.FindAllStringSubmatch(text.String(), -1) {
		if detect.NewProbe(reg, strings.TrimSuffix(m[1], ".")) == nil {
			t.Errorf("the mapping names field %s, which retrace does not have", m[1])
		}
	}
	names := map[string]bool{}
	for c := range scap.NumTypes {
		if info, ok := scap.Lookup(scap.Type(c)); ok {
			names[info.Name] = true
		}
	}
	for _, m := range EventMappings {
		for _, typ := range m.Types {
			if !names[typ] {
				t.Errorf("the mapping names evt.type %s, which the scap event table does not have", typ)
			}
		}
	}
}
