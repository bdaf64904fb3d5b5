package engine

import (
	"bytes"
	"encoding/base64"

	"github.com/retrace-dev/retrace/internal/glob"
)

// transformerID identifies a transformer.
type transformerID uint8

// Transformers, in the order errors list them.
const (
	transformVal transformerID = iota
	transformToLower
	transformToUpper
	transformB64
	transformBasename
	transformLen
	transformJoin
	transformConcat
	transformGetopt
	numTransformers
)

// transformerKind says what a transformer does with its values.
type transformerKind uint8

const (
	// transformerFieldValue: val(field), the value of another field, on
	// the right-hand side of a check only.
	transformerFieldValue transformerKind = iota
	// transformerText maps text to text of the same type.
	transformerText
	// transformerLength maps text to its length, a uint64 (of a list
	// field: the number of values).
	transformerLength
	// transformerParsedOnly: the parser accepts it, as libsinsp does, and
	// the compiler rejects it as unsupported.
	transformerParsedOnly
)

// transformerInfo describes a transformer.
type transformerInfo struct {
	// name is the transformer's name, written before "(".
	name string
	// kind is what it does.
	kind transformerKind
}

// transformers is the one description of the transformers: the lexer
// recognises their names, the compiler implements them by kind, and the
// parser's errors list them in this order.
var transformers = [numTransformers]transformerInfo{
	transformVal:      {name: "val", kind: transformerFieldValue},
	transformToLower:  {name: "tolower", kind: transformerText},
	transformToUpper:  {name: "toupper", kind: transformerText},
	transformB64:      {name: "b64", kind: transformerText},
	transformBasename: {name: "basename", kind: transformerText},
	transformLen:      {name: "len", kind: transformerLength},
	transformJoin:     {name: "join", kind: transformerParsedOnly},
	transformConcat:   {name: "concat", kind: transformerParsedOnly},
	transformGetopt:   {name: "getopt", kind: transformerParsedOnly},
}

// transformerList is "'val', 'tolower', ...", as the parser's errors list
// the transformers.
var transformerList = func() string {
	names := make([]string, len(transformers))
	for i, t := range transformers {
		names[i] = t.name
	}
	return quotedList(names)
}()

// lookupTransformer returns the transformer called name.
func lookupTransformer(name string) (transformerID, bool) {
	for id, t := range transformers {
		if t.name == name {
			return transformerID(id), true
		}
	}
	return 0, false
}

// isVal reports whether t is val(field).
func (t *TransformExpr) isVal() bool { return t.Name == transformers[transformVal].name }

// transform compiles a transformer applied to one operand.
func (c *compiler) transform(t *TransformExpr) (source, error) {
	id, ok := lookupTransformer(t.Name)
	kind := transformers[id].kind
	switch {
	case !ok || kind == transformerParsedOnly:
		return source{}, c.errorf(KindTransformer, t.At, nil, "unsupported transformer '%s'", t.Name)
	case kind == transformerFieldValue:
		return source{}, c.errorf(KindTransformer, t.At, nil, "'val' is only allowed on the right-hand side of a check")
	}
	if len(t.Args) != 1 {
		return source{}, c.errorf(KindTransformer, t.At, nil, "transformer '%s' takes exactly one argument, got %d",
			t.Name, len(t.Args))
	}
	var in source
	switch a := t.Args[0].(type) {
	case *FieldExpr:
		s, err := c.field(a)
		if err != nil {
			return source{}, err
		}
		if s.info.Flags&FlagNoTransformer != 0 {
			return source{}, c.errorf(KindTransformer, a.At, nil, "field '%s' does not support transformers", s.name)
		}
		in = s
	case *TransformExpr:
		s, err := c.transform(a)
		if err != nil {
			return source{}, err
		}
		in = s
	default:
		return source{}, c.errorf(KindTransformer, t.Args[0].Offset(), nil,
			"transformer '%s' needs a field or a transformer argument, got '%s'", t.Name, t.Args[0])
	}
	if !in.typ.Textual() {
		return source{}, c.errorf(KindTransformer, t.At, nil, "transformer '%s' cannot be applied to field '%s' of type %s",
			t.Name, in.name, in.typ)
	}
	x := &transformer{id: id, in: in.ex}
	out := source{name: t.String(), typ: in.typ, multi: in.multi, ex: x, info: in.info}
	if kind == transformerLength {
		out.typ = TypeUint64
		if in.multi == Set {
			x.count = true
			out.multi = Single
		}
	}
	return out, nil
}

// transformer is the Extractor of a transformed operand. It owns scratch
// buffers, so it is not safe for concurrent use.
type transformer struct {
	id    transformerID
	in    Extractor
	count bool // len of a set field: number of values
	vals  []Value
	buf   []byte
}

// Extract extracts the input values and appends their transformed forms.
// Values whose transformation fails (invalid base64) are missing.
func (t *transformer) Extract(ev Event, dst []Value) []Value {
	t.vals = t.in.Extract(ev, t.vals[:0])
	if t.count {
		if len(t.vals) == 0 {
			return dst
		}
		return append(dst, Value{Num: uint64(len(t.vals))})
	}
	t.buf = t.buf[:0]
	for _, v := range t.vals {
		switch t.id {
		case transformLen:
			dst = append(dst, Value{Num: uint64(len(v.Bytes))})
		case transformBasename:
			b := v.Bytes
			if i := bytes.LastIndexByte(b, '/'); i >= 0 {
				b = b[i+1:]
			}
			dst = append(dst, Value{Bytes: b})
		case transformToLower, transformToUpper:
			start := len(t.buf)
			for _, c := range v.Bytes {
				if t.id == transformToLower {
					c = lowerASCII(c)
				} else if c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				t.buf = append(t.buf, c)
			}
			dst = append(dst, Value{Bytes: t.buf[start:len(t.buf):len(t.buf)]})
		case transformB64:
			start := len(t.buf)
			t.buf = append(t.buf, make([]byte, base64.StdEncoding.DecodedLen(len(v.Bytes)))...)
			n, err := base64.StdEncoding.Decode(t.buf[start:], v.Bytes)
			if err != nil {
				t.buf = t.buf[:start]
				continue
			}
			t.buf = t.buf[:start+n]
			dst = append(dst, Value{Bytes: t.buf[start : start+n : start+n]})
		}
	}
	return dst
}

// fieldCompare compiles a check whose right-hand side is val(field) or a
// transformer: both sides are extracted per event.
func (c *compiler) fieldCompare(n *CheckExpr, left source, r *TransformExpr) (evalFunc, error) {
	var right source
	var err error
	if r.isVal() {
		if len(r.Args) != 1 {
			return nil, c.errorf(KindTransformer, r.At, nil, "'val' takes exactly one field")
		}
		f, ok := r.Args[0].(*FieldExpr)
		if !ok {
			return nil, c.errorf(KindTransformer, r.At, nil, "'val' takes exactly one field")
		}
		right, err = c.field(f)
		if err == nil && right.info.Flags&FlagNoRHS != 0 {
			err = c.errorf(KindType, f.At, nil, "field '%s' cannot be used on the right-hand side of a check", right.name)
		}
	} else {
		right, err = c.transform(r)
	}
	if err != nil {
		return nil, err
	}
	if left.multi == Set || right.multi == Set {
		return nil, c.errorf(KindType, n.OpAt, nil, "list fields cannot be compared to other fields")
	}
	cmp, err := c.pairMatcher(n, left, right)
	if err != nil {
		return nil, err
	}
	lvalues, rvalues := valuesFunc(left.ex), valuesFunc(right.ex)
	anyLeft := left.multi == AnyOf
	return func(ev Event) bool {
		rbuf := rvalues(ev)
		if len(rbuf) == 0 {
			return false
		}
		lbuf := lvalues(ev)
		if !anyLeft {
			return len(lbuf) > 0 && cmp(lbuf[0], rbuf[0])
		}
		for _, v := range lbuf {
			if cmp(v, rbuf[0]) {
				return true
			}
		}
		return false
	}, nil
}

// pairMatcher returns the comparison of two extracted values.
func (c *compiler) pairMatcher(n *CheckExpr, left, right source) (func(a, b Value) bool, error) {
	lt, rt := left.typ, right.typ
	mismatch := func() error {
		return c.errorf(KindType, n.OpAt, nil, "cannot compare field '%s' of type %s with field '%s' of type %s",
			left.name, lt, right.name, rt)
	}
	switch {
	case lt.Textual() && rt.Textual():
		switch n.Op {
		case OpEq:
			return func(a, b Value) bool { return bytes.Equal(a.Bytes, b.Bytes) }, nil
		case OpNe:
			return func(a, b Value) bool { return !bytes.Equal(a.Bytes, b.Bytes) }, nil
		case OpLt:
			return func(a, b Value) bool { return bytes.Compare(a.Bytes, b.Bytes) < 0 }, nil
		case OpLe:
			return func(a, b Value) bool { return bytes.Compare(a.Bytes, b.Bytes) <= 0 }, nil
		case OpGt:
			return func(a, b Value) bool { return bytes.Compare(a.Bytes, b.Bytes) > 0 }, nil
		case OpGe:
			return func(a, b Value) bool { return bytes.Compare(a.Bytes, b.Bytes) >= 0 }, nil
		case OpContains:
			return func(a, b Value) bool { return bytes.Contains(a.Bytes, b.Bytes) }, nil
		case OpIContains:
			return func(a, b Value) bool { return indexFold(a.Bytes, b.Bytes) }, nil
		case OpStartsWith:
			return func(a, b Value) bool { return bytes.HasPrefix(a.Bytes, b.Bytes) }, nil
		case OpEndsWith:
			return func(a, b Value) bool { return bytes.HasSuffix(a.Bytes, b.Bytes) }, nil
		case OpGlob:
			return func(a, b Value) bool { return glob.Match(b.Bytes, a.Bytes, false) }, nil
		case OpIGlob:
			return func(a, b Value) bool { return glob.Match(b.Bytes, a.Bytes, true) }, nil
		}
	case lt.Numeric() && rt.Numeric():
		t := lt
		if lt != rt && (lt == TypeDouble || rt == TypeDouble) {
			return nil, mismatch()
		}
		if lt.Signed() != rt.Signed() {
			t = TypeInt64
		}
		switch n.Op {
		case OpEq:
			return func(a, b Value) bool { return numCmp(t, a.Num, b.Num) == 0 }, nil
		case OpNe:
			return func(a, b Value) bool { return numCmp(t, a.Num, b.Num) != 0 }, nil
		case OpLt:
			return func(a, b Value) bool { return numCmp(t, a.Num, b.Num) < 0 }, nil
		case OpLe:
			return func(a, b Value) bool { return numCmp(t, a.Num, b.Num) <= 0 }, nil
		case OpGt:
			return func(a, b Value) bool { return numCmp(t, a.Num, b.Num) > 0 }, nil
		case OpGe:
			return func(a, b Value) bool { return numCmp(t, a.Num, b.Num) >= 0 }, nil
		}
	case lt == rt && lt == TypeBool:
		switch n.Op {
		case OpEq:
			return func(a, b Value) bool { return (a.Num != 0) == (b.Num != 0) }, nil
		case OpNe:
			return func(a, b Value) bool { return (a.Num != 0) != (b.Num != 0) }, nil
		}
	case (lt == TypeIPAddr || lt == TypeIPNet) && (rt == TypeIPAddr || rt == TypeIPNet):
		eq := func(a, b Value) bool {
			x, ok1 := valueAddr(a)
			y, ok2 := valueAddr(b)
			return ok1 && ok2 && x == y
		}
		switch n.Op {
		case OpEq:
			return eq, nil
		case OpNe:
			return func(a, b Value) bool { return !eq(a, b) }, nil
		}
	default:
		return nil, mismatch()
	}
	return nil, c.errorf(KindType, n.OpAt, nil, "operator '%s' cannot compare field '%s' with field '%s'",
		n.Op, left.name, right.name)
}

// indexFold reports whether needle occurs in s, ignoring ASCII case.
func indexFold(s, needle []byte) bool {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lowerASCII(s[i+j]) == lowerASCII(needle[j]) {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}
