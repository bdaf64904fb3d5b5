// Package engine implements Falco's rule condition language for retrace:
// the lexer and parser (see [Parse]), the type checker and compiler to
// closures (see [Compile]), event-type inference, the [Ruleset] that
// dispatches each event only to the rules indexed under its event type,
// and output formatting (see [CompileFormat]).
//
// The engine knows fields only through the [Registry] interface and events
// only through the [Event] interface, so it depends on neither the capture
// reader nor the replay state. Event types come from an [EventTypes] table.
//
// Compiled conditions, formats and rulesets keep per-instance scratch
// buffers so that evaluation does not allocate; they are not safe for
// concurrent use. Give each goroutine its own copy with [Ruleset.Clone].
package engine
