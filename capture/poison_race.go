//go:build race

package capture

// poisonReleased: race-detector builds (every package's tests in CI) poison
// the buffers of closed readers.
const poisonReleased = true
