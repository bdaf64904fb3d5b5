package report

// TerminalSafe returns s with what a terminal would interpret (control
// characters, escape sequences, invalid bytes, bidirectional controls)
// written as Go-style escapes, as the table shows captured strings. Lines
// printed to a terminal from captured data go through it.
func TerminalSafe(s string) string { return cleanCell(s) }
