package rules_test

import (
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestMain fails the run when the tests leave goroutines or file
// descriptors behind.
func TestMain(m *testing.M) { testutil.Main(m) }
