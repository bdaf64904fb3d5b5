package rules

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// sourceFile is one rules file's name and bytes, kept for positions and snippets.
type sourceFile struct {
	name string
	data []byte
	// lineStarts[i] is the byte offset of line i+1.
	lineStarts []int
}

func newSourceFile(name string, data []byte) *sourceFile {
	f := &sourceFile{name: name, data: data, lineStarts: []int{0}}
	for i, c := range data {
		if c == '\n' {
			f.lineStarts = append(f.lineStarts, i+1)
		}
	}
	return f
}

// lineText returns line (1-based) without its line break.
func (f *sourceFile) lineText(line int) []byte {
	if line < 1 || line > len(f.lineStarts) {
		return nil
	}
	start := f.lineStarts[line-1]
	end := len(f.data)
	if line < len(f.lineStarts) {
		end = f.lineStarts[line] - 1
	}
	return f.data[start:end]
}

// offsetOf converts a line and a yaml.v3 column (1-based, counted in
// characters) to a byte offset.
func (f *sourceFile) offsetOf(line, runeCol int) int {
	if line < 1 || line > len(f.lineStarts) {
		return len(f.data)
	}
	start := f.lineStarts[line-1]
	text := f.lineText(line)
	off := 0
	for n := 1; n < runeCol && off < len(text); n++ {
		_, w := utf8.DecodeRune(text[off:])
		off += w
	}
	return start + off
}

// position converts a byte offset to a Position with a byte column.
func (f *sourceFile) position(off int) Position {
	if off < 0 {
		off = 0
	}
	if off > len(f.data) {
		off = len(f.data)
	}
	lo, hi := 0, len(f.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return Position{File: f.name, Line: lo + 1, Col: off - f.lineStarts[lo] + 1}
}

// nodePos is the position of a YAML node (its first character).
func (f *sourceFile) nodePos(n *yaml.Node) Position {
	if n == nil || n.Line == 0 {
		return Position{File: f.name}
	}
	return f.position(f.offsetOf(n.Line, n.Column))
}

// scalarOffset maps a byte offset inside a scalar node's decoded value to
// the byte offset in the file where that character is written. It handles
// plain and quoted scalars spread over several lines and literal (|) and
// folded (>) block scalars by aligning the decoded value with the source:
// folding and indentation only change whitespace, and escapes are matched
// to the backslash that starts them.
func (f *sourceFile) scalarOffset(n *yaml.Node, valueOff int) int {
	start := f.offsetOf(n.Line, n.Column)
	if n.Kind != yaml.ScalarNode {
		return start
	}
	data := f.data
	// Skip a tag (!!str) or an anchor (&a) written before the scalar.
	for start < len(data) && (data[start] == '!' || data[start] == '&') {
		for start < len(data) && !isYAMLSpace(data[start]) {
			start++
		}
		for start < len(data) && (data[start] == ' ' || data[start] == '\t') {
			start++
		}
	}
	j := start
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The content begins on the line after the indicator.
		if i := bytes.IndexByte(data[start:], '\n'); i >= 0 {
			j = start + i + 1
		} else {
			return start
		}
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		j = start + 1
	}
	v := n.Value
	if valueOff > len(v) {
		valueOff = len(v)
	}
	double := n.Style&yaml.DoubleQuotedStyle != 0
	single := n.Style&yaml.SingleQuotedStyle != 0
	for i := 0; ; {
		if j >= len(data) {
			return len(data)
		}
		if i >= valueOff {
			// Skip indentation and folded breaks so the offset lands on
			// the next written character.
			for j < len(data) && i < len(v) && data[j] != v[i] && isYAMLSpace(data[j]) {
				j++
			}
			return j
		}
		c := data[j]
		switch {
		case double && c == '\\' && j+1 < len(data):
			esc := data[j+1]
			if esc == '\n' || esc == '\r' {
				j += 2 // escaped line break: no character in the value
				continue
			}
			width := 2
			switch esc {
			case 'x':
				width = 4
			case 'u':
				width = 6
			case 'U':
				width = 10
			}
			_, w := utf8.DecodeRuneInString(v[i:])
			i += w
			j += width
		case c == v[i]:
			i++
			j++
			if single && c == '\'' && j < len(data) && data[j] == '\'' {
				j++
			}
		case (v[i] == ' ' || v[i] == '\n') && (c == '\n' || c == '\r'):
			// A line break folded into a space or kept as a newline.
			i++
			j++
		default:
			j++ // indentation, a line break that folded away, a closing quote
		}
	}
}

func isYAMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
