// Package progress draws a progress bar of bytes read on a terminal while
// a long command runs (github.com/schollz/progressbar renders it), and
// tells whether and how wide a writer's terminal is.
package progress

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Counter reports the bytes read so far and the total expected.
type Counter func() (read, total int64)

// Options tune a bar; the zero value draws at once, five times a second.
type Options struct {
	// Label is printed before the bar (a file name, or nothing).
	Label string
	// Delay passes before the bar is first drawn, so that quick commands
	// draw nothing.
	Delay time.Duration
	// Tick is how often the bar is redrawn (default 200ms).
	Tick time.Duration
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// TerminalWidth returns w's width in columns when w is a terminal, else 0
// (the width that lets table writers pick their default).
func TerminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return 0
	}
	return cols
}

// Start draws the progress of c on w every tick until the returned
// function is called, which erases the bar if it was drawn. Callers draw
// only on a terminal (see [IsTerminal]).
func Start(w io.Writer, c Counter, o Options) (stop func()) {
	if o.Tick <= 0 {
		o.Tick = 200 * time.Millisecond
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		started := time.Now()
		t := time.NewTicker(o.Tick)
		defer t.Stop()
		var bar *progressbar.ProgressBar
		for {
			select {
			case <-done:
				if bar != nil {
					_ = bar.Clear()
				}
				return
			case <-t.C:
				if time.Since(started) < o.Delay {
					continue
				}
				read, total := c()
				if bar == nil {
					bar = progressbar.NewOptions64(max(total, 1),
						progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(o.Label),
						progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionShowCount(),
						progressbar.OptionUseIECUnits(true),
						progressbar.OptionSetWidth(30), progressbar.OptionThrottle(0),
						progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(false))
				}
				_ = bar.Set64(min(read, max(total, 1)))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// Line redraws one line of status text in place on a terminal (a
// recorder's live counters). Its methods belong to one goroutine.
type Line struct {
	w     io.Writer
	drawn bool
}

// NewLine returns a status line drawn on w; callers draw only on a
// terminal (see [IsTerminal]).
func NewLine(w io.Writer) *Line { return &Line{w: w} }

// Set replaces the line's text.
func (l *Line) Set(text string) {
	_, _ = io.WriteString(l.w, "\r"+text+"\x1b[K")
	l.drawn = true
}

// Clear erases the line, if drawn, leaving the cursor at its start.
func (l *Line) Clear() {
	if l.drawn {
		_, _ = io.WriteString(l.w, "\r\x1b[K")
		l.drawn = false
	}
}

// Writer returns a writer to w that erases the line before each write,
// for messages printed while the line is shown (the next Set redraws it).
func (l *Line) Writer() io.Writer { return lineWriter{l} }

type lineWriter struct{ l *Line }

func (lw lineWriter) Write(p []byte) (int, error) {
	lw.l.Clear()
	return lw.l.w.Write(p)
}
