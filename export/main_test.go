package export

import (
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }
