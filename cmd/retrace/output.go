package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// output is where a command writes its answer: stdout, or the file --out
// names; buffered.
type output struct {
	*bufio.Writer
	dst  io.Writer // stdout or the file, for terminal checks
	file *os.File  // nil for stdout
}

// openOutput creates the file at path, or uses stdout when path is empty.
func openOutput(stdout io.Writer, path string) (*output, error) {
	if path == "" {
		return &output{Writer: bufio.NewWriterSize(stdout, 64<<10), dst: stdout}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create output: %w", err)
	}
	return &output{Writer: bufio.NewWriterSize(f, 64<<10), dst: f, file: f}, nil
}

// writeLine writes line and a newline.
func (o *output) writeLine(line []byte) error {
	o.Write(line)
	if err := o.WriteByte('\n'); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// finish flushes and closes the output, and returns errs joined with what
// that returned, as a failure (exit code 1), or nil.
func (o *output) finish(errs ...error) error {
	if err := o.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("write output: %w", err))
	}
	if o.file != nil {
		if err := o.file.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write output: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return withCode(exitFailure, err)
	}
	return nil
}
