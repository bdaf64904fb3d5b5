package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

var errShortBlock = errors.New("block continues past the end of the data")

// cursor reads little-endian fields from a byte slice, remembering the first
// out-of-bounds read instead of panicking.
type cursor struct {
	b   []byte
	off int
	err error
}

func (c *cursor) need(n int, what string) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || len(c.b)-c.off < n {
		c.err = fmt.Errorf("%s at offset %d: need %d bytes, %d left", what, c.off, n, len(c.b)-c.off)
		return false
	}
	return true
}

func (c *cursor) left() int { return len(c.b) - c.off }

func (c *cursor) u8(what string) uint8 {
	if !c.need(1, what) {
		return 0
	}
	v := c.b[c.off]
	c.off++
	return v
}

func (c *cursor) u16(what string) uint16 {
	if !c.need(2, what) {
		return 0
	}
	v := binary.LittleEndian.Uint16(c.b[c.off:])
	c.off += 2
	return v
}

func (c *cursor) u32(what string) uint32 {
	if !c.need(4, what) {
		return 0
	}
	v := binary.LittleEndian.Uint32(c.b[c.off:])
	c.off += 4
	return v
}

func (c *cursor) u64(what string) uint64 {
	if !c.need(8, what) {
		return 0
	}
	v := binary.LittleEndian.Uint64(c.b[c.off:])
	c.off += 8
	return v
}

func (c *cursor) bytes(n int, what string) []byte {
	if !c.need(n, what) {
		return nil
	}
	v := c.b[c.off : c.off+n : c.off+n]
	c.off += n
	return v
}

// str reads a u16-length-prefixed string (not NUL-terminated).
func (c *cursor) str(what string) string {
	n := int(c.u16(what))
	return string(c.bytes(n, what))
}

// list reads a u16-length-prefixed NUL-separated list.
func (c *cursor) list(what string) []string {
	n := int(c.u16(what))
	return splitNUL(c.bytes(n, what))
}

// splitNUL splits a NUL-separated list; a trailing NUL ends the last item.
func splitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	s = strings.TrimSuffix(s, "\x00")
	return strings.Split(s, "\x00")
}

// joinNUL is the inverse of splitNUL: every item is followed by a NUL.
func joinNUL(items []string) []byte {
	var b []byte
	for _, s := range items {
		b = append(b, s...)
		b = append(b, 0)
	}
	return b
}

func appendStr(dst []byte, s string) []byte {
	if len(s) > 0xFFFF {
		s = s[:0xFFFF]
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendList(dst []byte, items []string) []byte {
	return appendStr(dst, string(joinNUL(items)))
}
