package report

import (
	"bufio"
	"fmt"
	"io"
)

// TreeWriter writes a tree view a capture at a time, so that a run over
// many captures need not hold every capture's tree: the captures' trees
// written one after the other, in order, are the bytes [Write] writes of
// a report whose Tree holds them all, in text, JSON and Timesketch (but
// that a Timesketch line of a process without a host names the host of
// its own capture, not those of every capture). It is not safe for
// concurrent use.
type TreeWriter struct {
	w      *bufio.Writer
	format Format
	opts   Options
	text   treeTextState
}

// NewTreeWriter returns a writer of a tree view in format f to w, or nil
// when f is written as a whole (table, HTML: a table sizes its columns
// from all of its rows).
func NewTreeWriter(w io.Writer, f Format, opts Options) *TreeWriter {
	switch f {
	case FormatText, FormatJSON, FormatTimesketch:
		return &TreeWriter{w: bufio.NewWriterSize(w, 64<<10), format: f, opts: opts}
	}
	return nil
}

// WriteCapture writes roots, the process tree of the capture c describes,
// and flushes them to the writer.
func (t *TreeWriter) WriteCapture(c CaptureInfo, roots []ProcessNode) error {
	var err error
	switch t.format {
	case FormatText:
		err = writeTreeText(t.w, roots, captureSets([]CaptureInfo{c}), &t.text, t.opts)
	case FormatJSON:
		err = writeTreeJSON(t.w, roots)
	case FormatTimesketch:
		err = writeTreeTimesketch(t.w, roots, c.Hostname)
	}
	if err != nil {
		return err
	}
	if err := t.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", t.format, err)
	}
	return nil
}
