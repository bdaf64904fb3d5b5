package pcapng

import (
	"bufio"
	"encoding/binary"
	"io"
	"time"
)

// LinkTypeEthernet is LINKTYPE_ETHERNET: packets are Ethernet II frames
// without the frame check sequence.
const LinkTypeEthernet = 1

// Block types and option codes of the pcapng format.
const (
	blockSectionHeader = 0x0a0d0d0a
	blockInterface     = 0x00000001
	blockEnhanced      = 0x00000006

	byteOrderMagic = 0x1a2b3c4d

	optEnd      = 0 // opt_endofopt
	optUserAppl = 4 // shb_userappl: the application that wrote the section
	optTSResol  = 9 // if_tsresol: the interface's timestamp unit
)

// tsResolNano is if_tsresol's value for timestamps in units of 10^-9 s.
const tsResolNano = 9

// Writer writes a pcapng file of one section with one interface. It buffers
// its output: call [Writer.Flush] after the last packet. A Writer is not
// safe for concurrent use.
type Writer struct {
	w     *bufio.Writer
	block []byte // the block being built, reused
}

// NewWriter starts a pcapng file on w: it writes the Section Header Block,
// naming app as the writing application (unless app is empty), and the Interface Description
// Block of the one interface, whose packets are of linkType (such as
// [LinkTypeEthernet]), unlimited in length, and timed in nanoseconds.
// Errors are w's.
func NewWriter(w io.Writer, linkType uint16, app string) (*Writer, error) {
	pw := &Writer{w: bufio.NewWriter(w)}

	b := pw.start(blockSectionHeader)
	b = binary.LittleEndian.AppendUint32(b, byteOrderMagic)
	b = binary.LittleEndian.AppendUint16(b, 1)          // major version
	b = binary.LittleEndian.AppendUint16(b, 0)          // minor version
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0)) // section length: unspecified
	if app != "" {
		b = appendOption(b, optUserAppl, []byte(app))
		b = binary.LittleEndian.AppendUint32(b, optEnd)
	}
	if err := pw.finish(b); err != nil {
		return nil, err
	}

	b = pw.start(blockInterface)
	b = binary.LittleEndian.AppendUint16(b, linkType)
	b = binary.LittleEndian.AppendUint16(b, 0) // reserved
	b = binary.LittleEndian.AppendUint32(b, 0) // snap length: unlimited
	b = appendOption(b, optTSResol, []byte{tsResolNano})
	b = binary.LittleEndian.AppendUint32(b, optEnd)
	if err := pw.finish(b); err != nil {
		return nil, err
	}
	return pw, nil
}

// WritePacket writes an Enhanced Packet Block of a packet captured whole
// (not truncated) at ts on the file's interface. Errors are the underlying
// writer's.
func (w *Writer) WritePacket(ts time.Time, data []byte) error {
	b := w.start(blockEnhanced)
	ns := uint64(ts.UnixNano())
	b = binary.LittleEndian.AppendUint32(b, 0) // interface ID
	b = binary.LittleEndian.AppendUint32(b, uint32(ns>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ns))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data))) // captured length
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data))) // original length
	b = appendPadded(b, data)
	return w.finish(b)
}

// Flush writes the buffered blocks to the underlying writer.
func (w *Writer) Flush() error {
	return w.w.Flush()
}

// start begins a block of type typ in w's block buffer, leaving its total
// length for finish to fill in.
func (w *Writer) start(typ uint32) []byte {
	b := binary.LittleEndian.AppendUint32(w.block[:0], typ)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// finish ends block b with its total length, which it also writes after the
// type, and writes the block.
func (w *Writer) finish(b []byte) error {
	n := uint32(len(b) + 4)
	binary.LittleEndian.PutUint32(b[4:], n)
	b = binary.LittleEndian.AppendUint32(b, n)
	w.block = b
	_, err := w.w.Write(b)
	return err
}

// appendOption appends an option: its code, the length of its value, and
// the value padded to 32 bits.
func appendOption(b []byte, code uint16, value []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	return appendPadded(b, value)
}

// appendPadded appends data and zeros up to a multiple of 4 bytes.
func appendPadded(b, data []byte) []byte {
	b = append(b, data...)
	return append(b, make([]byte, -len(data)&3)...)
}
