//go:build !race

package capture

// poisonReleased: see poison_race.go.
const poisonReleased = false
