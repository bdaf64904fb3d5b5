package export

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// TestRawValueLayout checks that values built in place (appendRaw) equal
// the ones parquet-go's constructors and Level build, for every kind the
// export writes: it fails when an upgrade of parquet-go changes the
// layout of parquet.Value.
func TestRawValueLayout(t *testing.T) {
	if unsafe.Sizeof(rawValue{}) != unsafe.Sizeof(parquet.Value{}) {
		t.Fatalf("parquet.Value is %d bytes, rawValue %d", unsafe.Sizeof(parquet.Value{}), unsafe.Sizeof(rawValue{}))
	}
	text := []byte("abc")
	neg32, neg64 := int32(-7), int64(-1<<40)
	cases := []struct {
		name string
		want parquet.Value
		kind int8
		ptr  *byte
		u64  uint64
	}{
		{"null", parquet.NullValue(), rawNull, nil, 0},
		{"true", parquet.BooleanValue(true), rawBoolean, nil, 1},
		{"false", parquet.BooleanValue(false), rawBoolean, nil, 0},
		{"int32", parquet.Int32Value(7), rawInt32, nil, 7},
		{"negative int32", parquet.Int32Value(neg32), rawInt32, nil, uint64(neg32)},
		{"int64", parquet.Int64Value(neg64), rawInt64, nil, uint64(neg64)},
		{"bytes", parquet.ByteArrayValue(text), rawByteArray, &text[0], 3},
		{"empty bytes", parquet.ByteArrayValue(nil), rawByteArray, nil, 0},
	}
	for _, c := range cases {
		for _, lv := range [][3]int{{0, 0, 0}, {1, 3, 17}, {0, 9, 140}} {
			want := c.want.Level(lv[0], lv[1], lv[2])
			got := appendRaw(nil, c.kind, c.ptr, c.u64, lv[0], lv[1], lv[2])[0]
			if got != want || got.Kind() != want.Kind() || got.DefinitionLevel() != lv[1] ||
				got.RepetitionLevel() != lv[0] || got.Column() != lv[2] ||
				c.kind == rawByteArray && !bytes.Equal(got.ByteArray(), want.ByteArray()) {
				t.Errorf("%s at levels %v: built %#v, parquet-go builds %#v", c.name, lv, got, want)
			}
		}
	}
}

// randomRows returns n rows of type T with every optional part present or
// absent at random, zero and non-zero values, and lists of 0-3 elements.
func randomRows[T any](r *rand.Rand, n int) []T {
	rows := make([]T, n)
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		fillRandom(r, v)
		// The event time is required: never the zero time.
		v.FieldByName("Time").Set(reflect.ValueOf(time.UnixMilli(1.7e12 + int64(i)).UTC()))
	}
	return rows
}

// fillRandom sets v to a random value of its type.
func fillRandom(r *rand.Rand, v reflect.Value) {
	words := []string{"", "bash", "/usr/bin/bash", "root", "a much longer command line with arguments", "é∂"}
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		if r.IntN(4) > 0 {
			// Milliseconds: the timestamps' unit.
			v.Set(reflect.ValueOf(time.UnixMilli(r.Int64N(4e12) - 1e12).UTC()))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillRandom(r, v.Field(i))
		}
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fillRandom(r, v.Elem())
		}
	case reflect.String:
		v.SetString(words[r.IntN(len(words))])
	case reflect.Int32, reflect.Int64:
		if r.IntN(4) > 0 {
			v.SetInt(r.Int64N(1<<31) - 1<<30)
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Slice:
		n := r.IntN(4)
		if n == 0 {
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fillRandom(r, s.Index(i))
		}
		v.Set(s)
	default:
		panic("fillRandom: " + v.Type().String())
	}
}

// writePart writes rows through the export's part writer (the columnar
// path) and returns the file.
func writePart[T any](t *testing.T, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.parquet")
	p, err := newPart[T](writerPool{}, 1, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		*p.slot() = r
		if err := p.done(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.close(""); err != nil {
		t.Fatal(err)
	}
	return path
}

// openParquet opens the Parquet file at path for the test's length.
func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

// TestColumnarRoundTrip writes random rows of every class through the
// part writer, more than a row group's worth, and reads them back with
// parquet-go's reader: every value, null and list comes back.
func TestColumnarRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := rowGroupRows + 1500 // two row groups
	if testing.Short() {
		n = 3000
	}
	roundTrip(t, randomRows[ProcessActivity](r, n))
	roundTrip(t, randomRows[FileActivity](r, 2000))
	roundTrip(t, randomRows[NetworkActivity](r, 2000))
	roundTrip(t, randomRows[DetectionFinding](r, 2000))
}

func roundTrip[T any](t *testing.T, rows []T) {
	t.Helper()
	path := writePart(t, rows)
	got, err := parquet.ReadFile[T](path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%T: read %d rows, wrote %d", rows[0], len(got), len(rows))
	}
	pf := openParquet(t, path)
	if want := (len(rows) + rowGroupRows - 1) / rowGroupRows; len(pf.RowGroups()) != want {
		t.Errorf("%T: %d row groups, want %d", rows[0], len(pf.RowGroups()), want)
	}
	for i := range rows {
		if d := firstDiff(reflect.ValueOf(rows[i]), reflect.ValueOf(got[i]), ""); d != "" {
			t.Fatalf("%T row %d read back differs at %s", rows[0], i, d)
		}
	}
}

// TestColumnarNulls checks the definition levels written for absent
// groups, present groups with empty attributes, zero optional values and
// pointers to zero values, as a reader such as DuckDB sees them.
func TestColumnarNulls(t *testing.T) {
	zero := int64(0)
	base := func() Base { return Base{Time: time.UnixMilli(1.7e12).UTC()} }
	rows := []ProcessActivity{
		{Base: base()}, // no container, no parent
		{Base: base(), Process: Process{ParentProcess: &ParentProcess{PID: 1, CreatedTime: time.UnixMilli(1.6e12)}}},
		{Base: base(), Process: Process{PID: 7}},
	}
	rows[1].Container = &Container{}
	rows[1].Unmapped.FdNum = &zero
	path := writePart(t, rows)
	pf := openParquet(t, path)
	read := make([]parquet.Row, len(rows))
	rr := pf.RowGroups()[0].Rows()
	defer rr.Close()
	if n, err := rr.ReadRows(read); n != len(rows) {
		t.Fatalf("read %d rows: %v", n, err)
	}
	cases := []struct {
		row  int
		path string
		def  int // definition level
		null bool
		want any // the value when not null
	}{
		{0, "container.uid", 0, true, nil},
		{1, "container.uid", 1, false, ""},  // present group, required empty uid
		{1, "container.name", 1, true, nil}, // present group, empty optional name
		{1, "container.image.name", 1, true, nil},
		{0, "process.parent_process.created_time", 0, true, nil},
		{1, "process.parent_process.created_time", 2, false, int64(1.6e12)},
		{1, "process.parent_process.pid", 2, false, int32(1)},
		{2, "process.pid", 1, false, int32(7)},
		{0, "process.pid", 0, true, nil},           // zero optional int: null
		{1, "unmapped.fd_num", 1, false, int64(0)}, // pointer to zero: present
		{0, "unmapped.fd_num", 0, true, nil},
		{0, "unmapped.proc_tty", 0, true, nil},
		{0, "process.lineage.list.element", 0, true, nil},
	}
	for _, c := range cases {
		leaf, ok := pf.Schema().Lookup(strings.Split(c.path, ".")...)
		if !ok {
			t.Fatalf("no column %s", c.path)
		}
		var v parquet.Value
		read[c.row].Range(func(col int, vs []parquet.Value) bool {
			if col == leaf.ColumnIndex {
				v = vs[0]
				return false
			}
			return true
		})
		if v.DefinitionLevel() != c.def || v.IsNull() != c.null {
			t.Errorf("row %d %s: definition level %d null %v, want %d %v", c.row, c.path, v.DefinitionLevel(), v.IsNull(), c.def, c.null)
			continue
		}
		if !c.null {
			var got any
			switch want := c.want.(type) {
			case string:
				got = string(v.ByteArray())
			case int32:
				got = v.Int32()
			case int64:
				got = v.Int64()
			default:
				t.Fatalf("%T", want)
			}
			if got != c.want {
				t.Errorf("row %d %s: %v, want %v", c.row, c.path, got, c.want)
			}
		}
	}
}

// firstDiff describes the first difference between a and b, "" if none.
func firstDiff(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) {
				return fmt.Sprintf("%s: wrote %v, read %v", path, a, b)
			}
			return ""
		}
		for i := range a.NumField() {
			if d := firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: wrote nil=%v, read nil=%v", path, a.IsNil(), b.IsNil())
		}
		if !a.IsNil() {
			return firstDiff(a.Elem(), b.Elem(), path)
		}
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: wrote %d elements, read %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	default:
		if !a.Equal(b) {
			return fmt.Sprintf("%s: wrote %v, read %v", path, a, b)
		}
	}
	return ""
}

// TestColumnarRefusesUnplannedTypes checks that a row type the plan
// cannot write exactly is refused when its writer is made, not written
// wrong.
func TestColumnarRefusesUnplannedTypes(t *testing.T) {
	type optionalList struct {
		L []string `parquet:"l,optional,list"`
	}
	type floatLeaf struct {
		F float64 `parquet:"f"`
	}
	type intList struct {
		L []int32 `parquet:"l,list"`
	}
	type microTime struct {
		T time.Time `parquet:"t,timestamp(microsecond)"`
	}
	for _, rowType := range []reflect.Type{reflect.TypeFor[optionalList](), reflect.TypeFor[floatLeaf](), reflect.TypeFor[intList](),
		reflect.TypeFor[microTime]()} {
		schema := parquet.SchemaOf(reflect.New(rowType).Elem().Interface())
		if _, err := newColumnar(rowType, schema); err == nil {
			t.Errorf("%s: planned", rowType)
		}
	}
	for _, c := range Classes {
		if _, err := newColumnar(reflect.TypeOf(c.Row), parquet.SchemaOf(c.Row)); err != nil {
			t.Errorf("%T: %v", c.Row, err)
		}
	}
}
