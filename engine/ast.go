package engine

import (
	"fmt"
	"strings"
)

// Node is a boolean expression of a parsed condition: *[AndExpr],
// *[OrExpr], *[NotExpr], *[CheckExpr] or *[MacroRef]. Nodes are plain data;
// after parsing they are only read, except MacroRef.Expansion, which
// [ExpandMacros] sets. Nodes and operands record byte offsets into their
// text; a line and column are computed only when an [Error] or a [Warning]
// reports one.
type Node interface {
	// Offset returns the byte offset in its text where the node starts.
	Offset() int
	// String returns the node as condition text that parses back to an
	// equivalent node.
	String() string
	node()
}

// Operand is a side of a check: *[FieldExpr], *[TransformExpr],
// *[LiteralExpr] or *[ListExpr].
type Operand interface {
	// Offset returns the byte offset in its text where the operand
	// starts.
	Offset() int
	// String returns the operand as condition text.
	String() string
	operand()
}

// AndExpr is `a and b and ...`.
type AndExpr struct {
	// At is the byte offset of the first term.
	At int
	// Terms are the operands, two or more.
	Terms []Node
}

// OrExpr is `a or b or ...`.
type OrExpr struct {
	// At is the byte offset of the first term.
	At int
	// Terms are the operands, two or more.
	Terms []Node
}

// NotExpr is `not x`.
type NotExpr struct {
	// At is the byte offset of the (first) not.
	At int
	// Term is the negated expression.
	Term Node
}

// MacroRef is a bare identifier in a condition: a reference to a macro.
// Expansion is nil until [ExpandMacros] replaces the reference by the
// macro's parsed (and itself expanded) condition; compiling an unexpanded
// reference is an error.
//
// Text is the macro's condition text, which offsets inside Expansion
// refer to; resolvers set it so that errors inside a macro get a line, a
// column and a snippet.
type MacroRef struct {
	// At is the byte offset of the identifier.
	At int
	// Name is the macro name.
	Name string
	// Expansion is the macro's condition once expanded, else nil.
	Expansion Node
	// Text is the macro's condition text, if the resolver set it.
	Text string
}

// CheckExpr is a comparison `Left Op Right`, or `Left exists` with a nil
// Right. Left is a *FieldExpr or a *TransformExpr; Right is a
// *LiteralExpr, a *ListExpr, or a *TransformExpr (val(...) or a
// transformer).
//
// Mod is the operator modifier of newer libsinsp (`startswith oneof (a,
// b)`), whose right-hand side is a list.
type CheckExpr struct {
	// At is the byte offset of the left operand.
	At int
	// Left is the field or transformer being checked.
	Left Operand
	// Op is the operator.
	Op Operator
	// Mod is the operator modifier, if any.
	Mod Modifier
	// OpAt is the byte offset of the operator.
	OpAt int
	// Right is the value, list, val() or transformer; nil for exists.
	Right Operand
}

// FieldExpr is a field reference with its optional bracketed argument:
// `proc.name`, `proc.aname[2]`, `evt.arg.flags` (a dotted argument is part
// of Name until the field is resolved against a registry).
type FieldExpr struct {
	// At is the byte offset of the field name.
	At int
	// Name is the field name as written, without a bracketed argument.
	Name string
	// HasArg is true when a bracketed argument was written.
	HasArg bool
	// Arg is the bracketed argument, unquoted.
	Arg string
}

// TransformExpr is a transformer applied to operands: `tolower(proc.name)`,
// or `val(proc.pname)` on the right-hand side of a check.
type TransformExpr struct {
	// At is the byte offset of the transformer name.
	At int
	// Name is the transformer name ("val", "tolower", ...).
	Name string
	// Args are the transformer's operands.
	Args []Operand
}

// LiteralExpr is a constant: a bare word, a number, or a quoted string
// (Text holds the unescaped content).
type LiteralExpr struct {
	// At is the byte offset of the literal (of its opening quote if quoted).
	At int
	// Text is the value, unescaped.
	Text string
	// Quoted is true when the value was written in quotes.
	Quoted bool
}

// ListExpr is a parenthesised list of constants: `(a, "b c", 3)`.
type ListExpr struct {
	// At is the byte offset of the opening parenthesis.
	At int
	// Items are the list elements.
	Items []*LiteralExpr
}

// Offset returns the byte offset where the AndExpr starts.
func (n *AndExpr) Offset() int { return n.At }

// Offset returns the byte offset where the OrExpr starts.
func (n *OrExpr) Offset() int { return n.At }

// Offset returns the byte offset where the NotExpr starts.
func (n *NotExpr) Offset() int { return n.At }

// Offset returns the byte offset where the MacroRef starts.
func (n *MacroRef) Offset() int { return n.At }

// Offset returns the byte offset where the CheckExpr starts.
func (n *CheckExpr) Offset() int { return n.At }

// Offset returns the byte offset where the FieldExpr starts.
func (n *FieldExpr) Offset() int { return n.At }

// Offset returns the byte offset where the TransformExpr starts.
func (n *TransformExpr) Offset() int { return n.At }

// Offset returns the byte offset where the LiteralExpr starts.
func (n *LiteralExpr) Offset() int { return n.At }

// Offset returns the byte offset where the ListExpr starts.
func (n *ListExpr) Offset() int { return n.At }

func (*AndExpr) node()   {}
func (*OrExpr) node()    {}
func (*NotExpr) node()   {}
func (*MacroRef) node()  {}
func (*CheckExpr) node() {}

func (*FieldExpr) operand()     {}
func (*TransformExpr) operand() {}
func (*LiteralExpr) operand()   {}
func (*ListExpr) operand()      {}

// String returns "(a and b)".
func (n *AndExpr) String() string { return joinNodes(n.Terms, boolOperators[precAnd].name) }

// String returns "(a or b)".
func (n *OrExpr) String() string { return joinNodes(n.Terms, boolOperators[precOr].name) }

// String returns "not a".
func (n *NotExpr) String() string { return boolOperators[precNot].name + " " + n.Term.String() }

// String returns the macro name.
func (n *MacroRef) String() string { return n.Name }

// String returns "left op right".
func (n *CheckExpr) String() string {
	if n.Right == nil {
		return n.Left.String() + " " + n.Op.String()
	}
	if n.Mod != ModNone {
		return n.Left.String() + " " + n.Op.String() + " " + n.Mod.String() + " " + n.Right.String()
	}
	return n.Left.String() + " " + n.Op.String() + " " + n.Right.String()
}

// String returns "name" or "name[arg]".
func (n *FieldExpr) String() string {
	if !n.HasArg {
		return n.Name
	}
	return n.Name + "[" + quoteIfNeeded(n.Arg, true) + "]"
}

// String returns "name(arg, ...)".
func (n *TransformExpr) String() string {
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		parts[i] = a.String()
	}
	return n.Name + "(" + strings.Join(parts, ", ") + ")"
}

// String returns the literal, quoted when needed.
func (n *LiteralExpr) String() string { return quoteIfNeeded(n.Text, false) }

// String returns "(a, b)".
func (n *ListExpr) String() string {
	parts := make([]string, len(n.Items))
	for i, it := range n.Items {
		parts[i] = it.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// joinNodes returns the nodes joined by the keyword op, in parentheses.
func joinNodes(ns []Node, op string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = n.String()
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")"
}

// quoteIfNeeded returns s as a bare word when it lexes back as one, else
// as a double-quoted string.
func quoteIfNeeded(s string, fieldArg bool) string {
	bare := s != ""
	for i := 0; i < len(s) && bare; i++ {
		c := s[i]
		if isSpace(c) || c == '"' || c == '\'' || c == '\\' || c < 0x20 || c >= 0x7f {
			bare = false
		} else if fieldArg && (c == '[' || c == ']') {
			bare = false
		} else if !fieldArg && (c == '(' || c == ')' || c == '=' || c == ',') {
			bare = false
		}
	}
	if bare {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			// A backslash is written \x5c, not \\: the lexer does not end a
			// string at a quote preceded by a backslash, even an escaped one.
			b.WriteString(`\x5c`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Walk calls fn for n and, while fn returns true, for its descendants in
// depth-first order. It descends into macro expansions; since expansions are
// shared, a macro used k times is visited k times (return false at a
// *MacroRef to avoid that).
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	switch n := n.(type) {
	case *AndExpr:
		for _, t := range n.Terms {
			Walk(t, fn)
		}
	case *OrExpr:
		for _, t := range n.Terms {
			Walk(t, fn)
		}
	case *NotExpr:
		Walk(n.Term, fn)
	case *MacroRef:
		Walk(n.Expansion, fn)
	}
}

// MacroRefs returns the macro references in n that are not expanded yet,
// in text order. It does not look inside expansions.
func MacroRefs(n Node) []*MacroRef {
	var refs []*MacroRef
	Walk(n, func(n Node) bool {
		if m, ok := n.(*MacroRef); ok {
			if m.Expansion == nil {
				refs = append(refs, m)
			}
			return false
		}
		return true
	})
	return refs
}

// ExpandMacros sets the Expansion of every unexpanded macro reference in n
// to what resolve returns for it. resolve returns an error for an undefined
// macro; ExpandMacros stops at the first error and returns it. Expansions
// are shared, not copied: resolve usually returns the macro's own,
// already expanded, tree.
func ExpandMacros(n Node, resolve func(ref *MacroRef) (Node, error)) error {
	var err error
	Walk(n, func(n Node) bool {
		if err != nil {
			return false
		}
		m, ok := n.(*MacroRef)
		if !ok {
			return true
		}
		if m.Expansion != nil {
			return false
		}
		var x Node
		if x, err = resolve(m); err == nil {
			if x == nil {
				err = fmt.Errorf("expand macro %s: resolver returned no condition", m.Name)
			}
			m.Expansion = x
		}
		return false
	})
	return err
}

// CheckListNames returns an *[Error] of kind KindUndefinedList for the
// first check in root whose list operator (`in`, `intersects`, `pmatch`)
// or operator modifier is followed by a bare name instead of a
// parenthesised list, or nil. Package rules substitutes every defined list
// into a condition before parsing it, so a name left in that place is a
// list that does not exist (libsinsp would compare with the name as a
// single value). Only root's own text is checked: expanded macros were
// checked when they were parsed.
func CheckListNames(root Node, text string) error {
	var err error
	Walk(root, func(n Node) bool {
		switch n := n.(type) {
		case *MacroRef:
			return false
		case *CheckExpr:
			lit, ok := n.Right.(*LiteralExpr)
			if err == nil && ok && !lit.Quoted && (n.Op.IsListOperator() || n.Mod != ModNone) {
				err = NewError(KindUndefinedList, text, lit.At, "undefined list '"+lit.Text+"' used in filter")
			}
		}
		return err == nil
	})
	return err
}
