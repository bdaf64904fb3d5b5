package capture

import (
	"bytes"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture/minisig"
)

// FuzzDecodeCheckpoint fuzzes the checkpoint frame parser: it must not
// panic, and what it accepts must encode back to the same bytes.
func FuzzDecodeCheckpoint(f *testing.F) {
	key, _ := minisig.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	for _, k := range []*minisig.PrivateKey{nil, key} {
		var c chainWriter
		c.key = k
		c.add(0, 0, []byte("frame zero"))
		c.add(1, 10, []byte("frame one"))
		f.Add(encodeCheckpoint(c.checkpoint(k != nil, time.Unix(1, 2))))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		if again := encodeCheckpoint(c); !bytes.Equal(again, b) {
			t.Fatalf("decoded checkpoint encodes to other bytes")
		}
	})
}
