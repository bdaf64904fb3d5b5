package timeline

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLineCodec checks that a line's record reads back from a spill as
// written, times before 1970 and the largest ranks included, and that a
// record with a bad time is an error.
func TestLineCodec(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  lineRecord
	}{
		{"in time order", lineRecord{at: order{sec: 1_700_000_000, nsec: 999_999_999}, line: []byte(`{"a":1}`)}},
		{"ranked", lineRecord{at: order{rank: math.MaxUint64, ops: 7, sec: 1}, line: []byte("x")}},
		{"before 1970, empty line", lineRecord{at: order{sec: -86400, nsec: 1}, line: []byte{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lineCodec.Decode(lineCodec.Append(nil, tc.rec))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.rec, got, cmp.AllowUnexported(lineRecord{}, order{})); diff != "" {
				t.Errorf("read back (-written +read):\n%s", diff)
			}
		})
	}
	for _, b := range [][]byte{nil, {0x80}, {0, 0, 0}, binary.AppendUvarint([]byte{0, 0, 0}, 1e9)} {
		if r, err := lineCodec.Decode(b); err == nil {
			t.Errorf("decode % x: %+v, want an error", b, r)
		}
	}
}
