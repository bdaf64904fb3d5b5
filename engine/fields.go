package engine

import (
	"errors"
	"fmt"
	"strings"
)

// This file is the contract between the engine and whoever supplies field
// values (package replay). The engine never looks inside an event: it asks a
// [Registry] for the [FieldInfo] of every field a condition or output names,
// binds the field's argument once at compile time ([Registry.Bind]) and then
// calls the returned [Extractor] for each event it evaluates.
//
// Implementing a registry (what replay does):
//
//   - Describe every field with a FieldInfo: Name ("proc.aname"), Type, how it
//     takes an argument (Arg, ArgSyntax), whether it is list-valued, flags
//     and a one-line description. Fields() lists them all (for
//     `retrace rules fields`), Info(name) finds one by exact name.
//   - Bind(name, arg) is called once per field occurrence at compile time,
//     after the engine has checked that arg's presence and syntax match the
//     FieldInfo. It returns a Binding: the effective type (evt.rawarg.NAME
//     resolves PT_DYN to a concrete type here), whether the bound extractor
//     can return several values, and the Extractor. Reject bad argument
//     values (evt.arg.nosuchparam, proc.aname[x]) with an error; wrap
//     ErrUnknownField when the field does not exist.
//   - Extract(ev, dst) appends the field's values for ev to dst and returns
//     the extended slice. It must not allocate: strings are []byte views into
//     the event, the state or a scratch buffer owned by the bound extractor,
//     valid until the same extractor is called again or the next event is
//     processed (the engine holds both sides of a val() comparison). A
//     missing value (no thread, no fd, no such parameter) is reported by
//     appending nothing. A Single field appends at most one value; AnyOf
//     (proc.aname without index: one value per ancestor) and Set fields
//     (fd.types) append one value per element.
//
// Value encoding by FieldType: see the constants below.

// FieldType is the type of the values a field produces. It mirrors the
// libsinsp PT_* types that rule conditions compare on.
type FieldType uint8

// Field types. Each says how a [Value] carries it.
const (
	// TypeInvalid is the zero FieldType; no field has it.
	TypeInvalid FieldType = iota
	// TypeString is text (PT_CHARBUF, PT_FSPATH, PT_FSRELPATH) in Value.Bytes.
	TypeString
	// TypeBytes is a raw byte buffer (PT_BYTEBUF) in Value.Bytes.
	TypeBytes
	// TypeInt64 is a signed integer (PT_INT8..PT_INT64, PT_ERRNO) stored as
	// uint64(int64(x)) in Value.Num.
	TypeInt64
	// TypeUint64 is an unsigned integer (PT_UINT8..PT_UINT64) in Value.Num.
	TypeUint64
	// TypeBool is a boolean (PT_BOOL): Value.Num is 0 or 1.
	TypeBool
	// TypeDouble is a float64 (PT_DOUBLE) stored as math.Float64bits in Value.Num.
	TypeDouble
	// TypeIPAddr is an IPv4 or IPv6 address (PT_IPADDR, PT_IPV4ADDR,
	// PT_IPV6ADDR): Value.Bytes holds 4 or 16 bytes in network order.
	TypeIPAddr
	// TypeIPNet is an IP network field (PT_IPNET, fd.net): the extractor
	// returns the event's address in Value.Bytes (4 or 16 bytes) and checks
	// test whether it lies in the networks written in the condition.
	TypeIPNet
	// TypePort is a TCP/UDP port or protocol number (PT_PORT) in Value.Num.
	TypePort
	// TypeRelTime is a duration in nanoseconds (PT_RELTIME) in Value.Num.
	TypeRelTime
	// TypeAbsTime is a time in nanoseconds since the Unix epoch (PT_ABSTIME)
	// in Value.Num.
	TypeAbsTime
	// TypeFD is a file descriptor number (PT_FD), signed, as TypeInt64.
	TypeFD
	// TypePID is a process or thread id (PT_PID), signed, as TypeInt64.
	TypePID
	// TypeMode is a file mode (PT_MODE), unsigned, in Value.Num.
	TypeMode
	// TypeFlags is a flag bit set (PT_FLAGS8/16/32, PT_ENUMFLAGS*), unsigned,
	// in Value.Num.
	TypeFlags
	// TypeUID is a user id (PT_UID), unsigned, in Value.Num.
	TypeUID
	// TypeGID is a group id (PT_GID), unsigned, in Value.Num.
	TypeGID
	numFieldTypes
)

var fieldTypeNames = [numFieldTypes]string{
	TypeInvalid: "invalid",
	TypeString:  "string",
	TypeBytes:   "bytes",
	TypeInt64:   "int64",
	TypeUint64:  "uint64",
	TypeBool:    "bool",
	TypeDouble:  "double",
	TypeIPAddr:  "ipaddr",
	TypeIPNet:   "ipnet",
	TypePort:    "port",
	TypeRelTime: "reltime",
	TypeAbsTime: "abstime",
	TypeFD:      "fd",
	TypePID:     "pid",
	TypeMode:    "mode",
	TypeFlags:   "flags",
	TypeUID:     "uid",
	TypeGID:     "gid",
}

// String returns the type's short name, e.g. "string" or "ipaddr".
func (t FieldType) String() string {
	if t < numFieldTypes {
		return fieldTypeNames[t]
	}
	return fmt.Sprintf("FieldType(%d)", uint8(t))
}

// Numeric reports whether values of type t are numbers in Value.Num that
// compare numerically (every type except strings, bytes, addresses, networks
// and booleans).
func (t FieldType) Numeric() bool {
	switch t {
	case TypeInt64, TypeUint64, TypeDouble, TypePort, TypeRelTime, TypeAbsTime,
		TypeFD, TypePID, TypeMode, TypeFlags, TypeUID, TypeGID:
		return true
	}
	return false
}

// Signed reports whether Value.Num holds a two's complement signed integer.
func (t FieldType) Signed() bool {
	return t == TypeInt64 || t == TypeFD || t == TypePID
}

// Textual reports whether values of type t are byte strings in Value.Bytes.
func (t FieldType) Textual() bool {
	return t == TypeString || t == TypeBytes
}

// Value is one value extracted from an event. Which member is meaningful
// depends on the field's [FieldType]. Bytes is a view that stays valid only
// until the next event is processed; the engine never retains it.
type Value struct {
	// Bytes holds strings, byte buffers and IP addresses.
	Bytes []byte
	// Num holds numbers, booleans, ports, times and IP prefix lengths.
	Num uint64
}

// ArgKind says whether a field takes an argument.
type ArgKind uint8

// Argument kinds.
const (
	// ArgNone: the field takes no argument (proc.name).
	ArgNone ArgKind = iota
	// ArgOptional: the argument may be omitted (proc.aname, proc.aname[2],
	// proc.env, proc.env[HOME]).
	ArgOptional
	// ArgRequired: the argument must be given (evt.arg.flags, evt.arg[0],
	// thread.cgroup[cpu]).
	ArgRequired
)

// String returns "none", "optional" or "required".
func (k ArgKind) String() string {
	switch k {
	case ArgNone:
		return "none"
	case ArgOptional:
		return "optional"
	case ArgRequired:
		return "required"
	}
	return fmt.Sprintf("ArgKind(%d)", uint8(k))
}

// ArgSyntax is the set of ways a field's argument may be written.
type ArgSyntax uint8

// Argument syntaxes; a field may accept several.
const (
	// ArgIndex accepts a non-negative decimal index in brackets: proc.aname[2].
	ArgIndex ArgSyntax = 1 << iota
	// ArgKey accepts any key in brackets: proc.env[HOME],
	// container.mount.dest[/proc*], evt.arg[fd] is ArgIndex|ArgKey.
	ArgKey
	// ArgDotted accepts the argument as a dotted suffix of the field name:
	// evt.arg.flags, evt.rawarg.res.
	ArgDotted
)

// Arg is a field argument as written in a condition or output.
type Arg struct {
	// Present is false when no argument was written.
	Present bool
	// Text is the argument without brackets or the leading dot.
	Text string
	// Index is Text parsed as a non-negative decimal integer, or -1.
	Index int
	// Dotted is true for the evt.arg.NAME form, false for [..].
	Dotted bool
}

// String returns the argument as it would be written after the field name:
// "", "[2]" or ".flags".
func (a Arg) String() string {
	switch {
	case !a.Present:
		return ""
	case a.Dotted:
		return "." + a.Text
	default:
		return "[" + a.Text + "]"
	}
}

// FieldFlags are properties of a field, mirroring libsinsp's EPF_* flags.
type FieldFlags uint16

// Field flags.
const (
	// FlagFilterOnly: usable in conditions only, not in outputs (fd.ip, fd.net).
	FlagFilterOnly FieldFlags = 1 << iota
	// FlagPrintOnly: usable in outputs only (evt.outputtime).
	FlagPrintOnly
	// FlagNoRHS: cannot be the operand of val() on the right-hand side.
	FlagNoRHS
	// FlagNoTransformer: cannot be the argument of a transformer.
	FlagNoTransformer
	// FlagDeprecated: still accepted, but deprecated upstream.
	FlagDeprecated
	// FlagTableOnly: meant for sysdig chisels and tables; accepted anyway.
	FlagTableOnly
)

// FieldInfo describes one field a [Registry] supports.
type FieldInfo struct {
	// Name is the full field name, e.g. "proc.aname" or "evt.arg".
	Name string
	// Type is the type of the field's values. A field whose type depends on
	// its argument (evt.rawarg) reports the type of its most common form;
	// the effective type comes from [Binding.Type].
	Type FieldType
	// Arg says whether the field takes an argument.
	Arg ArgKind
	// ArgSyntax says how the argument may be written; zero when Arg is ArgNone.
	ArgSyntax ArgSyntax
	// List is true for fields whose values form a set (libsinsp's
	// EPF_IS_LIST, e.g. fd.types): only exists, in (every value is in the
	// list) and intersects (some value is in the list) apply to them.
	List bool
	// Flags are the field's properties.
	Flags FieldFlags
	// Desc is a one-sentence description.
	Desc string
}

// Multiplicity says how many values a bound field produces and how checks
// combine them.
type Multiplicity uint8

// Multiplicities.
const (
	// Single: at most one value (the engine ignores any extra values).
	Single Multiplicity = iota
	// AnyOf: several values, and a check is true when it is true for any
	// of them. This is how libsinsp compares proc.aname, proc.apid,
	// proc.aexe... written without an index (any ancestor matches).
	AnyOf
	// Set: the values form a set (FieldInfo.List fields): `in` is true when
	// every value is in the list, `intersects` when some value is.
	Set
)

// Binding is a field bound to a concrete argument, ready for extraction.
type Binding struct {
	// Type is the effective type of the extracted values; zero means the
	// FieldInfo's type.
	Type FieldType
	// Values says how many values Extractor may return.
	Values Multiplicity
	// Extractor produces the values.
	Extractor Extractor
}

// Extractor produces a field's values for an event.
type Extractor interface {
	// Extract appends the values of the field for ev to dst and returns the
	// extended slice. It appends nothing when the value is missing. It must
	// not allocate when dst has enough capacity (the engine reuses dst), and
	// must not retain dst.
	Extract(ev Event, dst []Value) []Value
}

// ExtractorFunc adapts a function to the [Extractor] interface.
type ExtractorFunc func(ev Event, dst []Value) []Value

// Extract calls f(ev, dst).
func (f ExtractorFunc) Extract(ev Event, dst []Value) []Value { return f(ev, dst) }

// TextAppender may be implemented by an [Extractor] whose values print
// differently from the default rendering of their type in outputs (for
// example evt.time, an absolute time printed as a time of day).
type TextAppender interface {
	// AppendText appends the printed form of v to dst.
	AppendText(dst []byte, v Value) []byte
}

// Registry is the set of fields the engine can compile against.
// Implementations must be safe for concurrent use by several compilations.
type Registry interface {
	// Info returns the field with exactly this name.
	Info(name string) (FieldInfo, bool)
	// Fields returns every field, sorted by name.
	Fields() []FieldInfo
	// Bind returns the binding of field name with argument arg. The engine
	// has already checked arg against the field's ArgKind and ArgSyntax.
	// Errors for unknown fields should wrap ErrUnknownField; other errors
	// (bad argument value) are reported as bad field arguments.
	Bind(name string, arg Arg) (Binding, error)
}

// Event is an event as the engine sees it. Replay implements it; the
// engine passes it through to extractors and only reads its dispatch id.
type Event interface {
	// DispatchID returns the event's dense type id in [0, EventTypes.Count()).
	DispatchID() int
}

// EventTypes is the table of event types rules are indexed by (package
// capture/scap implements it). Ids are dense: 0..453 are the scap event
// codes, higher ids stand for generic syscall events by syscall name, so that
// `evt.type=madvise` rules are indexed under the generic madvise id.
type EventTypes interface {
	// Count returns the number of dispatch ids.
	Count() int
	// IDs returns every id whose evt.type name is name: enter and exit
	// events and old versions of the same event. It returns nil for an
	// unknown name. The result must not be modified.
	IDs(name string) []int
	// Name returns the evt.type name of id ("" for an unused id).
	Name(id int) string
}

// ErrUnknownField is wrapped by errors for fields a registry does not know.
var ErrUnknownField = errors.New("unknown field")

// ResolveField finds the field named by ref, a field reference as written in
// a condition or exception: "proc.name", "proc.aname[2]", "evt.arg.flags",
// "evt.arg[0]". It returns the field's info and its parsed argument, checked
// against the field's argument kind and syntax. It does not bind the field.
func ResolveField(reg Registry, ref string) (FieldInfo, Arg, error) {
	name, arg := ref, Arg{Index: -1}
	if i := strings.IndexByte(ref, '['); i >= 0 {
		if !strings.HasSuffix(ref, "]") {
			return FieldInfo{}, Arg{}, fmt.Errorf("resolve field %q: missing ']'", ref)
		}
		name = ref[:i]
		arg = newArg(ref[i+1:len(ref)-1], false)
	}
	return resolveField(reg, name, arg)
}

// newArg builds a present argument from its text.
func newArg(text string, dotted bool) Arg {
	a := Arg{Present: true, Text: text, Index: -1, Dotted: dotted}
	if n, ok := parseIndex(text); ok {
		a.Index = n
	}
	return a
}

// parseIndex parses a non-negative decimal index of at most 9 digits.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// resolveField looks name up, splitting a dotted argument off the name
// (evt.arg.flags -> evt.arg + .flags) when the exact name is unknown, and
// validates the argument.
func resolveField(reg Registry, name string, arg Arg) (FieldInfo, Arg, error) {
	info, ok := reg.Info(name)
	if !ok && !arg.Present {
		// Longest registered prefix that accepts a dotted argument.
		for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
			if pi, pok := reg.Info(name[:i]); pok && pi.ArgSyntax&ArgDotted != 0 {
				info, ok = pi, true
				arg = newArg(name[i+1:], true)
				break
			}
		}
	}
	if !ok {
		return FieldInfo{}, Arg{}, fmt.Errorf("%w '%s'", ErrUnknownField, name+arg.String())
	}
	if err := checkArg(info, arg); err != nil {
		return FieldInfo{}, Arg{}, err
	}
	return info, arg, nil
}

// ErrBadArgument is wrapped by errors for field arguments that do not fit the
// field (missing, unexpected, or of the wrong form).
var ErrBadArgument = errors.New("bad field argument")

// checkArg validates arg against info's ArgKind and ArgSyntax.
func checkArg(info FieldInfo, arg Arg) error {
	switch {
	case info.Arg == ArgNone && arg.Present:
		return fmt.Errorf("%w: field '%s' takes no argument", ErrBadArgument, info.Name)
	case info.Arg == ArgRequired && !arg.Present:
		return fmt.Errorf("%w: field '%s' requires an argument", ErrBadArgument, info.Name)
	case !arg.Present:
		return nil
	case arg.Dotted && info.ArgSyntax&ArgDotted == 0:
		return fmt.Errorf("%w: field '%s' takes no dotted argument", ErrBadArgument, info.Name)
	case !arg.Dotted && info.ArgSyntax&(ArgIndex|ArgKey) == 0:
		return fmt.Errorf("%w: field '%s' takes no bracketed argument", ErrBadArgument, info.Name)
	case !arg.Dotted && info.ArgSyntax&ArgKey == 0 && arg.Index < 0:
		return fmt.Errorf("%w: field '%s' needs a numeric index, got '%s'", ErrBadArgument, info.Name, arg.Text)
	case arg.Text == "":
		return fmt.Errorf("%w: field '%s' has an empty argument", ErrBadArgument, info.Name)
	}
	return nil
}
