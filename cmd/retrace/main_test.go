package main

import (
	"os"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// childEnv, when set in the environment, makes the test binary run
// retrace's main with the arguments after "--" instead of the tests: tests
// that measure a whole process (peak memory) start it as a child.
const childEnv = "RETRACE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"retrace"}, os.Args[i+1:]...)
				break
			}
		}
		code := run()
		testutil.ReportPeakRSS()
		os.Exit(code)
	}
	// The tests must not leave goroutines or file descriptors behind.
	testutil.Main(m)
}
