package pcapng_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/retrace-dev/retrace/internal/pcapng"
)

// unhex decodes hex digits, ignoring spaces.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The blocks as the pcapng draft lays them out, little-endian.
const (
	// Interface Description Block: Ethernet, snap length 0, if_tsresol 9.
	idbEthernet = "01000000 20000000 0100 0000 00000000 0900 0100 09000000 0000 0000 20000000"
)

func TestNewWriter(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  string
		want string
	}{
		{"app padded", "retrace",
			"0a0d0d0a 2c000000 4d3c2b1a 0100 0000 ffffffffffffffff 0400 0700 72657472616365 00 0000 0000 2c000000" + idbEthernet},
		{"app of 4 bytes", "abcd",
			"0a0d0d0a 28000000 4d3c2b1a 0100 0000 ffffffffffffffff 0400 0400 61626364 0000 0000 28000000" + idbEthernet},
		{"no app", "",
			"0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000" + idbEthernet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := pcapng.NewWriter(&buf, pcapng.LinkTypeEthernet, tc.app)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tc.want); !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("got  % x\nwant % x", buf.Bytes(), want)
			}
		})
	}
}

func TestWritePacket(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC) // 1714564800123456789 ns: 0x17cb5b99 ffbf4d15
	for _, tc := range []struct {
		name string
		ts   time.Time
		data string // hex
		want string // the Enhanced Packet Block
	}{
		{"empty", ts, "",
			"06000000 20000000 00000000 995bcb17 154dbfff 00000000 00000000 20000000"},
		{"one byte", ts, "aa",
			"06000000 24000000 00000000 995bcb17 154dbfff 01000000 01000000 aa000000 24000000"},
		{"three bytes", ts, "aabbcc",
			"06000000 24000000 00000000 995bcb17 154dbfff 03000000 03000000 aabbcc00 24000000"},
		{"four bytes", ts, "aabbccdd",
			"06000000 24000000 00000000 995bcb17 154dbfff 04000000 04000000 aabbccdd 24000000"},
		{"five bytes", ts, "aabbccddee",
			"06000000 28000000 00000000 995bcb17 154dbfff 05000000 05000000 aabbccdd ee000000 28000000"},
		{"epoch", time.Unix(0, 0), "01020304",
			"06000000 24000000 00000000 00000000 00000000 04000000 04000000 01020304 24000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := pcapng.NewWriter(&buf, pcapng.LinkTypeEthernet, "retrace")
			if err != nil {
				t.Fatal(err)
			}
			head := buf.Len() // NewWriter's blocks are buffered until Flush
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			head = buf.Len() - head
			data := unhex(t, tc.data)
			if err := w.WritePacket(tc.ts, data); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.Bytes()[head:], unhex(t, tc.want); !bytes.Equal(got, want) {
				t.Errorf("got  % x\nwant % x", got, want)
			}

			// gopacket reads the packet back with its time and length.
			r, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.DefaultNgReaderOptions)
			if err != nil {
				t.Fatal(err)
			}
			if r.LinkType() != layers.LinkTypeEthernet {
				t.Errorf("link type %v", r.LinkType())
			}
			got, ci, err := r.ReadPacketData()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) || !ci.Timestamp.Equal(tc.ts) || ci.CaptureLength != len(data) || ci.Length != len(data) {
				t.Errorf("read back % x at %v (%d of %d bytes), want % x at %v", got, ci.Timestamp, ci.CaptureLength, ci.Length, data, tc.ts)
			}
			if _, _, err := r.ReadPacketData(); err != io.EOF {
				t.Errorf("after the packet: %v, want EOF", err)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errFull }

func TestWriteError(t *testing.T) {
	w, err := pcapng.NewWriter(failWriter{}, pcapng.LinkTypeEthernet, "retrace")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(time.Unix(1, 0), make([]byte, 8192)); !errors.Is(err, errFull) {
		t.Errorf("WritePacket past the buffer: %v, want %v", err, errFull)
	}
	if err := w.Flush(); !errors.Is(err, errFull) {
		t.Errorf("Flush: %v, want %v", err, errFull)
	}
}
