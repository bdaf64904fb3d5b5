package scap

import (
	"bytes"
	"encoding/binary"
	"iter"
	"net/netip"
)

// Socket families as stored in SOCKADDR and SOCKTUPLE values (libs' PPM_AF_*).
const (
	AFUnspec = 0
	AFUnix   = 1
	AFInet   = 2
	AFInet6  = 10
)

// ParamInt64 returns parameter i as a signed integer, sign-extending 1, 2
// and 4-byte values (INT*, ERRNO, FD, PID, FD32, PID32...); ok is false when
// the parameter is absent or its length is not 1, 2, 4 or 8.
func (e *Event) ParamInt64(i int) (int64, bool) {
	return Int64(e.Param(i))
}

// ParamUint64 returns parameter i as an unsigned integer, zero-extending
// 1, 2 and 4-byte values; ok is false when the parameter is absent or its
// length is not 1, 2, 4 or 8.
func (e *Event) ParamUint64(i int) (uint64, bool) {
	return Uint64(e.Param(i))
}

// ParamString returns parameter i without its trailing NUL (CHARBUF,
// FSPATH, FSRELPATH), or nil when absent. The result aliases the event.
func (e *Event) ParamString(i int) []byte {
	return TrimNUL(e.Param(i))
}

// Int64 decodes a little-endian signed integer of 1, 2, 4 or 8 bytes.
func Int64(b []byte) (int64, bool) {
	switch len(b) {
	case 1:
		return int64(int8(b[0])), true
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b))), true
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b))), true
	case 8:
		return int64(binary.LittleEndian.Uint64(b)), true
	}
	return 0, false
}

// Uint64 decodes a little-endian unsigned integer of 1, 2, 4 or 8 bytes.
func Uint64(b []byte) (uint64, bool) {
	switch len(b) {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)), true
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), true
	case 8:
		return binary.LittleEndian.Uint64(b), true
	}
	return 0, false
}

// TrimNUL returns b up to its first NUL byte (a C string's text).
func TrimNUL(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i:i]
	}
	return b
}

// CutNUL splits a NUL-separated list (execve args and env, cgroups) at its
// first NUL: field is the text before it, rest what follows. ok is false
// when b is empty. A final field without a NUL is returned whole.
//
//	for f, rest, ok := scap.CutNUL(args); ok; f, rest, ok = scap.CutNUL(rest) { ... }
func CutNUL(b []byte) (field, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i:i], b[i+1:], true
	}
	return b, nil, true
}

// Items iterates over the items of a NUL-separated list (execve args and
// env, cgroups), as CutNUL splits them. The items alias b.
func Items(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for f, rest, ok := CutNUL(b); ok; f, rest, ok = CutNUL(rest) {
			if !yield(f) {
				return
			}
		}
	}
}

// SockAddr is a decoded SOCKADDR value. Path aliases the parameter bytes.
type SockAddr struct {
	Family uint8      // AFUnix, AFInet, AFInet6 or another PPM_AF_ value
	Addr   netip.Addr // AFInet/AFInet6 address
	Port   uint16     // AFInet/AFInet6 port
	Path   []byte     // AFUnix path, without the trailing NUL
}

// ParseSockAddr decodes a SOCKADDR value; ok is false when b is empty or too
// short for its family. Families other than UNIX/INET/INET6 decode with
// only Family set.
func ParseSockAddr(b []byte) (SockAddr, bool) {
	if len(b) == 0 {
		return SockAddr{}, false
	}
	sa := SockAddr{Family: b[0]}
	switch b[0] {
	case AFInet:
		if len(b) < 7 {
			return sa, false
		}
		sa.Addr = netip.AddrFrom4([4]byte(b[1:5]))
		sa.Port = binary.LittleEndian.Uint16(b[5:])
	case AFInet6:
		if len(b) < 19 {
			return sa, false
		}
		sa.Addr = netip.AddrFrom16([16]byte(b[1:17]))
		sa.Port = binary.LittleEndian.Uint16(b[17:])
	case AFUnix:
		sa.Path = TrimNUL(b[1:])
	}
	return sa, true
}

// SockTuple is a decoded SOCKTUPLE value. Path aliases the parameter bytes.
type SockTuple struct {
	Family           uint8
	SrcAddr, DstAddr netip.Addr // AFInet/AFInet6
	SrcPort, DstPort uint16     // AFInet/AFInet6
	SrcPtr, DstPtr   uint64     // AFUnix kernel socket pointers
	Path             []byte     // AFUnix path, without the trailing NUL
}

// ParseSockTuple decodes a SOCKTUPLE value; ok is false when b is empty or
// too short for its family.
func ParseSockTuple(b []byte) (SockTuple, bool) {
	if len(b) == 0 {
		return SockTuple{}, false
	}
	st := SockTuple{Family: b[0]}
	switch b[0] {
	case AFInet:
		if len(b) < 13 {
			return st, false
		}
		st.SrcAddr = netip.AddrFrom4([4]byte(b[1:5]))
		st.SrcPort = binary.LittleEndian.Uint16(b[5:])
		st.DstAddr = netip.AddrFrom4([4]byte(b[7:11]))
		st.DstPort = binary.LittleEndian.Uint16(b[11:])
	case AFInet6:
		if len(b) < 37 {
			return st, false
		}
		st.SrcAddr = netip.AddrFrom16([16]byte(b[1:17]))
		st.SrcPort = binary.LittleEndian.Uint16(b[17:])
		st.DstAddr = netip.AddrFrom16([16]byte(b[19:35]))
		st.DstPort = binary.LittleEndian.Uint16(b[35:])
	case AFUnix:
		if len(b) < 17 {
			return st, false
		}
		st.SrcPtr = binary.LittleEndian.Uint64(b[1:])
		st.DstPtr = binary.LittleEndian.Uint64(b[9:])
		st.Path = TrimNUL(b[17:])
	}
	return st, true
}

// FDListLen returns the number of entries of an FDLIST value; ok is false
// when b is shorter than its count says.
func FDListLen(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint16(b))
	return n, len(b) >= 2+10*n
}

// FDListEntry returns entry i of an FDLIST value (fd and poll flags); ok is
// false when i is out of range or the value is truncated.
func FDListEntry(b []byte, i int) (fd int64, flags uint16, ok bool) {
	n, valid := FDListLen(b)
	if !valid || i < 0 || i >= n {
		return 0, 0, false
	}
	p := b[2+10*i:]
	return int64(binary.LittleEndian.Uint64(p)), binary.LittleEndian.Uint16(p[8:]), true
}

// DynValue resolves a DYN value of parameter p: the first byte of b selects
// the real type in p.Table's dynamic table; the result describes that type
// and val holds the value bytes. ok is false for an unknown table or index.
func DynValue(p Param, b []byte) (real Param, val []byte, ok bool) {
	tab := dynTable(p.Table)
	if len(b) == 0 || int(b[0]) >= len(tab) {
		return Param{}, nil, false
	}
	real = tab[b[0]]
	real.Name = p.Name
	return real, b[1:], true
}
