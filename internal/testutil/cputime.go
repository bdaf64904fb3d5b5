package testutil

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user + system) the process has used so
// far, 0 when it cannot be read: tests that bound a cost measure it
// instead of wall time, which a busy machine inflates.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
