package engine

import (
	"fmt"
	"strings"
)

// Pos is a position in a condition or output text.
type Pos struct {
	// Offset is the byte offset from the start of the text, from 0.
	Offset int
	// Line is the line number, from 1.
	Line int
	// Col is the column in bytes, from 1.
	Col int
}

// String returns "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// ErrorKind classifies an [Error] so callers can react to it (Falco's
// skip-if-unknown-filter drops rules with unknown fields or event types).
type ErrorKind uint8

// Error kinds.
const (
	// KindSyntax: the text does not follow the grammar.
	KindSyntax ErrorKind = iota + 1
	// KindUnknownField: a field name the registry does not know.
	KindUnknownField
	// KindBadArgument: a field argument that does not fit the field.
	KindBadArgument
	// KindUnknownEventType: an evt.type value that names no event.
	KindUnknownEventType
	// KindUndefinedMacro: an identifier that names no macro.
	KindUndefinedMacro
	// KindType: an operator or value that does not fit the field's type.
	KindType
	// KindLimit: the text exceeds the depth or node budget.
	KindLimit
	// KindTransformer: an unknown or misapplied transformer.
	KindTransformer
	// KindUnknownOperator: a field check without a valid comparison
	// operator after the field.
	KindUnknownOperator
	// KindMacroLoop: a macro that refers to itself, directly or through
	// other macros.
	KindMacroLoop
	// KindUndefinedList: a list operator or operator modifier followed by
	// the name of a list that does not exist.
	KindUndefinedList
)

var errorKindNames = [...]string{
	KindSyntax:           "syntax error",
	KindUnknownField:     "unknown field",
	KindBadArgument:      "bad field argument",
	KindUnknownEventType: "unknown event type",
	KindUndefinedMacro:   "undefined macro",
	KindType:             "type error",
	KindLimit:            "limit exceeded",
	KindTransformer:      "bad transformer",
	KindUnknownOperator:  "unknown operator",
	KindMacroLoop:        "macro loop",
	KindUndefinedList:    "undefined list",
}

// String returns a short description of the kind, e.g. "unknown field".
func (k ErrorKind) String() string {
	if int(k) < len(errorKindNames) && errorKindNames[k] != "" {
		return errorKindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", uint8(k))
}

// Error is a diagnostic about a condition or output text, at a position in
// that text. Package rules maps Pos to a file position.
type Error struct {
	// Kind classifies the error.
	Kind ErrorKind
	// Pos is where in the text the problem is.
	Pos Pos
	// Msg describes the problem, lower case, without position.
	Msg string
	// Text is the whole text the position refers to.
	Text string
	// Macro is the name of the macro whose condition text Pos refers to,
	// when the error lies inside an expanded macro ("" otherwise).
	Macro string
	// Err is the underlying error, if any.
	Err error
}

// Error returns "line:col: msg".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Snippet returns the line of Text holding the error and a caret line under
// the error column, e.g.
//
//	proc.name = cat and and
//	                    ^
func (e *Error) Snippet() string { return caretSnippet(e.Text, e.Pos) }

// NewError returns an *Error of the given kind at byte offset off of text,
// with its line and column.
func NewError(kind ErrorKind, text string, off int, msg string) *Error {
	return &Error{Kind: kind, Pos: posAt(text, off), Text: text, Msg: msg}
}

// NewUndefinedMacroError returns the error for ref, a reference in text to
// a macro that does not exist (or is not visible from text).
func NewUndefinedMacroError(ref *MacroRef, text string) *Error {
	return NewError(KindUndefinedMacro, text, ref.At, "undefined macro '"+ref.Name+"' used in filter")
}

// NewMacroLoopError returns the error for ref, a reference in text to a
// macro whose expansion is in progress: the macros refer to each other in
// a loop.
func NewMacroLoopError(ref *MacroRef, text string) *Error {
	return NewError(KindMacroLoop, text, ref.At, "reference loop in macro '"+ref.Name+"'")
}

// caretSnippet returns the line of text at p followed by a caret under p.
func caretSnippet(text string, p Pos) string {
	off := min(max(p.Offset, 0), len(text))
	start := strings.LastIndexByte(text[:off], '\n') + 1
	end := strings.IndexByte(text[off:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += off
	}
	line := text[start:end]
	var b strings.Builder
	b.WriteString(line)
	b.WriteByte('\n')
	for i := start; i < off; i++ {
		if text[i] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// posAt computes the line and column of byte offset off in text, which
// costs a scan of the text up to off: it is called only for an error or a
// warning being reported. An offset outside the text (whose text a caller
// did not record) is kept, with the line and column of the nearest end.
func posAt(text string, off int) Pos {
	end := min(max(off, 0), len(text))
	line := 1 + strings.Count(text[:end], "\n")
	col := end - (strings.LastIndexByte(text[:end], '\n') + 1) + 1
	return Pos{Offset: off, Line: line, Col: col}
}

// Warning is a non-fatal diagnostic about a condition (Falco's warnings are
// kept apart from errors).
type Warning struct {
	// Kind classifies the warning.
	Kind WarningKind
	// Pos is where in the text the warning applies (the start when it
	// applies to the whole condition).
	Pos Pos
	// Msg describes the warning.
	Msg string
	// Text is the whole text the position refers to.
	Text string
	// Macro is the name of the macro whose condition text Pos refers to,
	// when the warning lies inside an expanded macro ("" otherwise).
	Macro string
}

// String returns "line:col: msg".
func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }

// WarningKind classifies a [Warning].
type WarningKind uint8

// Warning kinds.
const (
	// WarnNoEventType: the condition has no evt.type restriction and runs on
	// every event.
	WarnNoEventType WarningKind = iota + 1
	// WarnTooManyEventTypes: the condition matches more than 100 event types.
	WarnTooManyEventTypes
	// WarnNoEvents: the condition can match no event type, so it never runs.
	WarnNoEvents
	// WarnDeprecatedField: the condition uses a deprecated field.
	WarnDeprecatedField
)
