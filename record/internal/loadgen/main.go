// Command loadgen generates syscall load for measuring the recorder's
// overhead (docs/PERFORMANCE.md, "Recorder"). It prints the time per loop
// iteration.
//
//	loadgen getpid N        N getpid calls
//	loadgen orc N [FILE]    N open/read/close rounds on FILE (default /etc/hostname)
//	loadgen rate R SECONDS  open/read/close at R rounds per second for SECONDS
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: loadgen getpid N | orc N [FILE] | rate R SECONDS")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return fmt.Errorf("bad count %q: %w", args[1], err)
	}
	file := "/etc/hostname"
	switch args[0] {
	case "getpid":
		start := time.Now()
		for i := 0; i < n; i++ {
			unix.Syscall(unix.SYS_GETPID, 0, 0, 0)
		}
		report(n, time.Since(start))
	case "orc":
		if len(args) > 2 {
			file = args[2]
		}
		buf := make([]byte, 64)
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := orc(file, buf); err != nil {
				return err
			}
		}
		report(n, time.Since(start))
	case "rate":
		if len(args) < 3 {
			return fmt.Errorf("usage: loadgen rate R SECONDS")
		}
		secs, err := strconv.Atoi(args[2])
		if err != nil {
			return fmt.Errorf("bad duration %q: %w", args[2], err)
		}
		buf := make([]byte, 64)
		start := time.Now()
		const tick = 10 * time.Millisecond
		per := n / int(time.Second/tick)
		done := 0
		for t := start; time.Since(start) < time.Duration(secs)*time.Second; t = t.Add(tick) {
			for i := 0; i < per; i++ {
				if err := orc(file, buf); err != nil {
					return err
				}
			}
			done += per
			if d := time.Until(t.Add(tick)); d > 0 {
				time.Sleep(d)
			}
		}
		el := time.Since(start)
		fmt.Printf("%d rounds in %v: %.0f rounds/s\n", done, el.Round(time.Millisecond), float64(done)/el.Seconds())
	default:
		return fmt.Errorf("unknown mode %q", args[0])
	}
	return nil
}

func orc(file string, buf []byte) error {
	fd, err := unix.Open(file, unix.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	unix.Read(fd, buf)
	unix.Close(fd)
	return nil
}

// report prints wall and CPU time per iteration. CPU time (user+system of
// this process) is the figure to compare on a shared, loaded machine.
func report(n int, d time.Duration) {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	cpu := ru.Utime.Nano() + ru.Stime.Nano()
	fmt.Printf("%d iterations: wall %.1f ns/iteration, cpu %.1f ns/iteration\n", n, float64(d.Nanoseconds())/float64(n), float64(cpu)/float64(n))
}
