// Package enginetest provides in-memory implementations of the engine's
// interfaces for tests: an [Event] whose field values are given up front, a
// [Registry] of common Falco fields extracting from such events, and a small
// [EventTypes] table.
package enginetest
