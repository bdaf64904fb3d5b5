package scap

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Header sizes of an event record.
const (
	HeaderLenV1 = 22 // ts, tid, len, type (0x204/0x208 blocks)
	HeaderLenV2 = 26 // ts, tid, len, type, nparams (every later block type)
)

// MaxParams is the largest number of parameters Decode accepts in one event.
// libs' schemas have at most 32 (PPM_MAX_EVENT_PARAMS); the margin leaves
// room for newer producers.
const MaxParams = 64

// ErrUnknownType is wrapped by a DecodeError for a version 1 event whose code
// is outside the table: without the schema its parameter count is unknown.
var ErrUnknownType = errors.New("unknown event type")

// DecodeError reports an event record that cannot be decoded.
type DecodeError struct {
	Offset int    // byte offset inside the event record where the problem is
	Reason string // what is wrong
	Err    error  // optional sentinel (ErrUnknownType), nil otherwise
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode event: offset %d: %s", e.Offset, e.Reason)
}

// Unwrap returns the sentinel error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// Event is a zero-copy view of one scap event record. Decode fills it in
// place; its accessors read the bytes it was decoded from, which must not
// change while the view is in use. The zero Event is empty (no parameters).
type Event struct {
	raw     []byte
	info    *Info
	ts      uint64
	tid     int64
	typ     Type
	hdr     uint8 // header length: HeaderLenV1 or HeaderLenV2
	nparams uint8
	// off[i] is the start of parameter i inside raw; off[nparams] is the end
	// of the last parameter.
	off [MaxParams + 1]uint32
}

// RawTs, RawTid, RawLen and RawType read one field of an encoded event's
// header without decoding the event, for code that only routes events
// (writers, the recorder's filters); b must hold at least HeaderLenV1
// bytes, as every event does.
func RawTs(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// RawTid returns the thread id of the encoded event in b (see [RawTs]).
func RawTid(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b[8:])) }

// RawLen returns the length field of the encoded event in b (see [RawTs]).
func RawLen(b []byte) uint32 { return binary.LittleEndian.Uint32(b[16:]) }

// RawType returns the event type of the encoded event in b (see [RawTs]).
func RawType(b []byte) Type { return Type(binary.LittleEndian.Uint16(b[20:])) }

// Decode makes e a view of the single event record b, which starts at the
// event's timestamp and holds at least the event's len bytes (trailing
// bytes, e.g. block padding, are ignored). v1 selects the 22-byte header of
// 0x204/0x208 blocks, which carries no parameter count: Decode then uses the
// largest count, up to the table's, whose lengths add up exactly to len, as
// libscap does. Parameter lengths are u32 when the type has
// EF_LARGE_PAYLOAD, u16 otherwise. Events with more or fewer parameters
// than the table decode; codes outside the table decode with Info() == nil
// (version 2 only). Decode allocates only for errors, which are
// *DecodeError; after an error e is empty.
func (e *Event) Decode(b []byte, v1 bool) error {
	// Start from an empty view, so a failed Decode leaves no stale offsets.
	e.raw, e.info, e.nparams, e.typ, e.ts, e.tid = nil, nil, 0, 0, 0, 0
	hdr := HeaderLenV2
	if v1 {
		hdr = HeaderLenV1
	}
	if len(b) < hdr {
		return &DecodeError{Offset: 0, Reason: fmt.Sprintf("event header needs %d bytes, have %d", hdr, len(b))}
	}
	evlen := RawLen(b)
	if evlen < uint32(hdr) {
		return &DecodeError{Offset: 16, Reason: fmt.Sprintf("event length %d shorter than its %d-byte header", evlen, hdr)}
	}
	if uint64(evlen) > uint64(len(b)) {
		return &DecodeError{Offset: 16, Reason: fmt.Sprintf("event length %d past the end of its %d bytes", evlen, len(b))}
	}
	raw := b[:evlen]
	typ := RawType(raw)
	info, known := Lookup(typ)
	lenSize := 2
	if known && info.Large() {
		lenSize = 4
	}
	var n int
	if v1 {
		if !known {
			return &DecodeError{Offset: 20, Reason: fmt.Sprintf("version 1 event of unknown type %d", typ), Err: ErrUnknownType}
		}
		n = -1
		for try := min(len(info.Params), MaxParams); try >= 0; try-- {
			if fitsExactly(raw, hdr, try, lenSize) {
				n = try
				break
			}
		}
		if n < 0 {
			return &DecodeError{Offset: hdr, Reason: fmt.Sprintf("parameter lengths of %s match no parameter count up to %d within length %d", info.Enum, len(info.Params), evlen)}
		}
	} else {
		np := binary.LittleEndian.Uint32(raw[22:])
		if np > MaxParams {
			return &DecodeError{Offset: 22, Reason: fmt.Sprintf("%d parameters exceed the limit of %d", np, MaxParams)}
		}
		n = int(np)
	}
	pos := hdr + n*lenSize
	if pos > len(raw) {
		return &DecodeError{Offset: hdr, Reason: fmt.Sprintf("%d parameter lengths do not fit in event length %d", n, evlen)}
	}
	e.off[0] = uint32(pos)
	for i := 0; i < n; i++ {
		var l uint32
		if lenSize == 2 {
			l = uint32(binary.LittleEndian.Uint16(raw[hdr+2*i:]))
		} else {
			l = binary.LittleEndian.Uint32(raw[hdr+4*i:])
		}
		if uint64(pos)+uint64(l) > uint64(len(raw)) {
			return &DecodeError{Offset: hdr + i*lenSize, Reason: fmt.Sprintf("parameter %d length %d runs past event length %d", i, l, evlen)}
		}
		pos += int(l)
		e.off[i+1] = uint32(pos)
	}
	e.raw = raw
	e.ts = RawTs(raw)
	e.tid = RawTid(raw)
	e.typ = typ
	e.hdr = uint8(hdr)
	e.nparams = uint8(n)
	e.info = info // nil outside the table
	return nil
}

// fitsExactly reports whether n parameter lengths of lenSize bytes after a
// header of hdr bytes add up exactly to the event length len(raw).
func fitsExactly(raw []byte, hdr, n, lenSize int) bool {
	pos := hdr + n*lenSize
	if pos > len(raw) {
		return false
	}
	total := uint64(pos)
	for i := 0; i < n; i++ {
		if lenSize == 2 {
			total += uint64(binary.LittleEndian.Uint16(raw[hdr+2*i:]))
		} else {
			total += uint64(binary.LittleEndian.Uint32(raw[hdr+4*i:]))
		}
	}
	return total == uint64(len(raw))
}

// Ts returns the event timestamp in nanoseconds since the epoch.
func (e *Event) Ts() uint64 { return e.ts }

// ShiftTs adds ns nanoseconds to the timestamp Ts returns (a clock
// correction), until the next Decode. The encoded bytes are unchanged.
func (e *Event) ShiftTs(ns int64) { e.ts = uint64(int64(e.ts) + ns) }

// Tid returns the thread id that produced the event.
func (e *Event) Tid() int64 { return e.tid }

// Len returns the event length in bytes, header included.
func (e *Event) Len() uint32 { return uint32(len(e.raw)) }

// Type returns the event code.
func (e *Event) Type() Type { return e.typ }

// HeaderLen returns the header length the event was decoded with
// (HeaderLenV1 or HeaderLenV2).
func (e *Event) HeaderLen() int { return int(e.hdr) }

// NumParams returns the number of parameters the event carries (which may
// differ from the table's count).
func (e *Event) NumParams() int { return int(e.nparams) }

// Param returns the raw bytes of parameter i, or nil when the event has no
// parameter i. An empty (zero-length) parameter is a non-nil empty slice.
func (e *Event) Param(i int) []byte {
	if i < 0 || i >= int(e.nparams) {
		return nil
	}
	return e.raw[e.off[i]:e.off[i+1]:e.off[i+1]]
}

// ParamByName returns the raw bytes of the parameter called name in the
// event type's schema; ok is false when the schema has no such parameter or
// the event does not carry it.
func (e *Event) ParamByName(name string) ([]byte, bool) {
	if e.info == nil {
		return nil, false
	}
	i := e.info.ParamIndex(name)
	if i < 0 || i >= int(e.nparams) {
		return nil, false
	}
	return e.Param(i), true
}

// Info returns the table entry of the event's type, or nil for a code
// outside the table.
func (e *Event) Info() *Info { return e.info }

// Raw returns the event record's bytes (len bytes, header included, as
// decoded: a version 1 event keeps its 22-byte header).
func (e *Event) Raw() []byte { return e.raw }

// ParamInfo returns the schema of parameter i, or ok false when the table
// does not describe it (unknown type or an extra parameter).
func (e *Event) ParamInfo(i int) (Param, bool) {
	if e.info == nil || i < 0 || i >= len(e.info.Params) {
		return Param{}, false
	}
	return e.info.Params[i], true
}
