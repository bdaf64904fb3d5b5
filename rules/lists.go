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
func substituteList(cond ctext, name, items string, limit int) (_ ctext, used, over bool) {
	s := cond.s
	start := strings.Index(s, name)
	for start >= 0 {
		end := start + len(name)
		if (start == 0 || strings.IndexByte(listDelims, s[start-1]) >= 0) &&
			(end >= len(s) || strings.IndexByte(listDelims, s[end]) >= 0) {
			nameAt := start
			for start > 0 && strings.IndexByte(listBlanks, s[start-1]) >= 0 {
				start--
			}
			for end < len(s) && strings.IndexByte(listBlanks, s[end]) >= 0 {
				end++
			}
			if items == "" {
				if start > 0 && s[start-1] == ',' {
					start--
				} else if end < len(s) && s[end] == ',' {
					end++
				}
			}
			ref, off := cond.origin(nameAt)
			var parts []ctext
			if start > 0 {
				parts = append(parts, cond.slice(0, start), generated(" ", ref, off))
			}
			parts = append(parts, generated(items+" ", ref, off))
			if end <= len(s) {
				parts = append(parts, cond.slice(end, len(s)))
			}
			cond = join(parts...)
			s = cond.s
			start += len(items) + 1
			used = true
			if len(s) > limit {
				return cond, true, true
			}
		}
		next := strings.Index(s[min(start+1, len(s)):], name)
		if next < 0 {
			break
		}
		start = start + 1 + next
	}
	return cond, used, false
}
