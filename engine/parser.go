package engine

// The condition grammar, as libsinsp's filter parser accepts it. The lexer
// is scannerless: which token is expected depends on the position in the
// grammar, so `<` is an operator after a field and a bare string after `=`.
//
//	Expr        = OrExpr .
//	OrExpr      = AndExpr { "or" ( Blank AndExpr | "(" Embedded ) } .
//	AndExpr     = NotExpr { "and" ( Blank NotExpr | "(" Embedded ) } .
//	NotExpr     = { "not" Space } ( "not(" Embedded | Check ) .
//	Embedded    = Expr ")" .
//	Check       = "(" Embedded
//	            | FieldRef Condition
//	            | Transformer Condition
//	            | Identifier .                       (* a macro reference *)
//	Condition   = "exists"
//	            | NumOp ( Transformer | Val | Number | HexNumber )
//	            | StrOp ( Transformer | Val | QuotedStr | BareStr )
//	            | StrOp Modifier Blank ( List | Identifier )
//	            | ListOp ( List | Transformer | Val | Identifier ) .
//	NumOp       = "<=" | "<" | ">=" | ">" .
//	StrOp       = "==" | "=" | "!=" | WordOp Blank .
//	WordOp      = "glob" | "iglob" | "contains" | "icontains" | "bcontains"
//	            | "startswith" | "bstartswith" | "endswith" | "regex" .
//	ListOp      = "intersects" | "in" | "pmatch" .
//	Modifier    = "oneof" | "anyof" | "allof" .   (* not before and/or/not *)
//	List        = "(" [ Item { "," Item } ] ")" .
//	Item        = QuotedStr | BareStr .
//	Val         = "val(" FieldRef ")" .
//	Transformer = TransformerName "(" TransformerArg { "," TransformerArg } ")" .
//	TransformerName = "tolower" | "toupper" | "b64" | "basename" | "len"
//	            | "join" | "concat" | "getopt" .
//	TransformerArg = Transformer | FieldRef | QuotedStr | Number | HexNumber .
//	FieldRef    = FieldName [ "[" ( QuotedStr | FieldArgBare ) "]" ] .
//
// Tokens (blanks between tokens are optional unless stated):
//
//	FieldName    = Identifier "." Identifier { "." Identifier } .
//	Identifier   = letter { letter | digit | "_" } .
//	FieldArgBare = 1*( any byte except "[" "]" `"` "'" and white space ) .
//	Number       = [ "+" | "-" ] digits [ "." ] { digit } [ ("e"|"E") ("+"|"-") digits ] .
//	HexNumber    = "0" ("x"|"X") hexdigits .
//	BareStr      = 1*( any byte except "(" ")" `"` "'" "=" "," and white space ) .
//	QuotedStr    = `"` { char | Escape } `"` | "'" { char | Escape } "'" .
//	Escape       = `\` ( "b" | "f" | "n" | "r" | "t" | `\` | "/" | " " | `"` | "'" | "x" hex hex ) .
//	Blank        = 1*( " " | "\t" | "\b" | "\r" | "\n" ) .
//	Space        = 1*( " " | "\t" | "\n" | "\v" | "\f" | "\r" ) .
//
// Precedence, lowest first: or, and, not, checks and parentheses. and/or
// are n-ary; repeated nots toggle.
//
// The grammar above restates the operator tables of operator.go (keywords,
// precedence, the check operators in the order the lexer tries them and
// what each takes on its right-hand side) and the transformer table of
// transform.go; the parser, the printer and the error messages read the
// tables.

import (
	"strconv"
	"strings"
)

// Default parser budgets.
const (
	// DefaultMaxDepth is the recursion budget Falco uses for rule
	// conditions (counted like libsinsp counts it: several levels per
	// parenthesis).
	DefaultMaxDepth = 1000
	// DefaultMaxNodes bounds the number of nodes (expressions and
	// operands) one text may produce. The elements of a list do not count:
	// they cost memory in proportion to the text, not nesting.
	DefaultMaxNodes = 200000
)

// ParseOptions tune [Parse].
type ParseOptions struct {
	// MaxDepth is the recursion budget; 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxNodes is the node budget; 0 means DefaultMaxNodes.
	MaxNodes int
}

// Parse parses a condition. Identifiers are returned as unexpanded
// [MacroRef]s; lists must already be substituted into the text. Errors are
// *[Error] with Kind KindSyntax or KindLimit.
func Parse(text string, opts ParseOptions) (Node, error) {
	p := newParser(text, opts)
	return runParse(p, func() Node {
		if len(text) == 0 {
			p.fail(0, "filter input string is empty")
		}
		n := p.parseBool(precOr)
		if p.i != len(p.s) {
			p.fail(p.i, "unexpected token after '"+p.last+"', expecting "+binaryOperatorList)
		}
		return n
	})
}

type parser struct {
	s        string
	i        int
	last     string
	depth    int
	maxDepth int
	nodes    int
	maxNodes int
	literals []LiteralExpr // slab that literal allocates from
}

// parseFailure is the panic value that carries a parse error to runParse.
type parseFailure struct{ err *Error }

func newParser(text string, opts ParseOptions) *parser {
	p := &parser{s: text, maxDepth: opts.MaxDepth, maxNodes: opts.MaxNodes}
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	if p.maxNodes <= 0 {
		p.maxNodes = DefaultMaxNodes
	}
	return p
}

func runParse[T any](p *parser, f func() T) (res T, err error) {
	defer func() {
		if r := recover(); r != nil {
			pf, ok := r.(parseFailure)
			if !ok {
				panic(r)
			}
			err = pf.err
		}
	}()
	return f(), nil
}

func (p *parser) failKind(kind ErrorKind, off int, msg string) {
	panic(parseFailure{&Error{Kind: kind, Pos: posAt(p.s, off), Msg: msg, Text: p.s}})
}

func (p *parser) fail(off int, msg string) { p.failKind(KindSyntax, off, msg) }

// enter implements the depth guard; the caller defers p.leave().
func (p *parser) enter() {
	p.depth++
	if p.depth >= p.maxDepth {
		p.failKind(KindLimit, p.i, "exceeded max depth limit of "+strconv.Itoa(p.maxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

// node counts one node against the budget and returns off.
func (p *parser) node(off int) int {
	p.nodes++
	if p.nodes > p.maxNodes {
		p.failKind(KindLimit, off, "exceeded max node limit of "+strconv.Itoa(p.maxNodes))
	}
	return off
}

// parseBool parses the expression whose operators have precedence prec or
// higher: a chain of operands joined by the n-ary operator of precedence
// prec, or a negation.
func (p *parser) parseBool(prec int) Node {
	op := &boolOperators[prec]
	if op.build == nil {
		return p.parseNot()
	}
	p.enter()
	defer p.leave()
	start := p.i
	terms := p.parseChain(op.name, prec+1)
	if len(terms) == 1 {
		return terms[0]
	}
	return op.build(p.node(start), terms)
}

// parseChain parses operands joined by the keyword op ("or", "and"): each
// is an expression of precedence next or higher, or is a parenthesized
// expression right after the keyword (as in "a and(b)").
func (p *parser) parseChain(op string, next int) []Node {
	p.blank()
	terms := []Node{p.parseBool(next)}
	p.blank()
	for p.lit(op) {
		if !p.blank() {
			if !p.lit("(") {
				p.fail(p.i, "expected blank or '(' after '"+op+"'")
			}
			terms = append(terms, p.parseEmbedded())
		} else {
			terms = append(terms, p.parseBool(next))
		}
		p.blank()
	}
	return terms
}

func (p *parser) parseNot() Node {
	p.enter()
	defer p.leave()
	start := p.i
	p.blank()
	neg := false
	for p.notSpace() {
		neg = !neg
	}
	var child Node
	if p.call(boolOperators[precNot].name) {
		neg = !neg
		child = p.parseEmbedded()
	} else {
		child = p.parseCheck()
	}
	if neg {
		return &NotExpr{At: p.node(start), Term: child}
	}
	return child
}

// parseEmbedded parses the rest of a parenthesised expression after "(".
func (p *parser) parseEmbedded() Node {
	p.enter()
	defer p.leave()
	p.blank()
	child := p.parseBool(precOr)
	p.blank()
	if !p.lit(")") {
		p.fail(p.i, "expected a ')' token")
	}
	return child
}

func (p *parser) parseCheck() Node {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if p.lit("(") {
		return p.parseEmbedded()
	}
	if p.fieldName() {
		left := p.parseFieldRemainder(start, p.last)
		return p.parseCondition(start, left)
	}
	if name, ok := p.transformerName(); ok {
		p.blank()
		left := p.parseTransformerRemainder(start, name)
		return p.parseCondition(start, left)
	}
	if p.identifier() {
		return &MacroRef{At: p.node(start), Name: p.last}
	}
	p.fail(p.i, "expected a '(' token, a field check, or an identifier")
	return nil
}

func (p *parser) parseFieldRemainder(start int, name string) *FieldExpr {
	p.enter()
	defer p.leave()
	f := &FieldExpr{At: p.node(start), Name: name}
	f.Arg, f.HasArg = p.optionalFieldArg()
	return f
}

func (p *parser) optionalFieldArg() (string, bool) {
	if !p.lit("[") {
		return "", false
	}
	if !p.quoted() && !p.fieldArgBare() {
		p.fail(p.i, "expected a valid field argument: a quoted string or a bare string")
	}
	arg := p.last
	if !p.lit("]") {
		p.fail(p.i, "expected a ']' token")
	}
	return arg, true
}

// parseTransformerRemainder parses the arguments and ")" of a transformer
// whose "name(" was consumed.
func (p *parser) parseTransformerRemainder(start int, name string) *TransformExpr {
	p.enter()
	defer p.leave()
	t := &TransformExpr{At: p.node(start), Name: name}
	p.blank()
	for {
		t.Args = append(t.Args, p.parseTransformerArg())
		p.blank()
		if !p.lit(",") {
			break
		}
	}
	p.blank()
	if !p.lit(")") {
		p.fail(p.i, "expected a ')' token closing the transformer")
	}
	return t
}

func (p *parser) parseTransformerArg() Operand {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if p.hexNum() || p.number() {
		return p.literal(p.node(start), p.last, false)
	}
	if p.quoted() {
		return p.literal(p.node(start), p.last, true)
	}
	if name, ok := p.transformerName(); ok {
		return p.parseTransformerRemainder(start, name)
	}
	if p.fieldName() {
		return p.parseFieldRemainder(start, p.last)
	}
	p.fail(p.i, "expected field transformer argument: field, transformer, quoted string, or number")
	return nil
}

func (p *parser) parseCondition(start int, left Operand) Node {
	p.enter()
	defer p.leave()
	p.blank()
	opStart := p.i
	spelling := p.checkOperator()
	if spelling == nil {
		p.failKind(KindUnknownOperator, p.i, "expected a valid check operator: one of "+checkOperatorList)
	}
	c := &CheckExpr{Left: left, Op: spelling.op}
	switch spelling.operand {
	case operandNone:
		// exists
	case operandNumber:
		c.Right = p.parseNumValue()
	case operandString:
		hadBlank := spelling.word || p.blank()
		if mod, ok := p.modifier(hadBlank); ok {
			c.Mod = mod
			c.Right = p.parseListValue()
		} else {
			c.Right = p.parseStrValue()
		}
	case operandList:
		c.Right = p.parseListValue()
	}
	c.At = p.node(start)
	c.OpAt = opStart
	return c
}

func (p *parser) parseNumValue() Operand {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if t := p.tryTransformerOrVal(); t != nil {
		return t
	}
	if p.hexNum() || p.number() {
		return p.literal(p.node(start), p.last, false)
	}
	p.fail(p.i, "expected a number value or a field with a valid transformer: "+transformerList)
	return nil
}

func (p *parser) parseStrValue() Operand {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if t := p.tryTransformerOrVal(); t != nil {
		return t
	}
	if p.quoted() {
		return p.literal(p.node(start), p.last, true)
	}
	if p.bareStr() {
		return p.literal(p.node(start), p.last, false)
	}
	p.fail(p.i, "expected a string value or a field with a valid transformer: "+transformerList)
	return nil
}

func (p *parser) parseListValue() Operand {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if p.lit("(") {
		l := &ListExpr{At: p.node(start)}
		p.blank()
		if it := p.listItem(); it != nil {
			l.Items = append(l.Items, it)
			p.blank()
			for p.lit(",") {
				p.blank()
				it := p.listItem()
				if it == nil {
					p.fail(p.i, "expected a string value")
				}
				l.Items = append(l.Items, it)
				p.blank()
			}
		}
		if !p.lit(")") {
			p.fail(p.i, "expected a ')' token")
		}
		return l
	}
	if t := p.tryTransformerOrVal(); t != nil {
		return t
	}
	if p.identifier() {
		return p.literal(p.node(start), p.last, false)
	}
	p.fail(p.i, "expected a list, an identifier, or a field with a valid transformer: "+transformerList)
	return nil
}

// listItem parses a list element, or returns nil. List elements do not
// count against the node budget, which bounds nesting: an IOC list may
// hold hundreds of thousands of values.
func (p *parser) listItem() *LiteralExpr {
	start := p.i
	if p.quoted() {
		return p.literal(start, p.last, true)
	}
	if p.bareStr() {
		return p.literal(start, p.last, false)
	}
	return nil
}

// maxLiteralSlab is the most literals allocated at once.
const maxLiteralSlab = 1024

// literal returns a new literal, allocated from a slab so that a long list
// costs few allocations.
func (p *parser) literal(at int, text string, quoted bool) *LiteralExpr {
	if len(p.literals) == cap(p.literals) {
		p.literals = make([]LiteralExpr, 0, min(max(2*cap(p.literals), 8), maxLiteralSlab))
	}
	p.literals = append(p.literals, LiteralExpr{At: at, Text: text, Quoted: quoted})
	return &p.literals[len(p.literals)-1]
}

// tryTransformerOrVal parses `val(field)` or a transformer, or returns nil
// when neither starts here.
func (p *parser) tryTransformerOrVal() Operand {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if p.call(transformers[transformVal].name) {
		p.blank()
		fstart := p.i
		if !p.fieldName() {
			p.fail(p.i, "expected a field within '"+transformers[transformVal].name+"' transformer")
		}
		f := p.parseFieldRemainder(fstart, p.last)
		p.blank()
		if !p.lit(")") {
			p.fail(p.i, "expected a ')' token closing the transformer")
		}
		return &TransformExpr{At: p.node(start), Name: transformers[transformVal].name, Args: []Operand{f}}
	}
	if name, ok := p.transformerName(); ok {
		p.blank()
		return p.parseTransformerRemainder(start, name)
	}
	return nil
}

// Lexer helpers. Each consumes its token and sets p.last on success, and
// consumes nothing on failure.

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

func (p *parser) blank() bool {
	start := p.i
	for p.i < len(p.s) && isBlank(p.s[p.i]) {
		p.i++
	}
	return p.i > start
}

func (p *parser) lit(s string) bool {
	if strings.HasPrefix(p.s[p.i:], s) {
		p.i += len(s)
		p.last = s
		return true
	}
	return false
}

// take consumes p.s[p.i:end] as the last token.
func (p *parser) take(end int) bool {
	if end <= p.i {
		return false
	}
	p.last = p.s[p.i:end]
	p.i = end
	return true
}

// identEnd returns the end of an identifier starting at i, or i.
func (p *parser) identEnd(i int) int {
	if i >= len(p.s) || !isLetter(p.s[i]) {
		return i
	}
	for i++; i < len(p.s) && isIdentChar(p.s[i]); i++ {
	}
	return i
}

func (p *parser) identifier() bool { return p.take(p.identEnd(p.i)) }

func (p *parser) fieldName() bool {
	end := p.identEnd(p.i)
	if end == p.i {
		return false
	}
	dots := 0
	for end < len(p.s) && p.s[end] == '.' {
		next := p.identEnd(end + 1)
		if next == end+1 {
			break
		}
		end = next
		dots++
	}
	return dots > 0 && p.take(end)
}

func (p *parser) fieldArgBare() bool {
	end := p.i
	for end < len(p.s) {
		c := p.s[end]
		if c == '[' || c == ']' || c == '"' || c == '\'' || isSpace(c) {
			break
		}
		end++
	}
	return p.take(end)
}

func (p *parser) hexNum() bool {
	s := p.s[p.i:]
	if len(s) < 3 || s[0] != '0' || s[1]|0x20 != 'x' || !isHex(s[2]) {
		return false
	}
	end := 3
	for end < len(s) && isHex(s[end]) {
		end++
	}
	return p.take(p.i + end)
}

func (p *parser) number() bool {
	s := p.s[p.i:]
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	d := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == d {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i+2 < len(s) && s[i]|0x20 == 'e' && (s[i+1] == '+' || s[i+1] == '-') && isDigit(s[i+2]) {
		i += 3
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return p.take(p.i + i)
}

func (p *parser) bareStr() bool {
	end := p.i
	for end < len(p.s) {
		c := p.s[end]
		if c == '(' || c == ')' || c == '"' || c == '\'' || c == '=' || c == ',' || isSpace(c) {
			break
		}
		end++
	}
	return p.take(end)
}

// quoted lexes a quoted string and sets p.last to its unescaped content.
func (p *parser) quoted() bool {
	if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\'') {
		return false
	}
	delim := p.s[p.i]
	prev := byte('\\')
	for j := p.i; j < len(p.s); j++ {
		c := p.s[j]
		if j > p.i && c == delim && prev != '\\' {
			s, err := unescape(p.s[p.i : j+1])
			if err != "" {
				p.fail(p.i, err)
			}
			p.last = s
			p.i = j + 1
			return true
		}
		prev = c
	}
	return false
}

// unescape returns the content of the quoted string q (with its quotes), or
// an error message.
func unescape(q string) (string, string) {
	body := q[1 : len(q)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body, ""
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", "unsupported string escape sequence at end of string"
		}
		switch e := body[i]; e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case ' ', '\\':
			// libsinsp turns "\ " into a backslash, for compatibility with old rules.
			b.WriteByte('\\')
		case '/':
			b.WriteByte('/')
		case '"', '\'':
			if e != q[0] {
				return "", "invalid \\" + string(e) + " escape in " + string(q[0]) + "-quoted string"
			}
			b.WriteByte(e)
		case 'x':
			if i+2 >= len(body) {
				return "", "truncated hex char escape sequence"
			}
			v, err := strconv.ParseUint(body[i+1:i+3], 16, 8)
			if err != nil {
				return "", "invalid hex char escape sequence: " + body[i+1:i+3]
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", "unsupported string escape sequence: \\" + string(e)
		}
	}
	return b.String(), ""
}

// notSpace lexes "not" followed by white space.
func (p *parser) notSpace() bool {
	not := boolOperators[precNot].name
	if !strings.HasPrefix(p.s[p.i:], not) {
		return false
	}
	end := p.i + len(not)
	for end < len(p.s) && isSpace(p.s[end]) {
		end++
	}
	if end == p.i+len(not) {
		return false
	}
	return p.take(end)
}

// wordOp lexes a word operator followed by at least one blank.
func (p *parser) wordOp(w string) bool {
	if !strings.HasPrefix(p.s[p.i:], w) {
		return false
	}
	end := p.i + len(w)
	if end < len(p.s) && isBlank(p.s[end]) {
		p.last = w
		p.i = end
		p.blank()
		return true
	}
	return false
}

// checkOperator lexes the spelling of a check operator, trying them in
// table order, and returns it, or nil.
func (p *parser) checkOperator() *checkOperator {
	for i := range checkOperators {
		c := &checkOperators[i]
		if c.word && p.wordOp(c.text) || !c.word && p.lit(c.text) {
			return c
		}
	}
	return nil
}

// transformerName lexes "name(" for the name of a transformer other than
// val, which is parsed on its own.
func (p *parser) transformerName() (string, bool) {
	for _, t := range transformers {
		if t.kind != transformerFieldValue && p.call(t.name) {
			return t.name, true
		}
	}
	return "", false
}

// call lexes name immediately followed by "(", as a transformer or "not("
// is written.
func (p *parser) call(name string) bool {
	rest := p.s[p.i:]
	if len(rest) <= len(name) || rest[len(name)] != '(' || !strings.HasPrefix(rest, name) {
		return false
	}
	p.last = rest[:len(name)+1]
	p.i += len(name) + 1
	return true
}

// modifier lexes an operator modifier ("oneof ", "anyof ", "allof ")
// followed by a list or an identifier that is not a boolean keyword, as
// libsinsp does; otherwise it consumes nothing.
func (p *parser) modifier(hadBlank bool) (Modifier, bool) {
	if !hadBlank {
		return ModNone, false
	}
	save := p.i
	for m := ModNone + 1; m < numModifiers; m++ {
		if !p.wordOp(m.String()) {
			continue
		}
		rest := p.s[p.i:]
		listFollows := strings.HasPrefix(rest, "(") || p.identEnd(p.i) > p.i
		if listFollows && !boolKeywordFollows(rest) {
			return m, true
		}
		break
	}
	p.i = save
	return ModNone, false
}

// boolKeywordFollows reports whether s starts with and, or or not as a word.
func boolKeywordFollows(s string) bool {
	for _, op := range boolOperators {
		kw := op.name
		if strings.HasPrefix(s, kw) && (len(s) == len(kw) || !isLetter(s[len(kw)]) && !isDigit(s[len(kw)])) {
			return true
		}
	}
	return false
}
