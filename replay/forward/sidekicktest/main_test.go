package sidekicktest

import (
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestMain fails the run when the tests leave goroutines or file
// descriptors behind: channels start a goroutine each and hold files,
// programs and connections.
func TestMain(m *testing.M) { testutil.Main(m) }
