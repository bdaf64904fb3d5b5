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
	lenSize := paramLenSize(t)
	total := HeaderLenV2 + lenSize*len(params)
	for _, p := range params {
		total += clampLen(len(p), lenSize)
	}
	dst = appendHeaderV2(dst, ts, tid, total, t, len(params))
	for _, p := range params {
		dst = appendParamLen(dst, clampLen(len(p), lenSize), lenSize)
	}
	for _, p := range params {
		dst = append(dst, p[:clampLen(len(p), lenSize)]...)
	}
	return dst
}

// paramLenSize returns the size of type t's parameter lengths: 4 bytes for
// EF_LARGE_PAYLOAD types, 2 otherwise.
func paramLenSize(t Type) int {
	if info, ok := Lookup(t); ok && info.Large() {
		return 4
	}
	return 2
}

// appendHeaderV2 appends a version 2 event header (ts, tid, len, type,
// nparams) to dst.
func appendHeaderV2(dst []byte, ts uint64, tid int64, total int, t Type, n int) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, ts)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(tid))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(total))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(t))
	return binary.LittleEndian.AppendUint32(dst, uint32(n))
}

// appendParamLen appends parameter length l in lenSize bytes to dst.
func appendParamLen(dst []byte, l, lenSize int) []byte {
	if lenSize == 2 {
		return binary.LittleEndian.AppendUint16(dst, uint16(l))
	}
	return binary.LittleEndian.AppendUint32(dst, uint32(l))
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
func EncSockAddr(addr netip.Addr, port uint16) []byte { return AppendSockAddr(nil, addr, port) }

// AppendSockAddr appends an INET/INET6 SOCKADDR value to dst.
func AppendSockAddr(dst []byte, addr netip.Addr, port uint16) []byte {
	if addr.Is4() {
		a := addr.As4()
		dst = append(dst, AFInet)
		dst = append(dst, a[:]...)
	} else {
		a := addr.As16()
		dst = append(dst, AFInet6)
		dst = append(dst, a[:]...)
	}
	return binary.LittleEndian.AppendUint16(dst, port)
}

// EncSockAddrUnix encodes a UNIX SOCKADDR value.
func EncSockAddrUnix(path string) []byte { return AppendSockAddrUnix(nil, path) }

// AppendSockAddrUnix appends a UNIX SOCKADDR value to dst.
func AppendSockAddrUnix(dst []byte, path string) []byte {
	dst = append(dst, AFUnix)
	dst = append(dst, path...)
	return append(dst, 0)
}

// EncSockTuple encodes an INET/INET6 SOCKTUPLE value (IPv4 when both
// addresses are IPv4, IPv6 otherwise).
func EncSockTuple(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	return AppendSockTuple(nil, src, sport, dst, dport)
}

// AppendSockTuple appends an INET/INET6 SOCKTUPLE value to b.
func AppendSockTuple(b []byte, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	if src.Is4() && dst.Is4() {
		s, d := src.As4(), dst.As4()
		b = append(b, AFInet)
		b = append(b, s[:]...)
		b = binary.LittleEndian.AppendUint16(b, sport)
		b = append(b, d[:]...)
		return binary.LittleEndian.AppendUint16(b, dport)
	}
	s, d := src.As16(), dst.As16()
	b = append(b, AFInet6)
	b = append(b, s[:]...)
	b = binary.LittleEndian.AppendUint16(b, sport)
	b = append(b, d[:]...)
	return binary.LittleEndian.AppendUint16(b, dport)
}

// EncSockTupleUnix encodes a UNIX SOCKTUPLE value.
func EncSockTupleUnix(srcPtr, dstPtr uint64, path string) []byte {
	return AppendSockTupleUnix(nil, srcPtr, dstPtr, path)
}

// AppendSockTupleUnix appends a UNIX SOCKTUPLE value to b.
func AppendSockTupleUnix(b []byte, srcPtr, dstPtr uint64, path string) []byte {
	b = append(b, AFUnix)
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

// Builder encodes events parameter by parameter without allocating once
// its buffer has grown to the largest event built. The zero value is ready.
//
//	var b scap.Builder
//	buf = b.Begin(ts, tid, scap.SyscallCloseX).Int64(0).Int64(fd).AppendTo(buf)
type Builder struct {
	ts   uint64
	tid  int64
	typ  Type
	n    int
	lens [MaxParams]int
	vals []byte
}

// Begin starts a new event, discarding any parameters added before.
func (b *Builder) Begin(ts uint64, tid int64, t Type) *Builder {
	b.ts, b.tid, b.typ, b.n = ts, tid, t, 0
	b.vals = b.vals[:0]
	return b
}

// add records that the bytes appended to vals since start form a parameter.
// It panics past MaxParams parameters, a programming error.
func (b *Builder) add(start int) *Builder {
	if b.n == MaxParams {
		panic("scap.Builder: too many parameters")
	}
	b.lens[b.n] = len(b.vals) - start
	b.n++
	return b
}

// Int64 adds an INT64, ERRNO, FD or PID parameter.
func (b *Builder) Int64(v int64) *Builder {
	s := len(b.vals)
	b.vals = binary.LittleEndian.AppendUint64(b.vals, uint64(v))
	return b.add(s)
}

// Uint64 adds a UINT64, RELTIME or ABSTIME parameter.
func (b *Builder) Uint64(v uint64) *Builder {
	s := len(b.vals)
	b.vals = binary.LittleEndian.AppendUint64(b.vals, v)
	return b.add(s)
}

// Int32 adds an INT32, FD32 or PID32 parameter.
func (b *Builder) Int32(v int32) *Builder { return b.Uint32(uint32(v)) }

// Uint32 adds a UINT32, FLAGS32, ENUMFLAGS32, UID, GID, MODE or BOOL parameter.
func (b *Builder) Uint32(v uint32) *Builder {
	s := len(b.vals)
	b.vals = binary.LittleEndian.AppendUint32(b.vals, v)
	return b.add(s)
}

// Uint16 adds a UINT16, FLAGS16, PORT or SYSCALLID parameter.
func (b *Builder) Uint16(v uint16) *Builder {
	s := len(b.vals)
	b.vals = binary.LittleEndian.AppendUint16(b.vals, v)
	return b.add(s)
}

// Uint8 adds a one-byte parameter (UINT8, FLAGS8, SIGTYPE...).
func (b *Builder) Uint8(v uint8) *Builder {
	s := len(b.vals)
	b.vals = append(b.vals, v)
	return b.add(s)
}

// String adds a CHARBUF, FSPATH or FSRELPATH parameter (text plus NUL).
func (b *Builder) String(v string) *Builder {
	s := len(b.vals)
	b.vals = append(b.vals, v...)
	b.vals = append(b.vals, 0)
	return b.add(s)
}

// Bytes adds a raw parameter (BYTEBUF, or a value encoded by the caller).
func (b *Builder) Bytes(v []byte) *Builder {
	s := len(b.vals)
	b.vals = append(b.vals, v...)
	return b.add(s)
}

// List adds a NUL-separated BYTEBUF list (each item followed by a NUL).
func (b *Builder) List(items ...string) *Builder {
	s := len(b.vals)
	for _, it := range items {
		b.vals = append(b.vals, it...)
		b.vals = append(b.vals, 0)
	}
	return b.add(s)
}

// Empty adds an empty (zero-length) parameter.
func (b *Builder) Empty() *Builder { return b.add(len(b.vals)) }

// SockAddr adds an INET/INET6 SOCKADDR parameter.
func (b *Builder) SockAddr(addr netip.Addr, port uint16) *Builder {
	s := len(b.vals)
	b.vals = AppendSockAddr(b.vals, addr, port)
	return b.add(s)
}

// SockTuple adds an INET/INET6 SOCKTUPLE parameter.
func (b *Builder) SockTuple(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) *Builder {
	s := len(b.vals)
	b.vals = AppendSockTuple(b.vals, src, sport, dst, dport)
	return b.add(s)
}

// AppendTo appends the event built so far to dst, encoded as AppendEvent
// does.
func (b *Builder) AppendTo(dst []byte) []byte {
	lenSize := paramLenSize(b.typ)
	total := HeaderLenV2 + lenSize*b.n
	for i := 0; i < b.n; i++ {
		total += clampLen(b.lens[i], lenSize)
	}
	dst = appendHeaderV2(dst, b.ts, b.tid, total, b.typ, b.n)
	for i := 0; i < b.n; i++ {
		dst = appendParamLen(dst, clampLen(b.lens[i], lenSize), lenSize)
	}
	off := 0
	for i := 0; i < b.n; i++ {
		dst = append(dst, b.vals[off:off+clampLen(b.lens[i], lenSize)]...)
		off += b.lens[i]
	}
	return dst
}
