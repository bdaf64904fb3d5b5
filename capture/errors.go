package capture

import (
	"fmt"
	"os"
)

// ErrClosed is returned by a [Reader] or [Writer] used after Close. It is
// [os.ErrClosed], so callers can test for either.
var ErrClosed = os.ErrClosed

// CorruptError reports bytes that do not follow the capture format: a bad
// magic number, a length past the end of its container, a bad checksum or an
// absurd size.
type CorruptError struct {
	// File is the name the reader was opened with.
	File string
	// Offset is the byte offset of the bad structure. For plain .scap files it
	// is the file offset; for gzip files it is the offset in the decompressed
	// scap stream; for .scap.zst files it is the file offset of the frame
	// (see Frame), and Reason names the offset inside the frame's content.
	Offset int64
	// Frame is the index of the zstd frame holding the bad bytes, or -1 for
	// files without frames.
	Frame int
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error formats the error as "FILE: corrupt at offset N (frame K): reason".
func (e *CorruptError) Error() string {
	msg := e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Frame >= 0 {
		return fmt.Sprintf("%s: corrupt at offset %d (frame %d): %s", e.File, e.Offset, e.Frame, msg)
	}
	return fmt.Sprintf("%s: corrupt at offset %d: %s", e.File, e.Offset, msg)
}

// Unwrap returns the underlying error.
func (e *CorruptError) Unwrap() error { return e.Err }

// TruncatedError reports a file that ends early: in the middle of a block or
// frame, in a zero-filled tail (what a file system can leave after a power
// cut), or, for .scap.zst files, before the closing footer. Every event before
// Offset was returned.
type TruncatedError struct {
	// File is the name the reader was opened with.
	File string
	// Offset is where the incomplete data starts (same convention as
	// [CorruptError.Offset]).
	Offset int64
	// Frame is the index of the incomplete frame, or -1 for files without
	// frames.
	Frame int
	// Events is the number of events recovered before the truncation.
	Events int64
}

// Error formats the error as
// "FILE: truncated at offset N (frame K): M events recovered".
func (e *TruncatedError) Error() string {
	if e.Frame >= 0 {
		return fmt.Sprintf("%s: truncated at offset %d (frame %d): %d events recovered", e.File, e.Offset, e.Frame, e.Events)
	}
	return fmt.Sprintf("%s: truncated at offset %d: %d events recovered", e.File, e.Offset, e.Events)
}
