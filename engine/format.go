package engine

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Missing is what a format prints for a field with no value.
const Missing = "<NA>"

// Format is a compiled output format: literal text with `%field`,
// `%field[arg]`, `%transformer(field)` and `%Nfield` (padded or truncated
// to N bytes) tokens. A Format is not safe for concurrent use.
type Format struct {
	text   string
	opts   CompileOptions
	parts  []formatPart
	fields []formatField
	buf    []Value
}

type formatPart struct {
	lit   string
	field int // index into fields, -1 for a literal
	width int
}

type formatField struct {
	name string
	src  source
	text TextAppender
}

// CompileFormat compiles an output format. Unknown fields and malformed
// tokens are *[Error]s with Kind KindUnknownField, KindBadArgument,
// KindTransformer or KindSyntax.
func CompileFormat(text string, opts CompileOptions) (*Format, error) {
	if opts.Registry == nil {
		return nil, errors.New("compile format: no field registry")
	}
	f := &Format{text: text, opts: opts}
	c := &compiler{opts: opts, text: text}
	index := map[string]int{}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, formatPart{lit: lit.String(), field: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		pct := strings.IndexByte(text[i:], '%')
		if pct < 0 {
			lit.WriteString(text[i:])
			break
		}
		lit.WriteString(text[i : i+pct])
		i += pct
		start := i
		i++
		width := 0
		for i < len(text) && isDigit(text[i]) && width < 1<<16 {
			width = width*10 + int(text[i]-'0')
			i++
		}
		src, name, end, err := c.formatToken(text, i)
		if err != nil {
			return nil, err
		}
		if end == i {
			return nil, &Error{Kind: KindSyntax, Pos: posAt(text, start), Text: text,
				Msg: "invalid formatting token: expected a field after '%'"}
		}
		if src.info.Flags&FlagFilterOnly != 0 {
			return nil, &Error{Kind: KindType, Pos: posAt(text, i), Text: text,
				Msg: "field '" + name + "' can only be used in conditions"}
		}
		i = end
		flush()
		idx, seen := index[name]
		if !seen {
			idx = len(f.fields)
			index[name] = idx
			ta, _ := src.ex.(TextAppender)
			f.fields = append(f.fields, formatField{name: name, src: src, text: ta})
		}
		f.parts = append(f.parts, formatPart{field: idx, width: width})
	}
	flush()
	return f, nil
}

// formatToken compiles the field or transformer at text[i:], returning its
// source, its canonical name and the end offset. Of a dotted name, the
// longest prefix that names a field is taken.
func (c *compiler) formatToken(text string, i int) (source, string, int, error) {
	p := newParser(text, ParseOptions{})
	p.i = i
	if name, ok := p.transformerName(); ok {
		t, err := runParse(p, func() *TransformExpr {
			p.blank()
			return p.parseTransformerRemainder(i, name)
		})
		if err != nil {
			return source{}, "", 0, err
		}
		src, err := c.transform(t)
		return src, t.String(), p.i, err
	}
	if !p.fieldName() {
		return source{}, "", i, nil
	}
	for name := p.last; ; {
		p.i = i + len(name)
		type fieldArg struct {
			text    string
			present bool
		}
		arg, err := runParse(p, func() fieldArg {
			a, ok := p.optionalFieldArg()
			return fieldArg{a, ok}
		})
		if err != nil {
			return source{}, "", 0, err
		}
		fe := &FieldExpr{At: i, Name: name, HasArg: arg.present, Arg: arg.text}
		src, ferr := c.field(fe)
		if ferr == nil {
			return src, fe.String(), p.i, nil
		}
		// Retry without the last dotted segment ("%proc.name.": the field
		// is proc.name, the dot is text).
		var e *Error
		dot := strings.LastIndexByte(name, '.')
		if !errors.As(ferr, &e) || e.Kind != KindUnknownField || arg.present ||
			strings.IndexByte(name[:dot], '.') < 0 {
			return source{}, "", 0, ferr
		}
		name = name[:dot]
	}
}

// Clone compiles the format again, giving a copy with its own scratch
// buffers for use by another goroutine.
func (f *Format) Clone() (*Format, error) {
	cl, err := CompileFormat(f.text, f.opts)
	if err != nil {
		return nil, fmt.Errorf("clone format: %w", err)
	}
	return cl, nil
}

// Fields returns the names of the fields the format prints, in order of
// first use (the keys of Falco's output_fields).
func (f *Format) Fields() []string {
	names := make([]string, len(f.fields))
	for i, ff := range f.fields {
		names[i] = ff.name
	}
	return names
}

// String returns the format text.
func (f *Format) String() string { return f.text }

// Append appends the formatted output for ev to dst. Missing values print
// as [Missing]. It does not allocate when dst has room.
func (f *Format) Append(dst []byte, ev Event) []byte {
	for _, p := range f.parts {
		if p.field < 0 {
			dst = append(dst, p.lit...)
			continue
		}
		start := len(dst)
		dst = f.appendField(dst, ev, &f.fields[p.field])
		if p.width > 0 {
			if n := len(dst) - start; n > p.width {
				dst = dst[:start+p.width]
			} else {
				for ; n < p.width; n++ {
					dst = append(dst, ' ')
				}
			}
		}
	}
	return dst
}

func (f *Format) appendField(dst []byte, ev Event, ff *formatField) []byte {
	f.buf = ff.src.ex.Extract(ev, f.buf[:0])
	vals := f.buf
	if ff.src.multi == Single && len(vals) > 1 {
		vals = vals[:1]
	}
	switch len(vals) {
	case 0:
		return append(dst, Missing...)
	case 1:
		return appendText(dst, ff, vals[0])
	}
	dst = append(dst, '(')
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendText(dst, ff, v)
	}
	return append(dst, ')')
}

func appendText(dst []byte, ff *formatField, v Value) []byte {
	if ff.text != nil {
		return ff.text.AppendText(dst, v)
	}
	return AppendValue(dst, ff.src.typ, v)
}

// AppendValue appends the default text form of a value of type t.
func AppendValue(dst []byte, t FieldType, v Value) []byte {
	switch {
	case t == TypeString:
		return append(dst, v.Bytes...)
	case t == TypeBytes:
		for _, c := range v.Bytes {
			if c >= 0x20 && c < 0x7f {
				dst = append(dst, c)
			} else {
				dst = append(dst, '.')
			}
		}
		return dst
	case t == TypeBool:
		return strconv.AppendBool(dst, v.Num != 0)
	case t == TypeDouble:
		return strconv.AppendFloat(dst, math.Float64frombits(v.Num), 'f', -1, 64)
	case t == TypeMode:
		return strconv.AppendUint(append(dst, '0'), v.Num, 8)
	case t.Signed():
		return strconv.AppendInt(dst, int64(v.Num), 10)
	case t.Numeric():
		return strconv.AppendUint(dst, v.Num, 10)
	case t == TypeIPAddr || t == TypeIPNet:
		if a, ok := netip.AddrFromSlice(v.Bytes); ok {
			return a.Unmap().AppendTo(dst)
		}
	}
	return append(dst, v.Bytes...)
}

// AppendJSONFields appends a JSON object mapping each field of the format
// to its typed value for ev (strings as strings, numbers as numbers,
// booleans, missing values as null), like Falco's output_fields. Keys are
// in the order of [Format.Fields].
func (f *Format) AppendJSONFields(dst []byte, ev Event) []byte {
	dst = append(dst, '{')
	for i := range f.fields {
		ff := &f.fields[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, ff.name)
		dst = append(dst, ':')
		dst = f.AppendJSONValue(dst, ev, i)
	}
	return append(dst, '}')
}

// AppendJSONValue appends the JSON value of the i-th field of the format
// (see [Format.Fields]) for ev.
func (f *Format) AppendJSONValue(dst []byte, ev Event, i int) []byte {
	ff := &f.fields[i]
	f.buf = ff.src.ex.Extract(ev, f.buf[:0])
	vals := f.buf
	if ff.src.multi == Single && len(vals) > 1 {
		vals = vals[:1]
	}
	switch len(vals) {
	case 0:
		return append(dst, "null"...)
	case 1:
		return appendJSONScalar(dst, ff, vals[0])
	}
	dst = append(dst, '[')
	for j, v := range vals {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONScalar(dst, ff, v)
	}
	return append(dst, ']')
}

func appendJSONScalar(dst []byte, ff *formatField, v Value) []byte {
	t := ff.src.typ
	switch {
	case t == TypeBool:
		return strconv.AppendBool(dst, v.Num != 0)
	case t == TypeDouble:
		x := math.Float64frombits(v.Num)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, x, 'f', -1, 64)
	case t.Signed():
		return strconv.AppendInt(dst, int64(v.Num), 10)
	case t.Numeric() && t != TypeMode:
		return strconv.AppendUint(dst, v.Num, 10)
	}
	var tmp [64]byte
	return appendJSONBytes(dst, AppendValue(tmp[:0], t, v))
}

// AppendJSONString appends s as a JSON string (control characters escaped,
// invalid UTF-8 replaced by U+FFFD).
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = AppendJSONEscaped(dst, []byte(s))
	return append(dst, '"')
}

func appendJSONBytes(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = AppendJSONEscaped(dst, b)
	return append(dst, '"')
}

// AppendJSONEscaped appends b escaped for the inside of a JSON string,
// without quotes (Falco's text output escapes messages this way).
func AppendJSONEscaped(dst, b []byte) []byte {
	const hexDigits = "0123456789abcdef"
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}
