package capture

import (
	"errors"
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

// NotCaptureError reports a file that is not a capture at all: empty, text,
// too short to tell, of an unknown format, or not a regular file.
type NotCaptureError struct {
	// File is the name the reader was opened with.
	File string
	// What says what the file is instead: "an empty file", "a text file",
	// "a named pipe (FIFO)", "unknown format (first bytes 7f 45 4c 46)"...
	What string
}

// Error formats the error as "FILE: not a capture: WHAT".
func (e *NotCaptureError) Error() string {
	return fmt.Sprintf("%s: not a capture: %s", e.File, e.What)
}

// LimitError reports a structure larger than one of the reader's limits
// (see docs/FORMAT.md, "Limits"): not necessarily corrupt, but more than
// the reader holds.
type LimitError struct {
	// File is the name the reader was opened with.
	File string
	// What names the structure, e.g. "zstd window of 128 MiB".
	What string
	// Offset is where the structure starts (same convention as
	// [CorruptError.Offset]).
	Offset int64
	// Limit is the limit in bytes.
	Limit int64
	// Hint, when set, says what to do instead.
	Hint string
}

// Error formats the error as "FILE: WHAT at offset N is larger than the L
// limit (HINT)".
func (e *LimitError) Error() string {
	msg := fmt.Sprintf("%s: %s at offset %d is larger than the %s limit", e.File, e.What, e.Offset, sizeText(e.Limit))
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// sizeText writes n bytes in MiB from 1 MiB up (with one decimal unless
// whole), in bytes below.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// IsFileError reports whether err is, or wraps, one of the reader's errors
// about the file's content ([CorruptError], [TruncatedError],
// [DamagedError], [NotCaptureError], [LimitError]); their text names the
// file already.
func IsFileError(err error) bool {
	var ce *CorruptError
	var te *TruncatedError
	var de *DamagedError
	var ne *NotCaptureError
	var le *LimitError
	return errors.As(err, &ce) || errors.As(err, &te) || errors.As(err, &de) || errors.As(err, &ne) || errors.As(err, &le)
}
