package scap

import (
	"encoding/binary"
	"math"
	"net/netip"
)

// AppendEvent appends one event record with a version 2 header (ts, tid,
// len, type, nparams) and the given parameter values to dst. Parameter
// lengths are u32 for EF_LARGE_PAYLOAD types and u16 otherwise; a value
// longer than 65535 bytes in a u16-length type is cut to 65535 bytes (libs
// drivers never produce longer ones). It panics only on more than
// MaxParams parameters, a programming error.
func AppendEvent(dst []byte, ts uint64, tid int64, t Type, params ...[]byte) []byte {
	if len(params) > MaxParams {
		panic("scap.AppendEvent: too many parameters")
	}
	lenSize := 2
	if info, ok := Lookup(t); ok && info.Large() {
		lenSize = 4
	}
	total := HeaderLenV2 + lenSize*len(params)
	for _, p := range params {
		total += clampLen(len(p), lenSize)
	}
	dst = binary.LittleEndian.AppendUint64(dst, ts)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(tid))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(total))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(t))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(params)))
	for _, p := range params {
		l := clampLen(len(p), lenSize)
		if lenSize == 2 {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(l))
		} else {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(l))
		}
	}
	for _, p := range params {
		dst = append(dst, p[:clampLen(len(p), lenSize)]...)
	}
	return dst
}

func clampLen(n, lenSize int) int {
	if lenSize == 2 && n > math.MaxUint16 {
		return math.MaxUint16
	}
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return n
}

// EncInt64 encodes an INT64, ERRNO, FD or PID value.
func EncInt64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

// EncUint64 encodes a UINT64, RELTIME or ABSTIME value.
func EncUint64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// EncInt32 encodes an INT32, FD32 or PID32 value.
func EncInt32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

// EncUint32 encodes a UINT32, FLAGS32, ENUMFLAGS32, UID, GID, MODE or BOOL value.
func EncUint32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// EncUint16 encodes a UINT16, FLAGS16, PORT or SYSCALLID value.
func EncUint16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// EncUint8 encodes a UINT8, FLAGS8, SIGTYPE or other one-byte value.
func EncUint8(v uint8) []byte { return []byte{v} }

// EncString encodes a CHARBUF, FSPATH or FSRELPATH value (text plus NUL).
func EncString(s string) []byte { return append([]byte(s), 0) }

// EncList encodes a NUL-separated BYTEBUF list (execve args/env, cgroups):
// each item followed by a NUL.
func EncList(items ...string) []byte {
	var b []byte
	for _, s := range items {
		b = append(b, s...)
		b = append(b, 0)
	}
	return b
}

// EncSockAddr encodes an INET/INET6 SOCKADDR value (family chosen by the
// address; an IPv4-mapped IPv6 address stays IPv6).
func EncSockAddr(addr netip.Addr, port uint16) []byte {
	var b []byte
	if addr.Is4() {
		b = append(b, AFInet)
		a := addr.As4()
		b = append(b, a[:]...)
	} else {
		b = append(b, AFInet6)
		a := addr.As16()
		b = append(b, a[:]...)
	}
	return binary.LittleEndian.AppendUint16(b, port)
}

// EncSockAddrUnix encodes a UNIX SOCKADDR value.
func EncSockAddrUnix(path string) []byte {
	b := append([]byte{AFUnix}, path...)
	return append(b, 0)
}

// EncSockTuple encodes an INET/INET6 SOCKTUPLE value (family chosen by src).
func EncSockTuple(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	var b []byte
	if src.Is4() && dst.Is4() {
		b = append(b, AFInet)
		s, d := src.As4(), dst.As4()
		b = append(b, s[:]...)
		b = binary.LittleEndian.AppendUint16(b, sport)
		b = append(b, d[:]...)
		return binary.LittleEndian.AppendUint16(b, dport)
	}
	b = append(b, AFInet6)
	s, d := src.As16(), dst.As16()
	b = append(b, s[:]...)
	b = binary.LittleEndian.AppendUint16(b, sport)
	b = append(b, d[:]...)
	return binary.LittleEndian.AppendUint16(b, dport)
}

// EncSockTupleUnix encodes a UNIX SOCKTUPLE value.
func EncSockTupleUnix(srcPtr, dstPtr uint64, path string) []byte {
	b := []byte{AFUnix}
	b = binary.LittleEndian.AppendUint64(b, srcPtr)
	b = binary.LittleEndian.AppendUint64(b, dstPtr)
	b = append(b, path...)
	return append(b, 0)
}

// FDListItem is one entry of an FDLIST value.
type FDListItem struct {
	FD    int64
	Flags uint16
}

// EncFDList encodes an FDLIST value.
func EncFDList(items ...FDListItem) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(len(items)))
	for _, it := range items {
		b = binary.LittleEndian.AppendUint64(b, uint64(it.FD))
		b = binary.LittleEndian.AppendUint16(b, it.Flags)
	}
	return b
}
