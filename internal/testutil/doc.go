// Package testutil holds helpers shared by retrace's tests: locating the
// repository and the ../shared reference data, running sysdig on a capture
// to compare with its output, reading and rewriting (-update) golden files,
// and skipping clearly when a test's requirement (root, a tool, the
// reference data) is missing.
package testutil
