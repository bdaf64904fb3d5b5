package rules

import (
	"fmt"
	"strings"
)

// Code classifies a diagnostic. Callers and tests inspect the code rather
// than the message text.
type Code string

// Error codes: a rule set with any of these does not load.
const (
	CodeReadFile         Code = "read-file"          // the file or directory cannot be read
	CodeYAMLParse        Code = "yaml-parse"         // the file is not well-formed YAML
	CodeNotYAML          Code = "not-yaml"           // a document is a scalar, not rules content
	CodeNotSequence      Code = "not-sequence"       // a document is not a sequence of items
	CodeItemNotMap       Code = "item-not-map"       // a sequence element is not a mapping
	CodeMissingKey       Code = "missing-key"        // a required property is absent
	CodeEmptyValue       Code = "empty-value"        // a property (e.g. an item name) is empty
	CodeBadValue         Code = "bad-value"          // a property has the wrong shape or type
	CodeEngineVersion    Code = "engine-version"     // the file needs a newer engine
	CodePluginVersion    Code = "plugin-version"     // a plugin requirement is malformed or unmet
	CodeNoPrevious       Code = "no-previous"        // append/override of an item never defined
	CodeAppendEmpty      Code = "append-empty"       // an append/override that changes nothing
	CodeOverride         Code = "override"           // misuse of override (bad key, bad operation, append together)
	CodeSourceMismatch   Code = "source-mismatch"    // a rule redefined with another source
	CodeException        Code = "exception"          // a malformed rule exception
	CodeConditionSyntax  Code = "condition-syntax"   // a condition does not parse
	CodeUndefinedMacro   Code = "undefined-macro"    // a condition names an unknown (or not yet visible) macro
	CodeUndefinedList    Code = "undefined-list"     // a list operator names a list that does not exist
	CodeMacroLoop        Code = "macro-loop"         // macros reference each other in a cycle
	CodeUnknownField     Code = "unknown-field"      // a condition or exception names an unknown field
	CodeUnknownOperator  Code = "unknown-operator"   // an unknown comparison operator
	CodeBadArgument      Code = "bad-argument"       // a field argument that does not fit the field
	CodeLimit            Code = "limit"              // a condition deeper or larger than the parser allows
	CodeTypeMismatch     Code = "type-mismatch"      // an operator or value does not suit the field's type
	CodeBadTransformer   Code = "bad-transformer"    // a transformer unknown or applied to the wrong type
	CodeCompile          Code = "compile"            // another condition compilation error
	CodeOutput           Code = "output"             // the output format does not compile
	CodeInvalidPriority  Code = "invalid-priority"   // an unknown priority name
	CodeUnknownEventType Code = "unknown-event-type" // evt.type compared with a name no event has
)

// Warning codes: reported, but the rule set loads.
const (
	WarnUnknownKey        Code = "unknown-key"        // a key Falco does not know inside an item
	WarnUnknownItem       Code = "unknown-item"       // a top-level item of unknown kind
	WarnUnknownSource     Code = "unknown-source"     // a rule for a source retrace does not evaluate; skipped
	WarnDeprecated        Code = "deprecated"         // append: true, enabled-only toggles, %container.info
	WarnUnusedList        Code = "unused-list"        // a list no macro or rule refers to
	WarnUnusedMacro       Code = "unused-macro"       // a macro no macro or rule refers to
	WarnNoEventType       Code = "no-evttype"         // a rule with no evt.type restriction
	WarnTooManyEventTypes Code = "too-many-evttypes"  // a rule matching more than 100 event types
	WarnUnknownFilter     Code = "unknown-filter"     // a rule skipped by skip-if-unknown-filter
	WarnInvalidName       Code = "invalid-name"       // a list or macro name that conditions cannot use
	WarnExceptionName     Code = "exception-name"     // two exceptions of one rule share a name
	WarnAppendNoValues    Code = "append-no-values"   // an appended exception without values
	WarnDuplicateKey      Code = "duplicate-key"      // a key given twice in one item; the first wins
	WarnCondition         Code = "condition"          // a warning from the condition compiler
	WarnPlugin            Code = "plugin-requirement" // a plugin requirement retrace cannot satisfy
	WarnEmptyEventTypes   Code = "empty-evttypes"     // a rule that can never match any event
)

// Severity says whether a diagnostic fails the load.
type Severity int

// Severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// ItemKind names the kind of a top-level rules-file item.
type ItemKind string

// Item kinds.
const (
	KindFile                   ItemKind = "file"
	KindItem                   ItemKind = "item"
	KindList                   ItemKind = "list"
	KindMacro                  ItemKind = "macro"
	KindRule                   ItemKind = "rule"
	KindRequiredEngineVersion  ItemKind = "required_engine_version"
	KindRequiredPluginVersions ItemKind = "required_plugin_versions"
)

// Position is a place in a rules file. Line and Col are 1-based; Col counts
// bytes. A zero Line means the position is the file as a whole.
type Position struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", or less when the line or column is unknown.
func (p Position) String() string {
	switch {
	case p.Line <= 0:
		return p.File
	case p.Col <= 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Diagnostic is one error or warning found while loading rules.
type Diagnostic struct {
	Severity Severity
	Code     Code
	Pos      Position
	Kind     ItemKind // the item the diagnostic is about
	Name     string   // the item's name, empty when it has none
	Message  string
	// Snippet is the source line at Pos followed by a caret line, ready to
	// print; empty when the position has no line.
	Snippet string
}

// Item describes the item, e.g. `rule "Terminal shell in container"`.
func (d *Diagnostic) Item() string {
	if d.Name == "" {
		return string(d.Kind)
	}
	return fmt.Sprintf("%s %q", d.Kind, d.Name)
}

// String formats the diagnostic on one line: position, severity, item and cause.
func (d *Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", d.Pos, d.Severity, d.Item(), d.Message)
}

// Detail formats the diagnostic with its caret snippet.
func (d *Diagnostic) Detail() string {
	if d.Snippet == "" {
		return d.String()
	}
	return d.String() + "\n" + d.Snippet
}

// Error is a diagnostic that fails the load. Err, when set, is the
// underlying error (for instance the engine's compile error).
type Error struct {
	Diagnostic
	Err error
}

// Error returns the diagnostic on one line.
func (e *Error) Error() string { return e.Diagnostic.String() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// LoadError is returned by [Load] when one or more errors were found. The
// partial result (with warnings) is still returned alongside it.
type LoadError struct {
	Errors []*Error
}

// Error names the first error and how many more there are.
func (e *LoadError) Error() string {
	switch len(e.Errors) {
	case 0:
		return "load rules: no errors"
	case 1:
		return "load rules: " + e.Errors[0].Error()
	}
	return fmt.Sprintf("load rules: %s (and %d more errors)", e.Errors[0].Error(), len(e.Errors)-1)
}

// Unwrap returns the individual errors, so errors.As finds a *Error.
func (e *LoadError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, x := range e.Errors {
		out[i] = x
	}
	return out
}

// snippet renders line (1-based) of f with a caret under col.
func snippet(f *sourceFile, line, col int) string {
	if f == nil || line <= 0 || line > len(f.lineStarts) {
		return ""
	}
	text := strings.TrimRight(string(f.lineText(line)), "\r")
	const maxWidth = 200
	if col < 1 {
		col = 1
	}
	if col > len(text)+1 {
		col = len(text) + 1
	}
	// Keep long lines readable: show a window around the caret.
	prefix := ""
	if len(text) > maxWidth {
		from := max(0, col-1-maxWidth/2)
		to := min(len(text), from+maxWidth)
		if from > 0 {
			prefix = "..."
		}
		text = text[from:to]
		col -= from
	}
	gutter := fmt.Sprintf("%5d | ", line)
	var caret strings.Builder
	caret.WriteString(strings.Repeat(" ", len(gutter)-2))
	caret.WriteString("| ")
	caret.WriteString(strings.Repeat(" ", len(prefix)))
	for _, r := range text[:min(col-1, len(text))] {
		if r == '\t' {
			caret.WriteByte('\t')
		} else {
			caret.WriteByte(' ')
		}
	}
	caret.WriteByte('^')
	return gutter + prefix + text + "\n" + caret.String()
}
