package engine_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzParse from retrace's built-in rule files")

// upstreamConditions returns every macro and rule condition of the shared
// Falco rule files, by "file:item".
func upstreamConditions(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.SharedDir(t), "falco-rules", "*.yaml"))
	if err != nil || len(files) == 0 {
		testutil.SkipMissing(t, "no Falco rule files in the shared directory (%v)", err)
	}
	return conditionsOf(t, files)
}

// builtinConditions returns every macro and rule condition of retrace's
// own rule files (rules/builtin), by "file:item".
func builtinConditions(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "rules", "builtin", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no built-in rule files (%v)", err)
	}
	return conditionsOf(t, files)
}

// conditionsOf returns the conditions of the items of Falco rule files.
func conditionsOf(t testing.TB, files []string) map[string]string {
	t.Helper()
	conds := make(map[string]string)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := yaml.Unmarshal(data, &items); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, it := range items {
			c, ok := it["condition"].(string)
			if !ok {
				continue
			}
			name, _ := it["macro"].(string)
			if r, ok := it["rule"].(string); ok {
				name = r
			}
			conds[fmt.Sprintf("%s:%d:%s", filepath.Base(f), i, name)] = c
		}
	}
	return conds
}

// TestUpstreamConditionsParse parses every condition of the upstream rule
// files (a real-world corpus); lists are not substituted, so list names
// parse as bare values and macro names as references.
func TestUpstreamConditionsParse(t *testing.T) {
	conds := upstreamConditions(t)
	keys := make([]string, 0, len(conds))
	for k := range conds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n, err := engine.Parse(conds[k], engine.ParseOptions{})
		if err != nil {
			e := err.(*engine.Error)
			t.Errorf("%s: %v\n%s", k, err, e.Snippet())
			continue
		}
		if _, err := engine.Parse(n.String(), engine.ParseOptions{}); err != nil {
			t.Errorf("%s: reparse of %q: %v", k, n.String(), err)
		}
	}
}

// TestBuiltinConditionsParse parses every condition of retrace's own rule
// files; with -genseeds it writes them as the FuzzParse seed corpus (seeds
// come from the project's own rules: the upstream files stay test data
// outside the repository).
func TestBuiltinConditionsParse(t *testing.T) {
	conds := builtinConditions(t)
	keys := make([]string, 0, len(conds))
	for k := range conds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := engine.Parse(conds[k], engine.ParseOptions{}); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if !*genSeeds {
		return
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		c := conds[k]
		if seen[c] {
			continue
		}
		seen[c] = true
		sum := sha256.Sum256([]byte(c))
		body := "go test fuzz v1\nstring(" + strconv.Quote(c) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%x", sum[:8])), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d seeds to %s", len(seen), dir)
}
