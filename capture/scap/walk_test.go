package scap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// capturedEvent is one event record cut from a shared capture by the tiny
// block walker below (the real reader lives in package capture).
type capturedEvent struct {
	raw []byte
	v1  bool
}

// walkCapture returns every event record of a plain, gzip or zstd
// (retrace .scap.zst) scap file.
func walkCapture(tb testing.TB, path string) []capturedEvent {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			tb.Fatal(err)
		}
		r = zr
	}
	if magic, _ := br.Peek(4); bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}) || len(magic) == 4 && magic[0]&0xf0 == 0x50 && bytes.Equal(magic[1:], []byte{0x2a, 0x4d, 0x18}) {
		zr, err := zstd.NewReader(br)
		if err != nil {
			tb.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	evs, err := walkBlocks(data)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return evs
}

func walkBlocks(data []byte) ([]capturedEvent, error) {
	var evs []capturedEvent
	for off := 0; off+12 <= len(data); {
		bt := binary.LittleEndian.Uint32(data[off:])
		bl := int(binary.LittleEndian.Uint32(data[off+4:]))
		if bl < 12 || off+bl > len(data) {
			return nil, fmt.Errorf("block at %d: bad length %d", off, bl)
		}
		body := data[off+8 : off+bl-4]
		switch bt {
		case 0x204, 0x8010ABCD:
			evs = append(evs, capturedEvent{raw: body[2:], v1: true})
		case 0x216, 0x221:
			evs = append(evs, capturedEvent{raw: body[2:]})
		case 0x208:
			evs = append(evs, capturedEvent{raw: body[6:], v1: true})
		case 0x217, 0x222:
			evs = append(evs, capturedEvent{raw: body[6:]})
		}
		off += bl
	}
	return evs, nil
}

// craftCapture writes a plain scap file holding the metadata blocks of the
// shared capture base followed by evs as 0x216 event blocks (cpu 0), for
// checks with real sysdig.
func craftCapture(tb testing.TB, base string, evs ...[]byte) string {
	tb.Helper()
	f, err := os.Open(base)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if zr, err := gzip.NewReader(f); err == nil {
		r = zr
	} else if _, err := f.Seek(0, io.SeekStart); err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	var out []byte
	for off := 0; off+12 <= len(data); {
		bt := binary.LittleEndian.Uint32(data[off:])
		bl := int(binary.LittleEndian.Uint32(data[off+4:]))
		switch bt {
		case 0x204, 0x8010ABCD, 0x216, 0x221, 0x208, 0x217, 0x222:
			off = len(data)
			continue
		}
		out = append(out, data[off:off+bl]...)
		off += bl
	}
	for _, ev := range evs {
		body := 2 + len(ev)
		total := 8 + (body+3)&^3 + 4
		blockType := uint32(0x216)
		if info, ok := Lookup(Type(binary.LittleEndian.Uint16(ev[20:]))); ok && info.Large() {
			blockType = 0x221 // libscap's writer uses the large block type for these
		}
		out = binary.LittleEndian.AppendUint32(out, blockType)
		out = binary.LittleEndian.AppendUint32(out, uint32(total))
		out = binary.LittleEndian.AppendUint16(out, 0)
		out = append(out, ev...)
		for i := body; i%4 != 0; i++ {
			out = append(out, 0)
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(total))
	}
	path := tb.TempDir() + "/crafted.scap"
	if err := os.WriteFile(path, out, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
