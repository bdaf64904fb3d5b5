package capture_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
)

// unknownBlock returns a block of an unknown type with size bytes in all.
func unknownBlock(size int) []byte {
	raw := make([]byte, size)
	binary.LittleEndian.PutUint32(raw, 0x7EADB10C)
	binary.LittleEndian.PutUint32(raw[4:], uint32(size))
	binary.LittleEndian.PutUint32(raw[size-4:], uint32(size))
	return raw
}

// blocksCapture writes a capture in format f: a generated header, before
// blocks of an unknown type and size bytes, events, after such blocks,
// more events.
func blocksCapture(t *testing.T, f capture.Format, before, after, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, "blocks", capture.WriterOptions{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		t.Fatal(err)
	}
	raw := unknownBlock(size)
	write := func(n int) {
		for range n {
			if err := w.WriteBlock(raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(before)
	if _, err := capgen.Generate(w, capgen.Options{Events: 100}); err != nil {
		t.Fatal(err)
	}
	write(after)
	if _, err := capgen.Generate(w, capgen.Options{Events: 100, Seed: 2, Start: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUnknownBlocks reads captures with blocks of an unknown type before
// and among the events, in each format: the reader passes over the ones
// before the first event without keeping them (they are counted in
// BlockCounts and not handed out by NextBlock), hands out the ones among
// the events, and, for .scap.zst, the writer put the blocks among the
// events in frames of their own, so that the frames still match their
// index (no damage).
func TestUnknownBlocks(t *testing.T) {
	const before, after, size = 5, 7, 3 << 20
	for _, f := range []capture.Format{capture.FormatScap, capture.FormatGzip, capture.FormatZstd} {
		t.Run(f.String(), func(t *testing.T) {
			data := blocksCapture(t, f, before, after, size)
			r, err := capture.NewReader(bytes.NewReader(data), "blocks")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Header().BlockCounts["0x7EADB10C"]; got != before {
				t.Errorf("BlockCounts counts %d unknown header blocks, want %d", got, before)
			}
			unknown, events := 0, 0
			for {
				b, err := r.NextBlock()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("NextBlock: %v", err)
				}
				switch {
				case b.Type == 0x7EADB10C:
					unknown++
				case capture.IsEventBlock(b.Type):
					events++
				}
			}
			if unknown != after {
				t.Errorf("NextBlock handed out %d unknown blocks, want the %d among the events", unknown, after)
			}
			if d := r.Damage(); len(d) > 0 {
				t.Errorf("damage: %v", d)
			}
			if events < 200 {
				t.Errorf("%d events, want at least 200", events)
			}
		})
	}
}

// TestWriterHeaderLimit checks that the writer refuses a header larger
// than readers keep, rather than write a file retrace cannot read.
func TestWriterHeaderLimit(t *testing.T) {
	w, err := capture.NewWriter(io.Discard, "big", capture.WriterOptions{Format: capture.FormatScap})
	if err != nil {
		t.Fatal(err)
	}
	ul := unknownBlock(capture.MaxBlockSize)
	binary.LittleEndian.PutUint32(ul, capture.BlockUL)
	var werr error
	for i := 0; i <= capture.MaxHeaderBytes/capture.MaxBlockSize && werr == nil; i++ {
		werr = w.WriteBlock(ul)
	}
	const want = "write header to big: header blocks of more than the 256 MiB readers keep"
	if werr == nil || werr.Error() != want {
		t.Fatalf("WriteBlock: %v, want %q", werr, want)
	}
	w.Close()
}
