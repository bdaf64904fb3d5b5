package export

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// A columnar writes a batch of rows of one class into a Parquet writer's
// column buffers, each value with its definition and repetition levels.
// parquet-go's own row writer (GenericWriter.Write) goes row by row below
// every optional group held by pointer (a process's file, user, group and
// parent, the container) and, below such a group, writes an optional
// timestamp as always null (parent_process.created_time was lost that
// way). A columnar is a plan made once per row type from the writer's
// schema: the groups on the way to the leaves, each reached from its
// parent group by a field offset, and the leaves, read from their group.
// It finds each row's groups once, then appends one column's values at a
// time.
type columnar struct {
	groups  []groupPlan
	leaves  []leafPlan
	rowSize uintptr
	// Per row of the rows being written and group: where the group is
	// (nil when it or a group above it is absent) and the definition
	// level reached there (locate).
	at  []unsafe.Pointer
	def []int
	// values holds one column's values of the rows being written.
	values []parquet.Value
}

// leafKind is the Go type of a leaf column's field.
type leafKind uint8

const (
	leafString leafKind = iota
	leafInt32
	leafInt64
	leafBool
	leafTime       // time.Time as a timestamp in milliseconds
	leafStringList // []string as a LIST of required strings
)

// hop is one step from a group (or the row) to one of its fields.
type hop struct {
	offset uintptr
	// pointer: the field holds a pointer; nil makes what is below it null
	// at the definition level reached before it.
	pointer bool
	// optional: the field's schema node is optional, so a present value
	// adds a definition level.
	optional bool
}

// groupPlan is a group (a struct field) on the way to leaves; group 0 is
// the row itself.
type groupPlan struct {
	parent int
	hop    hop
	path   string
}

// leafPlan is how to find one leaf column's value in its group.
type leafPlan struct {
	column int
	group  int
	hop    hop
	kind   leafKind
	// zeroNull: an optional leaf held by value, whose zero value is null
	// (parquet-go's reading of an optional tag on a non-pointer field).
	zeroNull bool
	maxDef   int
}

// newColumnar makes the plan of rows of type rowType for schema, which must
// be the schema parquet-go derives from rowType.
func newColumnar(rowType reflect.Type, schema *parquet.Schema) (*columnar, error) {
	c := &columnar{rowSize: rowType.Size(), groups: []groupPlan{{parent: -1}}}
	for col, path := range schema.Columns() {
		l, err := c.planLeaf(rowType, schema, path)
		if err != nil {
			return nil, fmt.Errorf("export: column %s of %s: %w", strings.Join(path, "."), rowType, err)
		}
		l.column = col
		leaf, _ := schema.Lookup(path...)
		if def, rep := c.levels(&l); def != leaf.MaxDefinitionLevel || rep != leaf.MaxRepetitionLevel {
			return nil, fmt.Errorf("export: column %s of %s: planned levels %d/%d, schema's %d/%d",
				strings.Join(path, "."), rowType, def, rep, leaf.MaxDefinitionLevel, leaf.MaxRepetitionLevel)
		}
		l.maxDef = leaf.MaxDefinitionLevel
		c.leaves = append(c.leaves, l)
	}
	c.at = make([]unsafe.Pointer, maxRowsPerWrite*len(c.groups))
	c.def = make([]int, maxRowsPerWrite*len(c.groups))
	return c, nil
}

// planLeaf resolves the column at path through the fields of rowType and
// the nodes of schema, adding the groups on the way.
func (c *columnar) planLeaf(rowType reflect.Type, schema *parquet.Schema, path []string) (leafPlan, error) {
	var l leafPlan
	t := rowType
	var node parquet.Node = schema
	group := 0
	for i := 0; i < len(path); i++ {
		name := path[i]
		if t.Kind() != reflect.Struct {
			return l, fmt.Errorf("%s is below a %s, not a struct", name, t)
		}
		f, offset, ok := fieldByTag(t, name)
		if !ok {
			return l, fmt.Errorf("no field tagged %q in %s", name, t)
		}
		child := fieldNode(node, name)
		if child == nil {
			return l, fmt.Errorf("no schema node %q", name)
		}
		h := hop{offset: offset, optional: child.Optional()}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			h.pointer = true
			ft = ft.Elem()
		}
		node, t = child, ft
		last := i == len(path)-1
		if !last && ft.Kind() == reflect.Slice {
			// A LIST: the group, its repeated "list" and the element.
			if ft.Elem().Kind() != reflect.String || i != len(path)-3 || path[i+1] != "list" || path[i+2] != "element" {
				return l, fmt.Errorf("%s: only lists of strings are written", name)
			}
			if h.optional || h.pointer {
				return l, fmt.Errorf("%s: only required lists are written", name)
			}
			l.group, l.hop, l.kind = group, h, leafStringList
			return l, nil
		}
		if !last {
			group = c.group(group, h, strings.Join(path[:i+1], "."))
			continue
		}
		l.group, l.hop = group, h
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		if !isMillisTimestamp(node.Type().LogicalType()) {
			return l, fmt.Errorf("only timestamps in milliseconds are written")
		}
		l.kind = leafTime
	case t.Kind() == reflect.String:
		l.kind = leafString
	case t.Kind() == reflect.Int32:
		l.kind = leafInt32
	case t.Kind() == reflect.Int64:
		l.kind = leafInt64
	case t.Kind() == reflect.Bool:
		l.kind = leafBool
	default:
		return l, fmt.Errorf("a leaf of Go type %s is not written", t)
	}
	l.zeroNull = l.hop.optional && !l.hop.pointer
	return l, nil
}

// isMillisTimestamp reports a TIMESTAMP logical type in milliseconds.
func isMillisTimestamp(lt *format.LogicalType) bool {
	if lt == nil {
		return false
	}
	ts, ok := lt.Value.(*format.TimestampType)
	if !ok {
		return false
	}
	_, ms := ts.Unit.Value.(*format.MilliSeconds)
	return ms
}

// group returns the index of the group reached from parent by h, adding
// it; groups come after their parents.
func (c *columnar) group(parent int, h hop, path string) int {
	for i, g := range c.groups {
		if g.path == path {
			return i
		}
	}
	c.groups = append(c.groups, groupPlan{parent: parent, hop: h, path: path})
	return len(c.groups) - 1
}

// levels returns the maximum definition and repetition levels the plan
// writes for l.
func (c *columnar) levels(l *leafPlan) (def, rep int) {
	if l.hop.optional {
		def++
	}
	for g := l.group; g > 0; g = c.groups[g].parent {
		if c.groups[g].hop.optional {
			def++
		}
	}
	if l.kind == leafStringList {
		def++ // the repeated "list" group
		rep++
	}
	return def, rep
}

// fieldByTag finds the field of struct t whose parquet name is name,
// looking into embedded structs as parquet-go does, and its offset.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, uintptr, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("parquet")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			if g, off, ok := fieldByTag(f.Type, name); ok {
				return g, f.Offset + off, true
			}
			continue
		}
		n, _, _ := strings.Cut(tag, ",")
		if n == "" {
			n = f.Name
		}
		if n == name {
			return f, f.Offset, true
		}
	}
	return reflect.StructField{}, 0, false
}

// fieldNode returns the child of node named name.
func fieldNode(node parquet.Node, name string) parquet.Node {
	for _, f := range node.Fields() {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

// maxRowsPerWrite is how many rows go into the column buffers between
// checks for full pages: a page holds whole rows, so a large write would
// overshoot the page size (parquet-go's own writer uses the same bound).
const maxRowsPerWrite = 64

// write writes rows (a []T of the plan's row type, given by its first
// element and length) into the column buffers of a writer of the plan's
// schema, maxRowsPerWrite rows at a time: it finds the groups of each row
// once, then appends one column's values at a time.
func (c *columnar) write(cols []*parquet.ColumnWriter, first unsafe.Pointer, n int) error {
	for start := 0; start < n; start += maxRowsPerWrite {
		rows := min(maxRowsPerWrite, n-start)
		c.locate(unsafe.Add(first, uintptr(start)*c.rowSize), rows)
		for i := range c.leaves {
			l := &c.leaves[i]
			c.values = l.appendColumn(c.values[:0], c.at, c.def, len(c.groups), rows)
			if _, err := cols[l.column].WriteRowValues(c.values); err != nil {
				return err
			}
		}
		clear(c.values)
	}
	clear(c.at) // an idle writer holds nothing of the rows
	return nil
}

// locate finds the groups of rows rows from first: c.at[r*G+g] is where
// group g of row r is (nil when it or a group above it is absent) and
// c.def[r*G+g] the definition level reached there, G the number of groups.
func (c *columnar) locate(first unsafe.Pointer, rows int) {
	ng := len(c.groups)
	for r := range rows {
		at, def := c.at[r*ng:(r+1)*ng], c.def[r*ng:(r+1)*ng]
		at[0], def[0] = unsafe.Add(first, uintptr(r)*c.rowSize), 0
		for g := 1; g < ng; g++ {
			gp := &c.groups[g]
			p, d := fieldAt(at[gp.parent], gp.hop.offset, gp.hop.pointer), def[gp.parent]
			if p != nil && gp.hop.optional {
				d++
			}
			at[g], def[g] = p, d
		}
	}
}

// appendColumn appends the leaf's values of rows rows whose groups locate
// found: one loop per kind of leaf, so that nothing but the data decides a
// value.
func (l *leafPlan) appendColumn(dst []parquet.Value, at []unsafe.Pointer, def []int, groups, rows int) []parquet.Value {
	col, off, ptr, zeroNull, end := l.column, l.hop.offset, l.hop.pointer, l.zeroNull, rows*groups
	inc := 0 // a present optional leaf adds a definition level
	if l.hop.optional {
		inc = 1
	}
	switch l.kind {
	case leafString:
		for i := l.group; i < end; i += groups {
			p := fieldAt(at[i], off, ptr)
			if p == nil || zeroNull && *(*string)(p) == "" {
				dst = appendRaw(dst, rawNull, nil, 0, 0, def[i], col)
				continue
			}
			s := *(*string)(p)
			dst = appendRaw(dst, rawByteArray, unsafe.StringData(s), uint64(len(s)), 0, def[i]+inc, col)
		}
	case leafInt32:
		for i := l.group; i < end; i += groups {
			p := fieldAt(at[i], off, ptr)
			if p == nil || zeroNull && *(*int32)(p) == 0 {
				dst = appendRaw(dst, rawNull, nil, 0, 0, def[i], col)
				continue
			}
			dst = appendRaw(dst, rawInt32, nil, uint64(*(*int32)(p)), 0, def[i]+inc, col)
		}
	case leafInt64:
		for i := l.group; i < end; i += groups {
			p := fieldAt(at[i], off, ptr)
			if p == nil || zeroNull && *(*int64)(p) == 0 {
				dst = appendRaw(dst, rawNull, nil, 0, 0, def[i], col)
				continue
			}
			dst = appendRaw(dst, rawInt64, nil, uint64(*(*int64)(p)), 0, def[i]+inc, col)
		}
	case leafBool:
		for i := l.group; i < end; i += groups {
			p := fieldAt(at[i], off, ptr)
			if p == nil || zeroNull && !*(*bool)(p) {
				dst = appendRaw(dst, rawNull, nil, 0, 0, def[i], col)
				continue
			}
			var u64 uint64
			if *(*bool)(p) {
				u64 = 1
			}
			dst = appendRaw(dst, rawBoolean, nil, u64, 0, def[i]+inc, col)
		}
	case leafTime:
		for i := l.group; i < end; i += groups {
			p := fieldAt(at[i], off, ptr)
			if p == nil || zeroNull && (*time.Time)(p).IsZero() {
				dst = appendRaw(dst, rawNull, nil, 0, 0, def[i], col)
				continue
			}
			dst = appendRaw(dst, rawInt64, nil, uint64((*time.Time)(p).UnixMilli()), 0, def[i]+inc, col)
		}
	case leafStringList:
		for i := l.group; i < end; i += groups {
			p := fieldAt(at[i], off, ptr)
			if p == nil || len(*(*[]string)(p)) == 0 {
				dst = appendRaw(dst, rawNull, nil, 0, 0, def[i], col)
				continue
			}
			for k, s := range *(*[]string)(p) {
				dst = appendRaw(dst, rawByteArray, unsafe.StringData(s), uint64(len(s)), min(k, 1), l.maxDef, col)
			}
		}
	}
	return dst
}

// fieldAt returns the address of the field at off in the group at g (a
// leaf, or a group below it), following it when it holds a pointer; nil
// when the group or the pointer is absent.
func fieldAt(g unsafe.Pointer, off uintptr, pointer bool) unsafe.Pointer {
	if g == nil {
		return nil
	}
	p := unsafe.Add(g, off)
	if pointer {
		p = *(*unsafe.Pointer)(p)
	}
	return p
}

// rawValue mirrors the memory layout of parquet.Value (parquet-go v0.32:
// data pointer, 64-bit data, complemented kind, definition and repetition
// levels, complemented column index). Building a value through its
// constructor and Level costs a store-forwarding stall per value (Level is
// not inlined and rewrites single bytes of a copy it then reloads whole),
// a third of the writing time; values are built in place instead.
// TestRawValueLayout compares the two ways for every kind the export
// writes, so an upgrade that changes the layout fails the tests.
type rawValue struct {
	ptr  *byte
	u64  uint64
	kind int8
	def  byte
	rep  byte
	col  uint16
}

// Complemented kinds, as parquet.Value keeps them.
var (
	rawBoolean   = ^int8(parquet.Boolean)
	rawInt32     = ^int8(parquet.Int32)
	rawInt64     = ^int8(parquet.Int64)
	rawByteArray = ^int8(parquet.ByteArray)
)

// appendRaw appends a parquet.Value of kind (rawNull: a null) with its data
// and levels, written in place.
func appendRaw(dst []parquet.Value, kind int8, ptr *byte, u64 uint64, rep, def, col int) []parquet.Value {
	n := len(dst)
	if n == cap(dst) {
		dst = append(dst, parquet.Value{})
	}
	dst = dst[:n+1]
	r := (*rawValue)(unsafe.Pointer(&dst[n]))
	r.ptr, r.u64, r.kind, r.def, r.rep, r.col = ptr, u64, kind, byte(def), byte(rep), ^uint16(col)
	return dst
}

// rawNull is the kind of a null value.
const rawNull = 0
