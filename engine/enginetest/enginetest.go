package enginetest

import (
	"math"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/retrace-dev/retrace/engine"
)

// Event is an in-memory event. Values maps a bound field key ("proc.name",
// "proc.aname[2]", "evt.arg.flags", "evt.arg[0]", "proc.env[HOME]") to its
// values; a missing key is a missing value. Extractors cache the lookups per
// event, so repeated evaluation costs a slice index, not a map lookup.
type Event struct {
	// ID is the dispatch id.
	ID int
	// Values are the field values by key.
	Values map[string][]engine.Value

	owner  *slotTable // registry whose slots the cache uses
	cached []bool
	slots  [][]engine.Value
}

// DispatchID returns e.ID.
func (e *Event) DispatchID() int { return e.ID }

// Set sets the values of key and returns e, for chaining.
func (e *Event) Set(key string, vs ...engine.Value) *Event {
	if e.Values == nil {
		e.Values = make(map[string][]engine.Value)
	}
	e.Values[key] = vs
	e.owner = nil
	return e
}

// lookup returns the values of key, cached in slot.
func (e *Event) lookup(t *slotTable, slot int, key string) []engine.Value {
	if e.owner != t || slot >= len(e.slots) {
		if e.owner != t {
			e.cached = e.cached[:0]
			e.slots = e.slots[:0]
		}
		e.owner = t
		for len(e.slots) <= slot {
			e.slots = append(e.slots, nil)
			e.cached = append(e.cached, false)
		}
	}
	if !e.cached[slot] {
		e.slots[slot] = e.Values[key]
		e.cached[slot] = true
	}
	return e.slots[slot]
}

// slotTable numbers the keys a registry has bound.
type slotTable struct {
	mu    sync.Mutex
	slots map[string]int
}

func (t *slotTable) slot(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.slots[key]
	if !ok {
		s = len(t.slots)
		t.slots[key] = s
	}
	return s
}

// Str returns a string value.
func Str(s string) engine.Value { return engine.Value{Bytes: []byte(s)} }

// Int returns a signed integer value.
func Int(n int64) engine.Value { return engine.Value{Num: uint64(n)} }

// Uint returns an unsigned integer value.
func Uint(n uint64) engine.Value { return engine.Value{Num: n} }

// Bool returns a boolean value.
func Bool(b bool) engine.Value {
	if b {
		return engine.Value{Num: 1}
	}
	return engine.Value{}
}

// Double returns a floating point value.
func Double(f float64) engine.Value { return engine.Value{Num: math.Float64bits(f)} }

// IP returns an address value; it panics on a malformed address (tests only).
func IP(s string) engine.Value {
	a := netip.MustParseAddr(s)
	return engine.Value{Bytes: a.AsSlice()}
}

// keyExtractor extracts the values stored under one key.
type keyExtractor struct {
	table  *slotTable
	slot   int
	key    string
	single bool
}

// Extract appends the values stored under the key.
func (k *keyExtractor) Extract(ev engine.Event, dst []engine.Value) []engine.Value {
	e, ok := ev.(*Event)
	if !ok {
		return dst
	}
	vs := e.lookup(k.table, k.slot, k.key)
	if k.single && len(vs) > 1 {
		vs = vs[:1]
	}
	return append(dst, vs...)
}

// Field describes one field of the fake registry.
type Field struct {
	engine.FieldInfo
	// AnyOf is the multiplicity used when the field is written without an
	// argument (proc.aname: any ancestor).
	AnyOf bool
}

// DefaultFields are the fields of [NewRegistry]: a cross-section of Falco's
// fields covering every type, argument kind and multiplicity.
var DefaultFields = []Field{
	{FieldInfo: engine.FieldInfo{Name: "evt.type", Type: engine.TypeString, Desc: "event type name"}},
	{FieldInfo: engine.FieldInfo{Name: "syscall.type", Type: engine.TypeString, Desc: "system call name"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.num", Type: engine.TypeUint64, Desc: "event number"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.time", Type: engine.TypeAbsTime, Desc: "event time"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.dir", Type: engine.TypeString, Flags: engine.FlagDeprecated, Desc: "direction"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.rawres", Type: engine.TypeInt64, Desc: "return value"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.res", Type: engine.TypeString, Desc: "result"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.buffer", Type: engine.TypeBytes, Desc: "I/O buffer"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.is_open_read", Type: engine.TypeBool, Desc: "opened for reading"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.outputtime", Type: engine.TypeAbsTime, Flags: engine.FlagPrintOnly, Desc: "output time"}},
	{FieldInfo: engine.FieldInfo{Name: "evt.arg", Type: engine.TypeString, Arg: engine.ArgRequired,
		ArgSyntax: engine.ArgIndex | engine.ArgKey | engine.ArgDotted, Desc: "event argument"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.name", Type: engine.TypeString, Desc: "process name"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.pname", Type: engine.TypeString, Desc: "parent name"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.cmdline", Type: engine.TypeString, Desc: "command line"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.exepath", Type: engine.TypeString, Desc: "executable path"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.pid", Type: engine.TypePID, Desc: "process id"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.ppid", Type: engine.TypePID, Desc: "parent process id"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.tty", Type: engine.TypeUint64, Desc: "terminal"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.aname", Type: engine.TypeString, Arg: engine.ArgOptional,
		ArgSyntax: engine.ArgIndex, Flags: engine.FlagNoRHS | engine.FlagNoTransformer, Desc: "ancestor name"}, AnyOf: true},
	{FieldInfo: engine.FieldInfo{Name: "proc.args", Type: engine.TypeString, Arg: engine.ArgOptional,
		ArgSyntax: engine.ArgIndex, Desc: "arguments"}},
	{FieldInfo: engine.FieldInfo{Name: "proc.env", Type: engine.TypeString, Arg: engine.ArgOptional,
		ArgSyntax: engine.ArgKey, Desc: "environment"}},
	{FieldInfo: engine.FieldInfo{Name: "thread.cpu", Type: engine.TypeDouble, Desc: "cpu usage"}},
	{FieldInfo: engine.FieldInfo{Name: "user.uid", Type: engine.TypeUID, Desc: "user id"}},
	{FieldInfo: engine.FieldInfo{Name: "user.name", Type: engine.TypeString, Desc: "user name"}},
	{FieldInfo: engine.FieldInfo{Name: "fd.name", Type: engine.TypeString, Desc: "fd name"}},
	{FieldInfo: engine.FieldInfo{Name: "fd.num", Type: engine.TypeFD, Desc: "fd number"}},
	{FieldInfo: engine.FieldInfo{Name: "fd.sip", Type: engine.TypeIPAddr, Desc: "server address"}},
	{FieldInfo: engine.FieldInfo{Name: "fd.net", Type: engine.TypeIPNet, Flags: engine.FlagFilterOnly | engine.FlagNoRHS, Desc: "any address"}},
	{FieldInfo: engine.FieldInfo{Name: "fd.sport", Type: engine.TypePort, Desc: "server port"}},
	{FieldInfo: engine.FieldInfo{Name: "fd.types", Type: engine.TypeString, List: true, Desc: "fd types"}},
	{FieldInfo: engine.FieldInfo{Name: "container.id", Type: engine.TypeString, Desc: "container id"}},
}

// NewRegistry returns a registry of fields whose extractors read the values
// an [*Event] stores under the bound key: the field name followed by the
// argument as written ("proc.aname[2]", "evt.arg.flags", "evt.arg[0]").
func NewRegistry(fields []Field) *engine.FieldTable {
	table := &slotTable{slots: make(map[string]int)}
	defs := make([]engine.FieldDef, len(fields))
	for i, f := range fields {
		defs[i] = engine.FieldDef{Info: f.FieldInfo, Bind: func(arg engine.Arg) (engine.Binding, error) {
			key := f.Name + arg.String()
			x := &keyExtractor{table: table, slot: table.slot(key), key: key, single: true}
			b := engine.Binding{Type: f.Type, Extractor: x}
			switch {
			case f.List:
				b.Values, x.single = engine.Set, false
			case f.AnyOf && !arg.Present:
				b.Values, x.single = engine.AnyOf, false
			}
			return b, nil
		}}
	}
	t, err := engine.NewFieldTable(defs)
	if err != nil {
		panic(err) // DefaultFields and test tables are static
	}
	return t
}

// EventTypes is a small event type table: each name has one or two ids
// (enter and exit), in the order of Names.
type EventTypes struct {
	names []string
	ids   map[string][]int
}

// DefaultEventNames are the names of [NewEventTypes]' default table; the
// first 12 have enter and exit ids, the rest one id each (like generic
// syscall events).
var DefaultEventNames = []string{
	"open", "openat", "execve", "close", "connect", "read", "write", "clone", "accept", "chmod", "unlink", "ptrace",
	"madvise", "mlock", "userfaultfd",
}

// NewEventTypes returns a table where the first paired names get two ids
// (enter, exit) and the others one.
func NewEventTypes(names []string, paired int) *EventTypes {
	t := &EventTypes{ids: make(map[string][]int)}
	for i, n := range names {
		reps := 1
		if i < paired {
			reps = 2
		}
		for range reps {
			t.ids[n] = append(t.ids[n], len(t.names))
			t.names = append(t.names, n)
		}
	}
	return t
}

// Default returns NewEventTypes(DefaultEventNames, 12).
func Default() *EventTypes { return NewEventTypes(DefaultEventNames, 12) }

// Count returns the number of ids.
func (t *EventTypes) Count() int { return len(t.names) }

// IDs returns the ids named name.
func (t *EventTypes) IDs(name string) []int { return t.ids[name] }

// Name returns the name of id.
func (t *EventTypes) Name(id int) string {
	if id < 0 || id >= len(t.names) {
		return ""
	}
	return t.names[id]
}

// ID returns the first (enter) id of name, or -1.
func (t *EventTypes) ID(name string) int {
	if ids := t.ids[name]; len(ids) > 0 {
		return ids[0]
	}
	return -1
}

// Names returns the distinct names in table order.
func (t *EventTypes) Names() []string { return slices.Compact(slices.Clone(t.names)) }

// BenchmarkMatch runs rs.Match over events round-robin and reports
// ns/event, events/s and matches/event. Use it with any registry: the
// engine's own benchmarks pass the fake one, replay passes its real one.
func BenchmarkMatch(b *testing.B, rs *engine.Ruleset, events []engine.Event) {
	b.Helper()
	if len(events) == 0 {
		b.Fatal("no events")
	}
	b.ReportAllocs()
	n, matches := 0, 0
	for b.Loop() {
		matches += len(rs.Match(events[n%len(events)]))
		n++
	}
	sec := b.Elapsed().Seconds()
	if n > 0 && sec > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
		b.ReportMetric(float64(n)/sec, "events/s")
		b.ReportMetric(float64(matches)/float64(n), "matches/event")
	}
}
