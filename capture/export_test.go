package capture

// For the external tests.
const (
	PoisonReleased = poisonReleased
	PoisonByte     = poisonByte
)
