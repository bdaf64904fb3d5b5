// Package regularfile opens files that must be regular files (captures,
// rule files) without blocking on a FIFO that has no writer, and says what
// a file that is not regular is instead.
package regularfile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError reports a path that names something other than a
// regular file.
type NotRegularError struct {
	// Path is the name given to Open.
	Path string
	// Mode is the file's type bits.
	Mode fs.FileMode
}

// Kind says what the file is: "a named pipe (FIFO)", "a directory"...
func (e *NotRegularError) Kind() string { return Kind(e.Mode) }

// Error formats the error as "PATH: not a regular file: KIND".
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file: %s", e.Path, e.Kind())
}

// Kind names the type of a file mode that is not a regular file.
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "an irregular file"
}

// Open opens name for reading if it is a regular file (symbolic links
// followed). It opens with O_NONBLOCK, so that a FIFO without a writer
// does not block the open, and checks the type of what it opened (not of
// what the name said a moment before); anything but a regular file is
// closed again and reported as a *NotRegularError.
func Open(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: name, Mode: fi.Mode().Type()}
	}
	return f, nil
}
