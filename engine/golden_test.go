package engine_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestDiagnosticsGolden compiles each line of testdata/bad_conditions.txt
// and compares the diagnostics (kind, position, message, caret snippet)
// with testdata/bad_conditions.golden.
func TestDiagnosticsGolden(t *testing.T) {
	in, err := os.Open(filepath.Join("testdata", "bad_conditions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var got strings.Builder
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, _, err := compile(t, line)
		var e *engine.Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error = %v, want *engine.Error", line, err)
			continue
		}
		got.WriteString("== " + line + "\n" + e.Kind.String() + " at " + e.Error() + "\n" + e.Snippet() + "\n\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "bad_conditions.golden")
	want := testutil.Golden(t, golden, []byte(got.String()))
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("diagnostics differ from %s (-want +got):\n%s", golden, diff)
	}
}
