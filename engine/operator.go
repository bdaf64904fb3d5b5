package engine

import (
	"strconv"
	"strings"
)

// The operator tables below are the one description of the condition
// language's operators: the lexer tries their spellings in table order, the
// parser takes precedence and operand kinds from them, the printer writes
// their names, and the error messages that list operators are built from
// them.

// Precedence levels of the boolean operators, lowest first. Check
// operators bind tighter than all of them.
const (
	precOr = iota
	precAnd
	precNot
	numBoolPrecs
)

// boolOperator is a boolean operator of the condition grammar.
type boolOperator struct {
	// name is the keyword.
	name string
	// build makes the node of an n-ary operator from its terms (two or
	// more); nil for the unary not.
	build func(at int, terms []Node) Node
}

// boolOperators are the boolean operators indexed by precedence. or and and
// are n-ary; repeated nots toggle.
var boolOperators = [numBoolPrecs]boolOperator{
	precOr:  {name: "or", build: func(at int, terms []Node) Node { return &OrExpr{At: at, Terms: terms} }},
	precAnd: {name: "and", build: func(at int, terms []Node) Node { return &AndExpr{At: at, Terms: terms} }},
	precNot: {name: "not"},
}

// binaryOperatorList is "'or', 'and'": the operators that may follow a
// complete operand, as the parser's error lists them.
var binaryOperatorList = func() string {
	var names []string
	for _, b := range boolOperators {
		if b.build != nil {
			names = append(names, b.name)
		}
	}
	return quotedList(names)
}()

// Operator is a check operator.
type Operator uint8

// Check operators.
const (
	OpInvalid     Operator = iota // no operator
	OpEq                          // = and ==
	OpNe                          // !=
	OpLt                          // <
	OpLe                          // <=
	OpGt                          // >
	OpGe                          // >=
	OpContains                    // substring
	OpIContains                   // substring, ASCII case-insensitive
	OpBContains                   // byte substring, written in hex
	OpStartsWith                  // prefix
	OpBStartsWith                 // byte prefix, written in hex
	OpEndsWith                    // suffix
	OpGlob                        // fnmatch without flags
	OpIGlob                       // fnmatch, case-insensitive
	OpRegex                       // RE2 regular expression, whole value
	OpIn                          // equal to a list element
	OpIntersects                  // shares an element with the list
	OpPMatch                      // path equal to or below a listed directory
	OpExists                      // the field has a value
	numOperators
)

// operandKind is what a check operator takes on its right-hand side.
type operandKind uint8

const (
	// operandNone: nothing (exists).
	operandNone operandKind = iota
	// operandNumber: a number, val(field) or a transformer.
	operandNumber
	// operandString: a string, val(field) or a transformer; or an operator
	// modifier and a list.
	operandString
	// operandList: a list, a list name, val(field) or a transformer.
	operandList
)

// checkOperator is one spelling of a check operator.
type checkOperator struct {
	// text is the spelling.
	text string
	// op is the operator spelled.
	op Operator
	// operand is what the operator takes on its right-hand side.
	operand operandKind
	// word: the spelling is lexed only when a blank follows it, and the
	// blanks are consumed with it. Other spellings are lexed as a prefix.
	word bool
	// alias: a second spelling; the operator's name is the other one.
	alias bool
}

// checkOperators are the spellings of the check operators in the order the
// lexer tries them (a spelling before the spellings that are its
// prefixes), which is also the order in which a missing operator's error
// lists them.
var checkOperators = [...]checkOperator{
	{text: "exists", op: OpExists, operand: operandNone},
	{text: "<=", op: OpLe, operand: operandNumber},
	{text: "<", op: OpLt, operand: operandNumber},
	{text: ">=", op: OpGe, operand: operandNumber},
	{text: ">", op: OpGt, operand: operandNumber},
	{text: "==", op: OpEq, operand: operandString, alias: true},
	{text: "=", op: OpEq, operand: operandString},
	{text: "!=", op: OpNe, operand: operandString},
	{text: "glob", op: OpGlob, operand: operandString, word: true},
	{text: "iglob", op: OpIGlob, operand: operandString, word: true},
	{text: "contains", op: OpContains, operand: operandString, word: true},
	{text: "icontains", op: OpIContains, operand: operandString, word: true},
	{text: "bcontains", op: OpBContains, operand: operandString, word: true},
	{text: "startswith", op: OpStartsWith, operand: operandString, word: true},
	{text: "bstartswith", op: OpBStartsWith, operand: operandString, word: true},
	{text: "endswith", op: OpEndsWith, operand: operandString, word: true},
	{text: "regex", op: OpRegex, operand: operandString, word: true},
	{text: "intersects", op: OpIntersects, operand: operandList},
	{text: "in", op: OpIn, operand: operandList},
	{text: "pmatch", op: OpPMatch, operand: operandList},
}

// operatorInfo is, per operator, its name and operand kind, from
// checkOperators.
var operatorInfo = func() (info [numOperators]struct {
	name    string
	operand operandKind
}) {
	info[OpInvalid].name = "invalid"
	for _, s := range checkOperators {
		if !s.alias {
			info[s.op].name = s.text
			info[s.op].operand = s.operand
		}
	}
	return info
}()

// checkOperatorList is the "one of ..." part of a missing operator's error.
var checkOperatorList = func() string {
	names := make([]string, len(checkOperators))
	for i, s := range checkOperators {
		names[i] = s.text
	}
	return quotedList(names)
}()

// String returns the operator as written in conditions ("=" for OpEq).
func (o Operator) String() string {
	if o < numOperators {
		return operatorInfo[o].name
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// ParseOperator returns the operator written as s ("==" and "=" are OpEq),
// after trimming blanks, as exception comps are written.
func ParseOperator(s string) (Operator, bool) {
	s = strings.TrimSpace(s)
	for _, c := range checkOperators {
		if c.text == s {
			return c.op, true
		}
	}
	return OpInvalid, false
}

// IsListOperator reports whether o takes a list on its right side (in,
// intersects, pmatch).
func (o Operator) IsListOperator() bool {
	return o < numOperators && operatorInfo[o].operand == operandList
}

// TakesModifier reports whether o, a string operator, may be followed by
// an operator modifier and a list (`startswith oneof (a, b)`).
func (o Operator) TakesModifier() bool {
	return o < numOperators && operatorInfo[o].operand == operandString
}

// Modifier is a string operator modifier: the check applies the operator
// to each element of a list and requires exactly one (oneof), at least one
// (anyof) or every (allof) element to match.
type Modifier uint8

// Operator modifiers.
const (
	ModNone  Modifier = iota // no modifier
	ModOneOf                 // exactly one element matches
	ModAnyOf                 // at least one element matches
	ModAllOf                 // every element matches
	numModifiers
)

// modifierNames are the modifiers' keywords, in the order the lexer tries
// them.
var modifierNames = [numModifiers]string{ModOneOf: "oneof", ModAnyOf: "anyof", ModAllOf: "allof"}

// String returns "oneof", "anyof", "allof" or "".
func (m Modifier) String() string {
	if m < numModifiers {
		return modifierNames[m]
	}
	return ""
}

// ParseModifier returns the modifier written as s ("oneof", "anyof",
// "allof").
func ParseModifier(s string) (Modifier, bool) {
	for m := ModNone + 1; m < numModifiers; m++ {
		if modifierNames[m] == s {
			return m, true
		}
	}
	return ModNone, false
}

// quotedList returns the names quoted and comma-separated: "'a', 'b'".
func quotedList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + n + "'")
	}
	return b.String()
}
