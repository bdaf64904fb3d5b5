package replay

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"go.yaml.in/yaml/v3"
)

// fieldRef matches field references in conditions and outputs:
// class.name[.more][arg].
var fieldRef = regexp.MustCompile(`\b(evt|proc|thread|fd|fdlist|user|group|container|k8s|fs|syscall)\.[a-zA-Z_][a-zA-Z0-9_.]*(\[[^\]\s]*\])?`)

// ruleFieldRefs returns every field reference (with its argument) in the
// conditions, outputs and exception fields of the upstream rule files.
func ruleFieldRefs(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(testutil.SharedDir(t), "falco-rules", "*.yaml"))
	if len(files) == 0 {
		testutil.SkipMissing(t, "no Falco rule files in the shared directory")
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := yaml.Unmarshal(b, &items); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var text string
		for _, it := range items {
			for _, k := range []string{"condition", "output"} {
				if s, ok := it[k].(string); ok {
					text += s + "\n"
				}
			}
			if ex, ok := it["exceptions"].([]any); ok {
				for _, e := range ex {
					if m, ok := e.(map[string]any); ok {
						switch v := m["fields"].(type) {
						case string:
							text += v + "\n"
						case []any:
							for _, x := range v {
								if s, ok := x.(string); ok {
									text += s + "\n"
								}
							}
						}
					}
				}
			}
		}
		for _, loc := range fieldRef.FindAllStringIndex(text, -1) {
			m := text[loc[0]:loc[1]]
			if loc[1] < len(text) && text[loc[1]] == '/' {
				continue // an image name such as k8s.gcr.io/pause, not a field
			}
			for len(m) > 0 && m[len(m)-1] == '.' {
				m = m[:len(m)-1]
			}
			seen[m] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TestRuleFieldsKnown lists every field the upstream rule files use and
// fails on any the registry cannot resolve and bind.
func TestRuleFieldsKnown(t *testing.T) {
	reg := NewFieldRegistry()
	names := ruleFieldRefs(t)
	for _, n := range names {
		info, arg, err := engine.ResolveField(reg, n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if _, err := reg.Bind(info.Name, arg); err != nil {
			t.Errorf("bind %s: %v", n, err)
		}
	}
	t.Logf("%d distinct field references checked", len(names))
}
