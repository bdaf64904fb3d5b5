package report

import (
	"bufio"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// WriteText writes one Falco alert line per detection, each followed by an
// indented provenance line when the detection has one (see
// [Provenance.ChainText]), then the process
// tree of a tree view, if any, indented by depth. An alert line is
//
//	<time>: <Priority> <output>
//
// with the time in Falco's ISO-8601 form (or time of day, see
// [Options.TimeFormat]) and the line escaped as Falco escapes it (see
// [AppendText]).
func WriteText(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i := range r.Detections {
		line = AppendTextProvenance(line[:0], &r.Detections[i], opts)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write text: %w", err)
		}
	}
	if len(r.Tree) > 0 {
		if err := writeTreeText(bw, r.Tree, captureSets(r.Captures), &treeTextState{}, opts); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}

// AppendText appends d's Falco alert line, without a newline, to dst and
// returns the extended buffer. Like Falco, it escapes the whole line as the
// inside of a JSON string: quotes, backslashes and control characters are
// escaped and invalid UTF-8 becomes U+FFFD, so a hostile command line cannot
// forge extra lines or terminal escapes.
func AppendText(dst []byte, d *Detection, opts Options) []byte {
	dst = appendPrefix(dst, d, opts)
	dst = append(dst, ' ')
	return appendEscaped(dst, d.Output)
}

// appendPrefix appends "<time>: <Priority>". Time and priority names are
// ASCII without characters that need escaping, except a hostile priority
// name, which is escaped too.
func appendPrefix(dst []byte, d *Detection, opts Options) []byte {
	dst = appendEventTime(dst, d.Time, opts)
	dst = append(dst, ':', ' ')
	return appendEscaped(dst, d.Priority)
}

// appendEventTime appends t in the text prefix's format and zone.
func appendEventTime(dst []byte, t time.Time, opts Options) []byte {
	t = t.In(opts.zone())
	if opts.TimeFormat == TimeOfDay {
		return t.AppendFormat(dst, "15:04:05.000000000")
	}
	return t.AppendFormat(dst, "2006-01-02T15:04:05.000000000-0700")
}

// appendEscaped appends s escaped like the inside of a JSON string written
// by nlohmann::json's dump(ensure_ascii=false, error_handler=replace), which
// Falco uses for both its text and JSON output: '"', '\\' and control
// characters below 0x20 are escaped ("\n", "\u001b"), everything else is
// copied, and each maximal invalid UTF-8 subsequence becomes one U+FFFD.
func appendEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size != 1 {
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, "\uFFFD"...)
		i += invalidUTF8Len(s[i:])
		start = i
	}
	return append(dst, s[start:]...)
}

// invalidUTF8Len returns the length of the maximal subpart of an ill-formed
// UTF-8 sequence at the start of s (Unicode's recommended practice, which
// nlohmann::json's decoder follows): a valid lead byte followed by as many
// valid continuation bytes as the sequence allows before it breaks, or one
// byte when the lead byte itself is invalid.
func invalidUTF8Len(s string) int {
	c := s[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		b := s[n]
		if b < lo || b > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
