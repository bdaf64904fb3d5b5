package capture

import (
	"errors"
	"io"
)

// Copy writes every block of r to w unchanged, header blocks first, and
// hands r's retrace metadata (if any) to w for its closing metadata. It
// returns the number of event blocks copied. When r ends early the blocks
// before the truncation are copied and the *TruncatedError is returned; when
// r has damaged frames the blocks of every intact frame are copied and the
// *DamagedError is returned; w is not closed either way.
func Copy(w *Writer, r *Reader) (int64, error) {
	var events int64
	for {
		b, err := r.NextBlock()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return events, err
		}
		if err := w.WriteBlock(b.Raw); err != nil {
			return events, err
		}
		if IsEventBlock(b.Type) {
			events++
		}
	}
	if md := r.Header().Metadata; md != nil {
		w.SetMetadata(*md)
	}
	return events, nil
}
