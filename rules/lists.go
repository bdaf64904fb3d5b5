package rules

import "strings"

const (
	listBlanks = " \t\n\r"
	listDelims = listBlanks + "(),="
)

// quoteItem wraps a list or exception value containing a space in double
// quotes, unless it already starts with a quote (Falco's quote_item).
func quoteItem(s string) string {
	if strings.Contains(s, " ") && s[0] != '"' && s[0] != '\'' {
		return `"` + s + `"`
	}
	return s
}

// parenItem wraps a value in parentheses unless it already starts with one.
func parenItem(s string) string {
	if s == "" || s[0] != '(' {
		return "(" + s + ")"
	}
	return s
}

// joinListItems renders list items as Falco substitutes them: quoted where
// needed, separated by ", ".
func joinListItems(items []string) string {
	var b strings.Builder
	for _, v := range items {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteItem(v))
	}
	return b.String()
}

// substituteList replaces every occurrence of the list's name in cond, when
// delimited by the start or end of the text or by one of ` \t\n\r(),=`,
// with the list's items joined by ", ", exactly as Falco's textual list
// substitution does (including the blanks it swallows around the name and
// the comma an empty list removes). It reports whether the list was used,
// and stops early, reporting over, once the text exceeds limit bytes.
//
// Falco rewrites the whole text at each occurrence; this does the same in
// one pass: the text is the output built so far followed by the rest of
// cond, and only the blanks and the comma before an occurrence can reach
// back into the output.
func substituteList(cond ctext, name, items string, limit int) (_ ctext, used, over bool) {
	src := cond.s
	var out ctextBuilder
	rest, cursor := 0, 0 // cond.s[rest:] follows out
	// at returns byte v of the current text.
	at := func(v int) byte {
		if v < len(out.buf) {
			return out.buf[v]
		}
		return src[rest+v-len(out.buf)]
	}
	size := func() int { return len(out.buf) + len(src) - rest }
	// find returns the first occurrence of name at or after v, or -1.
	find := func(v int) int {
		from := rest + v - len(out.buf)
		if from > len(src) {
			return -1
		}
		i := strings.Index(src[from:], name)
		if i < 0 {
			return -1
		}
		return v + i
	}
	isDelim := func(c byte) bool { return strings.IndexByte(listDelims, c) >= 0 }
	isBlank := func(c byte) bool { return strings.IndexByte(listBlanks, c) >= 0 }
	start := find(0)
	for start >= 0 {
		end := start + len(name)
		n := size()
		if (start == 0 || isDelim(at(start-1))) && (end >= n || isDelim(at(end))) {
			nameAt := start
			for start > 0 && isBlank(at(start-1)) {
				start--
			}
			for end < n && isBlank(at(end)) {
				end++
			}
			if items == "" {
				if start > 0 && at(start-1) == ',' {
					start--
				} else if end < n && at(end) == ',' {
					end++
				}
			}
			// The name and what follows it are in cond.s[rest:].
			ref, off := cond.origin(rest + nameAt - len(out.buf))
			newRest := rest + end - len(out.buf)
			if start <= len(out.buf) {
				out.truncate(start)
			} else {
				out.addSlice(cond, rest, rest+start-len(out.buf), &cursor)
			}
			rest = newRest
			if start > 0 {
				out.add(generated(" ", ref, off))
			}
			out.add(generated(items+" ", ref, off))
			used = true
			start += len(items) + 1
			if size() > limit {
				out.addSlice(cond, rest, len(src), &cursor)
				return out.text(), true, true
			}
		}
		start = find(min(start+1, size()))
	}
	if !used {
		return cond, false, false
	}
	out.addSlice(cond, rest, len(src), &cursor)
	return out.text(), true, false
}
