//go:build !cgo

package duckdbtest

import (
	"os"
	"testing"
)

// TestDocQueries needs DuckDB, which needs cgo: without it the test skips,
// or fails in CI.
func TestDocQueries(t *testing.T) {
	const msg = "DuckDB needs cgo (CGO_ENABLED=1 and a C compiler); the export's DuckDB test cannot run"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping")
}
