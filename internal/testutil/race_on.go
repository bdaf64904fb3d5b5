//go:build race

package testutil

// RaceEnabled reports whether the tests run under the race detector, whose
// shadow memory makes peak memory figures meaningless.
const RaceEnabled = true
