// Package scap holds the scap event table and a zero-copy view of scap
// events.
//
// The table (Lookup, NumTypes, the Type constants) covers every event code of
// falcosecurity/libs at commit 48dfd53, generated from the text files under
// internal/gen by `go generate`. Event decodes one event record in place
// (version 1 or version 2 header) without allocating; its typed accessors
// read parameter values, FormatParam renders them as sysdig prints
// %evt.args, and AppendEvent encodes events for writers. Profile lists the
// event codes retrace's recorder writes per syscall (docs/FORMAT.md, "Event
// profile").
package scap

//go:generate go run ./internal/gen -dir internal/gen -out table_gen.go
