// Package suite reads, runs and checks retrace test suites: YAML files that
// name capture files, the rules and options to replay them with, and the
// detections each replay must produce (counts per rule, expected alerts with
// chosen output fields, rules that must not fire).
//
// The package knows nothing of how a capture is replayed: callers hand
// [Run] a [Runner] that turns a [Case] into detections (the retrace command
// uses the replay command's pipeline). It compares results with the
// expectations ([Compare]), renders readable diffs, JSON and JUnit reports,
// and rewrites a suite's expected parts from actual results ([Suite.Update]),
// keeping the file's comments and key order. docs/TESTING.md describes the
// format.
package suite
