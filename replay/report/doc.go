// Package report renders what a replay found: Falco's text alert lines,
// Falco-compatible JSON lines, a terminal timeline table, a self-contained
// HTML report and JUnit XML for `retrace test`.
//
// The package is a leaf: it imports nothing else from retrace, so the replay
// command, the test command and the engine can all fill its data model
// ([Report], [Detection], [Process], [Container]) without import cycles.
// Writers take an [Options] value; times print in UTC unless Options.TZ names
// another zone. [AppendText] and [AppendJSON] format one detection into a
// caller's buffer without allocating, for streaming output; the whole-report
// writers ([WriteText], [WriteJSON], [WriteTable], [WriteHTML]) and [Write]
// take a complete [Report].
//
// Every string that comes from a capture (command lines, file names, container
// names, rule output) is treated as hostile: text and JSON output escape it as
// Falco does, the table replaces control characters, and the HTML report
// escapes it through html/template and ships a strict Content-Security-Policy.
//
// Writers are safe for concurrent use on distinct destinations; they keep no
// state between calls.
package report
