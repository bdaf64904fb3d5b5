package scap

import "strconv"

// Type is a scap event code (libs' ppm_event_code, PPME_*).
type Type uint16

// ParamType is a parameter type (libs' enum ppm_param_type, PT_*).
type ParamType uint8

// Parameter types, with the values of libs' enum ppm_param_type.
const (
	PTNone             ParamType = 0
	PTInt8             ParamType = 1
	PTInt16            ParamType = 2
	PTInt32            ParamType = 3
	PTInt64            ParamType = 4
	PTUint8            ParamType = 5
	PTUint16           ParamType = 6
	PTUint32           ParamType = 7
	PTUint64           ParamType = 8
	PTCharBuf          ParamType = 9  // NUL-terminated string
	PTByteBuf          ParamType = 10 // raw bytes
	PTErrno            ParamType = 11 // int64 return value, negative errno on failure
	PTSockAddr         ParamType = 12 // u8 family + address
	PTSockTuple        ParamType = 13 // u8 family + source + destination
	PTFD               ParamType = 14 // int64 file descriptor
	PTPID              ParamType = 15 // int64 pid/tid
	PTFDList           ParamType = 16 // u16 count + count*(u64 fd + u16 flags)
	PTFSPath           ParamType = 17 // NUL-terminated path
	PTSyscallID        ParamType = 18 // u16 ppm_sc code
	PTSigType          ParamType = 19 // u8 signal number
	PTRelTime          ParamType = 20 // u64 nanoseconds
	PTAbsTime          ParamType = 21 // u64 nanoseconds since the epoch
	PTPort             ParamType = 22 // u16
	PTL4Proto          ParamType = 23 // u8
	PTSockFamily       ParamType = 24 // u8
	PTBool             ParamType = 25 // u32
	PTIPv4Addr         ParamType = 26 // 4 bytes
	PTDyn              ParamType = 27 // u8 index into a dynamic table + value
	PTFlags8           ParamType = 28
	PTFlags16          ParamType = 29
	PTFlags32          ParamType = 30
	PTUID              ParamType = 31 // u32, 0xffffffff = none
	PTGID              ParamType = 32 // u32, 0xffffffff = none
	PTDouble           ParamType = 33
	PTSigSet           ParamType = 34 // u32 (lower bits of sigset_t)
	PTCharBufArray     ParamType = 35
	PTCharBufPairArray ParamType = 36
	PTIPv4Net          ParamType = 37
	PTIPv6Addr         ParamType = 38 // 16 bytes
	PTIPv6Net          ParamType = 39
	PTIPAddr           ParamType = 40 // 4 or 16 bytes
	PTIPNet            ParamType = 41
	PTMode             ParamType = 42 // u32 file mode bits
	PTFSRelPath        ParamType = 43 // NUL-terminated path relative to a dirfd parameter
	PTEnumFlags8       ParamType = 44
	PTEnumFlags16      ParamType = 45
	PTEnumFlags32      ParamType = 46
	PTFD32             ParamType = 47 // int32 file descriptor
	PTPID32            ParamType = 48 // int32 pid
)

var paramTypeNames = [...]string{
	"NONE", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
	"CHARBUF", "BYTEBUF", "ERRNO", "SOCKADDR", "SOCKTUPLE", "FD", "PID", "FDLIST", "FSPATH",
	"SYSCALLID", "SIGTYPE", "RELTIME", "ABSTIME", "PORT", "L4PROTO", "SOCKFAMILY", "BOOL",
	"IPV4ADDR", "DYN", "FLAGS8", "FLAGS16", "FLAGS32", "UID", "GID", "DOUBLE", "SIGSET",
	"CHARBUFARRAY", "CHARBUF_PAIR_ARRAY", "IPV4NET", "IPV6ADDR", "IPV6NET", "IPADDR", "IPNET",
	"MODE", "FSRELPATH", "ENUMFLAGS8", "ENUMFLAGS16", "ENUMFLAGS32", "FD32", "PID32",
}

// String returns the type's libs name without the PT_ prefix ("FSPATH").
func (t ParamType) String() string {
	if int(t) < len(paramTypeNames) {
		return paramTypeNames[t]
	}
	return "PT_" + strconv.FormatUint(uint64(t), 10)
}

// Size returns the fixed encoded size of a value of type t, or 0 when the
// size varies (strings, buffers, addresses, DYN).
func (t ParamType) Size() int {
	switch t {
	case PTInt8, PTUint8, PTSigType, PTL4Proto, PTSockFamily, PTFlags8, PTEnumFlags8:
		return 1
	case PTInt16, PTUint16, PTSyscallID, PTPort, PTFlags16, PTEnumFlags16:
		return 2
	case PTInt32, PTUint32, PTBool, PTFlags32, PTUID, PTGID, PTSigSet, PTMode, PTEnumFlags32,
		PTFD32, PTPID32, PTIPv4Addr:
		return 4
	case PTInt64, PTUint64, PTErrno, PTFD, PTPID, PTRelTime, PTAbsTime, PTDouble:
		return 8
	case PTIPv6Addr:
		return 16
	}
	return 0
}

// PrintFormat is a numeric parameter's print format (libs' enum
// ppm_print_format, PF_*).
type PrintFormat uint8

// Print formats, with the values of libs' enum ppm_print_format.
const (
	PFNA          PrintFormat = 0
	PFDec         PrintFormat = 1
	PFHex         PrintFormat = 2
	PF10PaddedDec PrintFormat = 3
	PFID          PrintFormat = 4
	PFDir         PrintFormat = 5
	PFOct         PrintFormat = 6
)

// Flags are an event type's EF_ flags (libs' enum ppm_event_flags).
type Flags uint32

// Event flags, with the values of libs' enum ppm_event_flags.
const (
	EFCreatesFD        Flags = 1 << 0  // the event creates an fd
	EFDestroysFD       Flags = 1 << 1  // the event destroys an fd
	EFUsesFD           Flags = 1 << 2  // the event operates on an fd
	EFReadsFromFD      Flags = 1 << 3  // the event reads from an fd
	EFWritesToFD       Flags = 1 << 4  // the event writes to an fd
	EFModifiesState    Flags = 1 << 5  // the event changes machine state
	EFUnused           Flags = 1 << 6  // the code is not used
	EFWaits            Flags = 1 << 7  // the event waits
	EFSkipParseReset   Flags = 1 << 8  // the event does not reset the parser's last event
	EFOldVersion       Flags = 1 << 9  // the code is kept for old captures only
	EFLargePayload     Flags = 1 << 11 // parameter lengths are u32 instead of u16
	EFConverterManaged Flags = 1 << 12 // libs' savefile converter upgrades this event
)

var flagNames = [...]struct {
	f    Flags
	name string
}{
	{EFCreatesFD, "CREATES_FD"}, {EFDestroysFD, "DESTROYS_FD"}, {EFUsesFD, "USES_FD"},
	{EFReadsFromFD, "READS_FROM_FD"}, {EFWritesToFD, "WRITES_TO_FD"}, {EFModifiesState, "MODIFIES_STATE"},
	{EFUnused, "UNUSED"}, {EFWaits, "WAITS"}, {EFSkipParseReset, "SKIPPARSERESET"},
	{EFOldVersion, "OLD_VERSION"}, {EFLargePayload, "LARGE_PAYLOAD"}, {EFConverterManaged, "CONVERTER_MANAGED"},
}

// String returns the flags as libs names without the EF_ prefix, separated
// by spaces ("CREATES_FD MODIFIES_STATE"), or "NONE".
func (f Flags) String() string {
	if f == 0 {
		return "NONE"
	}
	var b []byte
	for _, n := range flagNames {
		if f&n.f != 0 {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, n.name...)
		}
	}
	return string(b)
}

// Param describes one parameter of an event type.
type Param struct {
	Name   string      // parameter name, as in %evt.arg.NAME
	Type   ParamType   // encoding
	Table  string      // flag/enum or dynamic table rendering the value ("" for none)
	Format PrintFormat // print format of numeric values
	DirFD  int8        // for PTFSRelPath: index of the dirfd parameter; -1 otherwise
}

// Info describes one event type.
type Info struct {
	Code   Type
	Enum   string // libs enum name, e.g. "PPME_SYSCALL_OPEN_X"
	Name   string // evt.type, e.g. "open"; "NA" for unused codes
	Dir    byte   // 'E' (enter) or 'X' (exit)
	Flags  Flags
	Params []Param
}

// Large reports whether the type's parameter lengths are u32 (EF_LARGE_PAYLOAD).
func (i *Info) Large() bool { return i.Flags&EFLargePayload != 0 }

// ParamIndex returns the index of the parameter called name, or -1.
func (i *Info) ParamIndex(name string) int {
	for k := range i.Params {
		if i.Params[k].Name == name {
			return k
		}
	}
	return -1
}

// Lookup returns the table entry of event code t; ok is false for codes
// outside the table (events from a newer producer). The entry is shared,
// read-only data: callers must not modify it or its Params.
func Lookup(t Type) (*Info, bool) {
	if int(t) >= NumTypes {
		return nil, false
	}
	return &eventTable[t], true
}

// IsEnter reports whether t is an enter event (even codes are enter events).
func (t Type) IsEnter() bool { return t%2 == 0 }

// HasExit reports whether t is an enter event whose exit event (the next
// code) is in use. Current Falco evaluates rules on the exit event of such
// pairs only; their enter events serve the state.
func (t Type) HasExit() bool {
	if int(t)+1 >= NumTypes || eventTable[t].Dir != 'E' {
		return false
	}
	x := &eventTable[t+1]
	return x.Dir == 'X' && x.Flags&EFUnused == 0
}

// String returns the libs enum name of t, or "PPME_<code>" outside the table.
func (t Type) String() string {
	if int(t) < NumTypes {
		return eventTable[t].Enum
	}
	return "PPME_" + strconv.FormatUint(uint64(t), 10)
}

// NameValue is one entry of a flag/enum table.
type NameValue struct {
	Name  string
	Value uint32
}

// FlagTable returns the flag/enum table called name (libs' flags_table.c),
// in libs order; ok is false for an unknown name.
func FlagTable(name string) ([]NameValue, bool) {
	t := flagTable(name)
	return t, t != nil
}

// FlagTableNames returns the names of every flag/enum table.
func FlagTableNames() []string {
	out := make([]string, len(flagTableNames))
	copy(out, flagTableNames[:])
	return out
}

// DynTable returns the parameter types a PT_DYN table selects between,
// indexed by the value's first byte; ok is false for an unknown name.
func DynTable(name string) ([]Param, bool) {
	t := dynTable(name)
	return t, t != nil
}

// SyscallName returns the name of ppm_sc syscall code id (the ID parameter
// of generic syscall events), or "" for an unknown code.
func SyscallName(id uint16) string {
	if int(id) < NumSyscalls {
		return syscallNames[id]
	}
	return ""
}

// NativeSyscallName returns the name of x86_64 syscall number nr (the
// nativeID parameter of generic events), or "" for an unknown number.
func NativeSyscallName(nr uint16) string { return nativeSyscallNames[nr] }

// NativeSyscallID returns the ppm_sc code of x86_64 syscall number nr, ok
// false when scap has no code of that name.
func NativeSyscallID(nr uint16) (uint16, bool) {
	if name := nativeSyscallNames[nr]; name != "" {
		return SyscallID(name)
	}
	return 0, false
}

// SyscallID returns the ppm_sc code of the syscall called name.
func SyscallID(name string) (uint16, bool) {
	for i := 1; i < NumSyscalls; i++ {
		if syscallNames[i] == name {
			return uint16(i), true
		}
	}
	return 0, false
}
