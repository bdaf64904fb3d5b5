package detect

import (
	"cmp"
	"encoding/binary"
	"errors"

	"github.com/retrace-dev/retrace/internal/merge"
)

// This file merges the per-capture output streams, each in time order,
// into one stream in time order (ties: capture order) with
// internal/merge. Live captures stream through channels; with more
// captures than workers, finished captures' lines wait in spill files
// (one per worker, unlinked at once) and are read back through small
// buffers, so memory does not grow with the output.

// compareItems orders items by time.
func compareItems(a, b Item) int { return cmp.Compare(a.Time, b.Time) }

// itemCodec spills an item's time and line (an item spilled has no
// detection).
var itemCodec = merge.Codec[Item]{
	Append: func(dst []byte, it Item) []byte {
		return append(binary.AppendUvarint(dst, it.Time), it.Line...)
	},
	Decode: func(b []byte) (Item, error) {
		ts, n := binary.Uvarint(b)
		if n <= 0 {
			return Item{}, errors.New("bad item time")
		}
		return Item{Time: ts, Line: b[n:]}, nil
	},
}

// newSpill creates a worker's spill file in dir (default: the system's
// temporary directory).
func newSpill(dir string) (*merge.Spill[Item], error) {
	return merge.NewSpill(dir, "retrace-merge-*", itemCodec)
}
