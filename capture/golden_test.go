package capture_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// golden compares got with the golden file at path, rewriting it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	want := testutil.Golden(t, path, []byte(got))
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
