package rules_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

// TestDiagnosticsGolden renders the diagnostics of every broken rule file
// of Falco's test suite, and of the files its specification expects
// warnings for (combined as the specification combines them), and compares
// them with testdata/diagnostics/NAME.golden.
func TestDiagnosticsGolden(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-tests")
	opts := testOptions(t)
	for _, spec := range []string{"falco_tests.yaml", "falco_tests_exceptions.yaml"} {
		for _, ft := range readFalcoTests(t, filepath.Join(dir, spec)) {
			if ft.wantCode == "" && len(ft.warnings) == 0 {
				continue // loads cleanly: nothing to show
			}
			t.Run(ft.name, func(t *testing.T) {
				var files []rules.File
				for _, f := range ft.files {
					data, err := os.ReadFile(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					files = append(files, rules.File{Name: f, Data: data})
				}
				set, err := rules.LoadFiles(files, opts)
				var le *rules.LoadError
				if ft.wantCode != "" && !errors.As(err, &le) {
					t.Fatalf("got %v, want a load error", err)
				}
				if ft.wantCode == "" && err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				for _, e := range errorsOf(le) {
					b.WriteString(e.Detail())
					b.WriteString("\n")
				}
				for _, w := range set.Warnings {
					b.WriteString(w.Detail())
					b.WriteString("\n")
				}
				checkGolden(t, filepath.Join("testdata", "diagnostics", ft.name+".golden"), []byte(b.String()))
			})
		}
	}
}

func errorsOf(le *rules.LoadError) []*rules.Error {
	if le == nil {
		return nil
	}
	return le.Errors
}

// checkGolden compares got with the golden file, rewriting it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	want := testutil.Golden(t, path, got)
	if !bytes.Equal(got, want) {
		t.Errorf("diagnostics differ from %s (run with -update to accept):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
