package scap

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"
)

// MaxBufOutput is the length at which sysdig cuts rendered BYTEBUF values
// by default (its max_evt_output_len): longer values keep their first 77
// characters followed by "...".
const MaxBufOutput = 80

// FormatParam renders a parameter value as sysdig 0.29.3 prints it in
// %evt.args after "name=": the value, followed by "(resolved)" when sysdig
// resolves it without process state (errno and signal names, flag names,
// syscall names, AT_FDCWD, relative times). State-dependent resolutions —
// the fd's name after an fd number, the command after a pid, user and group
// names, paths joined with the cwd — belong to replay and are not rendered.
func FormatParam(p Param, raw []byte) string {
	var buf [128]byte
	return string(AppendParam(buf[:0], p, raw))
}

// AppendParam appends FormatParam's rendering to dst.
func AppendParam(dst []byte, p Param, raw []byte) []byte {
	return appendRendered(dst, p, raw, true, stateResolution{})
}

// AppendParamArg appends the value as sysdig's %evt.arg.NAME prints it: the
// stateless resolution when there is one (e.g. "ENOENT", "O_RDONLY"),
// otherwise the value.
func AppendParamArg(dst []byte, p Param, raw []byte) []byte {
	return appendRendered(dst, p, raw, false, stateResolution{})
}

// AppendArgs appends the event's parameters as sysdig 0.29.3's %evt.args
// prints them ("name=value " for each parameter the table describes), with
// FormatParam's stateless rendering. Generic syscall events render empty,
// as in sysdig; parameters beyond the table are left out.
func AppendArgs(dst []byte, e *Event) []byte {
	return AppendArgsResolved(dst, e, nil)
}

// Resolver supplies the state-dependent part of sysdig's rendering, which
// replay knows and this package does not.
type Resolver interface {
	// Resolve returns the text sysdig shows in parentheses after parameter
	// i of e, or "" for none: for an FD "<f>/etc/passwd" (type character,
	// protocol character and name), for a PID the command name, for a UID or
	// GID the user or group name ("<NA>" when unknown), for a path the path
	// joined with the thread's cwd or dirfd. It is called only for FD, PID,
	// UID, GID, FSPATH and FSRELPATH parameters without a stateless
	// resolution (AT_FDCWD, errno names and "<NONE>" win).
	Resolve(e *Event, i int, p Param) string
}

// AppendArgsResolved is AppendArgs with the state-dependent resolutions
// supplied by r, which gives sysdig's full %evt.args text (FDLIST type
// characters excepted: they stay '?').
func AppendArgsResolved(dst []byte, e *Event, r Resolver) []byte {
	info := e.Info()
	if info == nil || IsGeneric(e.Type()) {
		return dst
	}
	n := min(e.NumParams(), len(info.Params))
	for i := 0; i < n; i++ {
		p := info.Params[i]
		dst = append(dst, p.Name...)
		dst = append(dst, '=')
		dst = appendRendered(dst, p, e.Param(i), true, stateResolution{r, e, i})
		dst = append(dst, ' ')
	}
	return dst
}

// stateResolution refers to the state-dependent resolution of parameter i
// of e, which r supplies. The zero value supplies none.
type stateResolution struct {
	r Resolver
	e *Event
	i int
}

// appendTo appends the resolution, for a parameter of a type sysdig
// resolves from state.
func (s stateResolution) appendTo(dst []byte, p Param) []byte {
	if s.r == nil || !needsState(p.Type) {
		return dst
	}
	return append(dst, s.r.Resolve(s.e, s.i, p)...)
}

// needsState reports whether sysdig resolves values of type t from state.
func needsState(t ParamType) bool {
	switch t {
	case PTFD, PTPID, PTUID, PTGID, PTFSPath, PTFSRelPath, PTFD32, PTPID32:
		return true
	}
	return false
}

// appendRendered appends a parameter's value and its resolution: in
// parentheses after the value when args is true, in place of the value
// otherwise. The resolution is the stateless one appendValue chose when
// there is one (AT_FDCWD, errno names, "<NONE>" ...), else the one st
// supplies.
func appendRendered(dst []byte, p Param, raw []byte, args bool, st stateResolution) []byte {
	vs := len(dst)
	dst, res := appendValue(dst, p, raw)
	ve := len(dst)
	dst = append(dst, '(')
	rs := len(dst)
	dst = appendResolved(dst, p, raw, res)
	if len(dst) == rs {
		dst = st.appendTo(dst, p)
	}
	switch {
	case len(dst) == rs:
		return dst[:ve]
	case args:
		return append(dst, ')')
	default:
		n := copy(dst[vs:], dst[rs:])
		return dst[:vs+n]
	}
}

// resolution says what appendResolved adds after a value.
type resolution uint8

const (
	resNone resolution = iota
	resErrno
	resFD
	resSyscall
	resSignal
	resRelTime
	resFlags
	resUIDNone
)

// appendValue appends the value part and says how to resolve it.
func appendValue(dst []byte, p Param, raw []byte) ([]byte, resolution) {
	typ, format := p.Type, p.Format
	if typ == PTDyn {
		real, val, ok := DynValue(p, raw)
		if !ok {
			return append(dst, "INVALID DYNAMIC PARAMETER"...), resNone
		}
		typ, raw = real.Type, val
	}
	if len(raw) == 0 {
		switch typ {
		case PTSockAddr, PTSockTuple:
			return append(dst, "NULL"...), resNone
		}
		return dst, resNone
	}
	switch typ {
	case PTInt8, PTInt16, PTInt32, PTInt64:
		v, ok := Int64(raw)
		if !ok || len(raw) != typ.Size() {
			return append(dst, "INVALID"...), resNone
		}
		return appendSigned(dst, v, len(raw), format), resNone
	case PTUint8, PTUint16, PTUint32, PTUint64:
		v, ok := Uint64(raw)
		if !ok || len(raw) != typ.Size() {
			return append(dst, "INVALID"...), resNone
		}
		return appendUnsigned(dst, v, len(raw), format), resNone
	case PTErrno, PTFD, PTPID, PTFD32, PTPID32:
		v, ok := Int64(raw)
		if !ok {
			return append(dst, "INVALID"...), resNone
		}
		dst = strconv.AppendInt(dst, v, 10)
		switch typ {
		case PTErrno:
			return dst, resErrno
		case PTFD, PTFD32:
			return dst, resFD
		}
		return dst, resNone
	case PTCharBuf:
		return append(dst, TrimNUL(raw)...), resNone
	case PTFSPath, PTFSRelPath:
		return appendPrintable(dst, TrimNUL(raw)), resNone
	case PTByteBuf:
		return appendDots(dst, raw), resNone
	case PTSockAddr:
		return appendSockAddr(dst, raw), resNone
	case PTSockTuple:
		return appendSockTuple(dst, raw), resNone
	case PTFDList:
		return appendFDList(dst, raw), resNone
	case PTSyscallID:
		if len(raw) != 2 {
			return append(dst, "INVALID"...), resNone
		}
		id := binary.LittleEndian.Uint16(raw)
		if int(id) >= NumSyscalls {
			return append(dst, "<unknown syscall>"...), resNone
		}
		return strconv.AppendUint(dst, uint64(id), 10), resSyscall
	case PTSigType:
		return strconv.AppendUint(dst, uint64(raw[0]), 10), resSignal
	case PTRelTime:
		v, ok := Uint64(raw)
		if !ok {
			return append(dst, "INVALID"...), resNone
		}
		if v == math.MaxUint64 {
			return append(dst, "none"...), resNone
		}
		return strconv.AppendUint(dst, v, 10), resRelTime
	case PTFlags8, PTFlags16, PTFlags32, PTEnumFlags8, PTEnumFlags16, PTEnumFlags32:
		v, ok := Uint64(raw)
		if !ok {
			return append(dst, "INVALID"...), resNone
		}
		return strconv.AppendUint(dst, v, 10), resFlags
	case PTMode:
		v, ok := Uint64(raw)
		if !ok {
			return append(dst, "INVALID"...), resNone
		}
		return appendUnsigned(dst, v, 4, format), resFlags
	case PTUID, PTGID:
		v, ok := Uint64(raw)
		if !ok {
			return append(dst, "INVALID"...), resNone
		}
		if v == math.MaxUint32 {
			return append(dst, "-1"...), resUIDNone
		}
		return strconv.AppendInt(dst, int64(int32(uint32(v))), 10), resNone
	case PTSigSet:
		v, ok := Uint64(raw)
		if !ok {
			return append(dst, "INVALID"...), resNone
		}
		first := true
		for sig := 0; sig < 32; sig++ {
			if v&(1<<sig) == 0 {
				continue
			}
			if n := SignalName(uint8(sig + 1)); n != "" {
				if !first {
					dst = append(dst, ' ')
				}
				dst = append(dst, n...)
				first = false
			}
		}
		return dst, resNone
	case PTAbsTime:
		// sysdig 0.29.3 does not render absolute times.
		return append(dst, "INVALID DYNAMIC PARAMETER"...), resNone
	case PTPort:
		v, _ := Uint64(raw)
		return strconv.AppendUint(dst, v, 10), resNone
	case PTL4Proto, PTSockFamily:
		return strconv.AppendUint(dst, uint64(raw[0]), 10), resNone
	case PTBool:
		v, _ := Uint64(raw)
		if v != 0 {
			return append(dst, "true"...), resNone
		}
		return append(dst, "false"...), resNone
	case PTIPv4Addr, PTIPv6Addr, PTIPAddr:
		if a, ok := netip.AddrFromSlice(raw); ok {
			return a.AppendTo(dst), resNone
		}
		return append(dst, "INVALID"...), resNone
	case PTDouble:
		if len(raw) == 8 {
			return strconv.AppendFloat(dst, math.Float64frombits(binary.LittleEndian.Uint64(raw)), 'f', 6, 64), resNone
		}
	}
	return append(dst, "(n.a.)"...), resNone
}

func appendResolved(dst []byte, p Param, raw []byte, res resolution) []byte {
	if p.Type == PTDyn {
		_, raw, _ = DynValue(p, raw)
	}
	switch res {
	case resErrno:
		if v, _ := Int64(raw); v < 0 {
			dst = append(dst, ErrnoName(-int64(int32(v)))...)
		}
	case resFD:
		v, _ := Int64(raw)
		switch {
		case v == -100:
			dst = append(dst, "AT_FDCWD"...)
		case v < 0:
			dst = append(dst, ErrnoName(-int64(int32(v)))...)
		}
	case resSyscall:
		dst = append(dst, SyscallName(binary.LittleEndian.Uint16(raw))...)
	case resSignal:
		dst = append(dst, SignalName(raw[0])...)
	case resRelTime:
		v, _ := Uint64(raw)
		dst = strconv.AppendFloat(dst, float64(v)/1e9, 'g', 6, 64)
		dst = append(dst, 's')
	case resFlags:
		v, _ := Uint64(raw)
		if enumExact(p) {
			dst = appendEnumNames(dst, flagTable(p.Table), uint32(v))
		} else {
			dst = appendFlagNames(dst, flagTable(p.Table), uint32(v))
		}
	case resUIDNone:
		dst = append(dst, "<NONE>"...)
	}
	return dst
}

// enumExact reports whether enum parameter p renders by exact value, as
// current libsinsp renders PT_ENUMFLAGS*: true for enum tables that only
// events newer than sysdig 0.29.3 use (prctl options, bpf commands, ...),
// false for the tables of events 0.29.3 knows, which it rendered as bit
// flags (fcntl cmd=7 prints "F_GETLK|F_DUPFD" there) and which retrace
// renders the same way so its output matches sysdig's.
func enumExact(p Param) bool {
	switch p.Type {
	case PTEnumFlags8, PTEnumFlags16, PTEnumFlags32:
		return !sysdig029EnumTables[p.Table]
	}
	return false
}

// sysdig029EnumTables are the tables of enum parameters of the events
// sysdig 0.29.3 knows (codes below Sysdig029NumTypes). It is computed once
// from the immutable event table and never modified.
var sysdig029EnumTables = func() map[string]bool {
	m := map[string]bool{}
	for c := 0; c < Sysdig029NumTypes && c < len(eventTable); c++ {
		for _, p := range eventTable[c].Params {
			switch p.Type {
			case PTEnumFlags8, PTEnumFlags16, PTEnumFlags32:
				m[p.Table] = true
			}
		}
	}
	return m
}()

// appendEnumNames renders an enum value as current libsinsp does: every
// table entry equal to val, in table order, separated by '|' (tables may
// name one value twice); nothing when no entry matches.
func appendEnumNames(dst []byte, tab []NameValue, val uint32) []byte {
	sep := false
	for _, f := range tab {
		if f.Value != val {
			continue
		}
		if sep {
			dst = append(dst, '|')
		}
		dst = append(dst, f.Name...)
		sep = true
	}
	return dst
}

// appendFlagNames renders val with a flag table the way libsinsp 0.29.3
// does: walking the table in order until an entry equals the whole value,
// it names every entry whose bits are all set in what is left (an entry of
// value 0 only matches a value of 0), then names the entry that stopped the
// walk, if any. The enum tables of events 0.29.3 knows are rendered the
// same way, as 0.29.3 declared them as flags (see enumExact).
func appendFlagNames(dst []byte, tab []NameValue, val uint32) []byte {
	initial := val
	sep := false
	i := 0
	for ; i < len(tab) && tab[i].Value != initial; i++ {
		f := tab[i]
		if (f.Value == 0 && initial == 0) || (f.Value != 0 && val&f.Value == f.Value && val != 0) {
			if sep {
				dst = append(dst, '|')
			}
			dst = append(dst, f.Name...)
			sep = true
			val &^= f.Value
		}
	}
	if i < len(tab) {
		if sep {
			dst = append(dst, '|')
		}
		dst = append(dst, tab[i].Name...)
	}
	return dst
}

// appendSigned renders a signed integer of size bytes with a print format,
// as C's printf does with the libsinsp format strings (hex and octal show
// the two's complement of the promoted value).
func appendSigned(dst []byte, v int64, size int, f PrintFormat) []byte {
	switch f {
	case PFHex, PFOct:
		u := uint64(v)
		if size < 8 {
			u = uint64(uint32(int32(v)))
		}
		return appendUnsigned(dst, u, 8, f)
	case PF10PaddedDec:
		var tmp [24]byte
		return appendPadded(dst, strconv.AppendInt(tmp[:0], v, 10))
	}
	return strconv.AppendInt(dst, v, 10)
}

// appendUnsigned renders an unsigned integer of size bytes with a print
// format. Decimal output follows libsinsp's signed format strings: 32- and
// 64-bit values print as signed numbers.
func appendUnsigned(dst []byte, v uint64, size int, f PrintFormat) []byte {
	switch f {
	case PFHex:
		return appendUpperHex(dst, v)
	case PFOct:
		if v == 0 {
			return append(dst, '0')
		}
		dst = append(dst, '0')
		return strconv.AppendUint(dst, v, 8)
	}
	s := int64(v)
	if size == 4 {
		s = int64(int32(uint32(v)))
	}
	if f == PF10PaddedDec {
		var tmp [24]byte
		return appendPadded(dst, strconv.AppendInt(tmp[:0], s, 10))
	}
	return strconv.AppendInt(dst, s, 10)
}

func appendPadded(dst, digits []byte) []byte {
	for n := len(digits); n < 9; n++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

func appendUpperHex(dst []byte, v uint64) []byte {
	const digits = "0123456789ABCDEF"
	var b [16]byte
	i := len(b)
	for {
		i--
		b[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// appendPrintable appends the printable ASCII bytes of s, dropping others
// (libsinsp's sanitizing of paths).
func appendPrintable(dst, s []byte) []byte {
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendDots renders a byte buffer as sysdig's default ASCII output:
// printable bytes as they are, others as '.', cut at MaxBufOutput.
func appendDots(dst, b []byte) []byte {
	start := len(dst)
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			dst = append(dst, c)
		} else {
			dst = append(dst, '.')
		}
	}
	if len(dst)-start > MaxBufOutput {
		dst = dst[:start+MaxBufOutput]
		copy(dst[len(dst)-3:], "...")
	}
	return dst
}

func appendAddrPort(dst []byte, a netip.Addr, port uint16) []byte {
	dst = a.AppendTo(dst)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(port), 10)
}

func appendSockAddr(dst, raw []byte) []byte {
	switch raw[0] {
	case AFUnix:
		return appendPrintable(dst, TrimNUL(raw[1:]))
	case AFInet:
		if len(raw) != 7 {
			return append(dst, "INVALID IPv4"...)
		}
		sa, _ := ParseSockAddr(raw)
		return appendAddrPort(dst, sa.Addr, sa.Port)
	case AFInet6:
		if len(raw) != 19 {
			return append(dst, "INVALID IPv6"...)
		}
		sa, _ := ParseSockAddr(raw)
		return appendAddrPort(dst, sa.Addr, sa.Port)
	}
	dst = append(dst, "family "...)
	return strconv.AppendInt(dst, int64(raw[0]), 10)
}

func appendSockTuple(dst, raw []byte) []byte {
	switch raw[0] {
	case AFInet:
		if len(raw) != 13 {
			return append(dst, "INVALID IPv4"...)
		}
	case AFInet6:
		if len(raw) != 37 {
			return append(dst, "INVALID IPv6"...)
		}
	case AFUnix:
		if len(raw) < 17 {
			return append(dst, "INVALID UNIX"...)
		}
		st, _ := ParseSockTuple(raw)
		dst = strconv.AppendUint(dst, st.SrcPtr, 16)
		dst = append(dst, "->"...)
		dst = strconv.AppendUint(dst, st.DstPtr, 16)
		dst = append(dst, ' ')
		return appendPrintable(dst, st.Path)
	default:
		dst = append(dst, "family "...)
		return strconv.AppendInt(dst, int64(raw[0]), 10)
	}
	st, _ := ParseSockTuple(raw)
	src, dstAddr := st.SrcAddr, st.DstAddr
	if src.Is4In6() && dstAddr.Is4In6() {
		src, dstAddr = src.Unmap(), dstAddr.Unmap()
	}
	dst = appendAddrPort(dst, src, st.SrcPort)
	dst = append(dst, "->"...)
	return appendAddrPort(dst, dstAddr, st.DstPort)
}

// appendFDList renders an FDLIST as "fd:?flags" entries separated by
// spaces; sysdig puts the fd's type character where '?' is, from state.
func appendFDList(dst, raw []byte) []byte {
	n, ok := FDListLen(raw)
	if !ok {
		return append(dst, "INVALID"...)
	}
	for i := 0; i < n; i++ {
		fd, flags, _ := FDListEntry(raw, i)
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendUint(dst, uint64(fd), 10)
		dst = append(dst, ':', '?')
		dst = strconv.AppendUint(dst, uint64(uint32(int32(int16(flags)))), 16)
	}
	return dst
}
