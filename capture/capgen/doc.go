// Package capgen generates synthetic, deterministic captures for tests,
// benchmarks and the demo: a /proc-like header and a realistic mix of
// process activity (clone, execve, openat, read, write, socket, connect,
// close, process exit) encoded with retrace's event profile (the event codes
// of scap.Profile), so that sysdig 0.29.3 reads the result. The same seed
// always gives the same bytes.
package capgen
