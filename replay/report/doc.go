// Package report renders what a replay found: Falco's text alert lines,
// Falco-compatible JSON lines, a terminal timeline table, a self-contained
// HTML report, and JUnit XML for `retrace test`.
//
// The package is a leaf: it imports nothing else from retrace, so the replay
// and timeline commands, the test command and the engine can all fill its
// data model without import cycles. A [Report] holds [Detection]s (rule
// alerts, or the findings of a timeline view such as "shells") and, for the
// "tree" view, a process tree of [ProcessNode]s with their [Activity].
//
// Writers take an [Options] value; times print in UTC unless Options.TZ names
// another zone. [AppendText] and [AppendJSON] format one detection into a
// caller's buffer without allocating, for streaming output; the whole-report
// writers ([WriteText], [WriteJSON], [WriteTable], [WriteHTML]) and [Write]
// take a complete [Report]. [WriteJUnit] writes [JUnitSuite]s.
//
// Every string that comes from a capture (command lines, file names,
// container names, rule output) is treated as hostile: text and JSON output
// escape it as Falco does; the table and the HTML page show control
// characters, invalid bytes and bidirectional overrides as visible escapes;
// the HTML page escapes everything through html/template, inserts data as
// text only, and ships a strict Content-Security-Policy
// ([ContentSecurityPolicy]).
//
// Writers keep no state between calls and are safe for concurrent use on
// distinct destinations.
package report
