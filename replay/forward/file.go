package forward

import (
	"bufio"
	"context"
	"fmt"
	"os"
)

// File is Falco's file_output: each alert is appended to a file as one
// line. With KeepAlive the file is opened once; otherwise it is opened and
// closed for every alert, so another program may move it away in between.
type File struct {
	path      string
	keepAlive bool
	buffered  bool
	f         *os.File
	w         *bufio.Writer
}

// NewFile returns the file_output channel appending to path. buffered is
// Falco's buffered_outputs: with KeepAlive, lines are flushed on Close
// instead of after each alert.
func NewFile(path string, keepAlive, buffered bool) *File {
	return &File{path: path, keepAlive: keepAlive, buffered: buffered}
}

// Name returns "file_output".
func (c *File) Name() string { return "file_output" }

// Deliver appends line and a newline.
func (c *File) Deliver(_ context.Context, line []byte) error {
	if c.f == nil {
		f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open output file: %w", err)
		}
		c.f, c.w = f, bufio.NewWriter(f)
	}
	c.w.Write(line)
	c.w.WriteByte('\n')
	if !c.buffered || !c.keepAlive {
		if err := c.w.Flush(); err != nil {
			c.closeFile()
			return fmt.Errorf("write output file: %w", err)
		}
	}
	if !c.keepAlive {
		return c.closeFile()
	}
	return nil
}

// Close flushes and closes the file.
func (c *File) Close() error { return c.closeFile() }

func (c *File) closeFile() error {
	if c.f == nil {
		return nil
	}
	err := c.w.Flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	c.f, c.w = nil, nil
	if err != nil {
		return fmt.Errorf("write output file: %w", err)
	}
	return nil
}
