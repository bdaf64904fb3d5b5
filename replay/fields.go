package replay

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/retrace-dev/retrace/engine"
)

// NewFieldRegistry returns the registry of every field replay supplies, for
// compiling rules with package engine. It is immutable and safe for
// concurrent use; the extractors it binds are not (bind per goroutine).
func NewFieldRegistry() *engine.FieldTable {
	var defs []engine.FieldDef
	for _, group := range [][]def{evtFields(), evtStatFields(), procFields(), fdFields(), fdlistFields(), userFields(), containerFields(), captureFields()} {
		for _, d := range group {
			defs = append(defs, d.toFieldDef())
		}
	}
	t, err := engine.NewFieldTable(defs)
	if err != nil {
		// The definitions are static: a failure is a programming error
		// caught by the package's tests.
		panic(err)
	}
	return t
}

// sb views a string as bytes without copying. The result must not be
// modified.
func sb(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// extractFn is the shape of every extractor in this package.
type extractFn func(e *Event, dst []engine.Value) []engine.Value

// fn adapts an extractFn to engine.Extractor.
func fn(f extractFn) engine.Extractor {
	return engine.ExtractorFunc(func(ev engine.Event, dst []engine.Value) []engine.Value {
		e, ok := ev.(*Event)
		if !ok {
			return dst
		}
		return f(e, dst)
	})
}

// str appends a string value.
func str(dst []engine.Value, b []byte) []engine.Value {
	return append(dst, engine.Value{Bytes: b})
}

// num appends a numeric value.
func num(dst []engine.Value, v uint64) []engine.Value {
	return append(dst, engine.Value{Num: v})
}

// i64 appends a signed numeric value.
func i64(dst []engine.Value, v int64) []engine.Value {
	return append(dst, engine.Value{Num: uint64(v)})
}

// boolean appends a boolean value.
func boolean(dst []engine.Value, b bool) []engine.Value {
	if b {
		return append(dst, engine.Value{Num: 1})
	}
	return append(dst, engine.Value{Num: 0})
}

// def is one field definition under construction.
type def struct {
	name   string
	typ    engine.FieldType
	arg    engine.ArgKind
	syntax engine.ArgSyntax
	list   bool
	flags  engine.FieldFlags
	desc   string
	// ex is the extractor for fields without argument.
	ex extractFn
	// bind binds fields with arguments.
	bind func(arg engine.Arg) (engine.Binding, error)
}

// toFieldDef converts d.
func (d def) toFieldDef() engine.FieldDef {
	info := engine.FieldInfo{Name: d.name, Type: d.typ, Arg: d.arg, ArgSyntax: d.syntax, List: d.list, Flags: d.flags, Desc: d.desc}
	b := d.bind
	if b == nil {
		ex := d.ex
		typ := d.typ
		b = func(engine.Arg) (engine.Binding, error) {
			return engine.Binding{Type: typ, Extractor: fn(ex)}, nil
		}
	}
	return engine.FieldDef{Info: info, Bind: b}
}

// appendInt renders v in decimal.
func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// f64bits encodes a float64 as engine.TypeDouble carries it.
func f64bits(f float64) uint64 { return math.Float64bits(f) }
