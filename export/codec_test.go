package export

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestPageCodec checks that pages compressed by pageCodec are standard zstd
// frames that a plain decoder and the codec's own Decode read back.
func TestPageCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := bytes.Repeat([]byte("/usr/lib/x86_64-linux-gnu/libc.so.6\x00"), 2000)
	noise := make([]byte, 70<<10)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var c pageCodec
	for _, tc := range []struct {
		name string
		page []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"repeated text", text},
		{"random", noise},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z, err := c.Encode(nil, tc.page)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.page) == len(text) && len(z) > len(tc.page)/10 {
				t.Errorf("repeated text: %d bytes compressed to %d", len(tc.page), len(z))
			}
			for name, decode := range map[string]func() ([]byte, error){
				"zstd":  func() ([]byte, error) { return dec.DecodeAll(z, nil) },
				"codec": func() ([]byte, error) { return c.Decode(nil, z) },
			} {
				got, err := decode()
				if err != nil || !bytes.Equal(got, tc.page) {
					t.Errorf("%s: decoded %d bytes (err %v), want the %d of the page", name, len(got), err, len(tc.page))
				}
			}
		})
	}
}
