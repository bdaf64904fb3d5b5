package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// substituteListRewrite is Falco's substitution as written before the
// one-pass version: the whole text rebuilt at each occurrence. It is the
// reference the one-pass substituteList must match byte for byte and
// position for position.
func substituteListRewrite(cond ctext, name, items string, limit int) (_ ctext, used, over bool) {
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

// appendTextRewrite is Falco's append as written before the queued
// version: the old text, one space, the new text, copied at each append.
func appendTextRewrite(old, add ctext) ctext {
	ref, off := old.origin(len(old.s))
	return join(old, generated(" ", ref, off), add)
}

// sameText reports how two texts differ: bytes, or the origin of a byte.
func sameText(got, want ctext) string {
	if got.s != want.s {
		return fmt.Sprintf("text %q, want %q", got.s, want.s)
	}
	for off := 0; off <= len(want.s); off++ {
		gr, go_ := got.origin(off)
		wr, wo := want.origin(off)
		if gr != wr || go_ != wo {
			return fmt.Sprintf("byte %d of %q comes from (%p, %d), want (%p, %d)", off, want.s, gr, go_, wr, wo)
		}
	}
	return ""
}

// pieces builds a text of several origins from its parts.
func pieces(refs []*scalarRef, parts ...string) ctext {
	var ts []ctext
	for i, p := range parts {
		if i%2 == 1 {
			ts = append(ts, generated(p, refs[i%len(refs)], i))
		} else {
			ts = append(ts, fromScalar(refs[i%len(refs)], p))
		}
	}
	return join(ts...)
}

// TestSubstituteListOnePass checks the one-pass substitution against the
// rewriting one on crafted and random texts: same text, same origins, same
// used and over.
func TestSubstituteListOnePass(t *testing.T) {
	refs := []*scalarRef{{}, {}, {}}
	tests := []struct {
		name        string
		cond        ctext
		list, items string
		limit       int
	}{
		{"plain", fromScalar(refs[0], "proc.name in (shells)"), "shells", "sh, bash", 1 << 20},
		{"at start", fromScalar(refs[0], "l l"), "l", "a", 1 << 20},
		{"at start, comma", fromScalar(refs[0], "l,l"), "l", "a", 1 << 20},
		{"blanks around", fromScalar(refs[0], "x (  l  ,  l  ) = l"), "l", "a, b", 1 << 20},
		{"empty list, comma before", fromScalar(refs[0], "f in (a, l)"), "l", "", 1 << 20},
		{"empty list, comma after", fromScalar(refs[0], "f in (l, a) or l,l ,l"), "l", "", 1 << 20},
		{"not a word", fromScalar(refs[0], "shells_x in (xshells) shells"), "shells", "a", 1 << 20},
		{"items name the list", fromScalar(refs[0], "(l) and (l)"), "l", "l, l", 1 << 20},
		{"several origins", pieces(refs, "f in (l", ", l) and ", "l", " or g in (", "l)"), "l", "x y, z", 1 << 20},
		{"over the limit", fromScalar(refs[0], "(l) (l) (l) (l)"), "l", "aaaaaaaaaa", 30},
		{"no occurrence", fromScalar(refs[0], "proc.name = sh"), "l", "a", 1 << 20},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"l", "l", "ll", " ", "  ", ",", "(", ")", "=", "\n", "x", "\t"}
	for i := range 2000 {
		var parts []string
		for range 1 + rng.IntN(5) {
			var b strings.Builder
			for range rng.IntN(8) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			parts = append(parts, b.String())
		}
		items := []string{"", "a", "l", "a, b", "x y "}[rng.IntN(5)]
		tests = append(tests, struct {
			name        string
			cond        ctext
			list, items string
			limit       int
		}{fmt.Sprintf("random %d", i), pieces(refs, parts...), "l", items, 1 << 20})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, gotUsed, gotOver := substituteList(tc.cond, tc.list, tc.items, tc.limit)
			want, wantUsed, wantOver := substituteListRewrite(tc.cond, tc.list, tc.items, tc.limit)
			if gotUsed != wantUsed || gotOver != wantOver {
				t.Errorf("%q: used, over = %v, %v; want %v, %v", tc.cond.s, gotUsed, gotOver, wantUsed, wantOver)
			}
			if d := sameText(got, want); d != "" {
				t.Errorf("%q: %s", tc.cond.s, d)
			}
		})
	}
}

// TestAppendQueue checks queued appends against appending one at a time.
func TestAppendQueue(t *testing.T) {
	refs := []*scalarRef{{}, {}, {}}
	tests := []struct {
		name string
		base ctext
		adds []ctext
	}{
		{"one", fromScalar(refs[0], "a"), []ctext{fromScalar(refs[1], "b")}},
		{"several", fromScalar(refs[0], "a = 1"), []ctext{fromScalar(refs[1], "or b"), fromScalar(refs[2], "and c"), fromScalar(refs[1], "x")}},
		{"empty base", fromScalar(refs[0], ""), []ctext{fromScalar(refs[1], "b"), fromScalar(refs[2], "c")}},
		{"empty append", fromScalar(refs[0], "a"), []ctext{fromScalar(refs[1], ""), fromScalar(refs[2], "c"), fromScalar(refs[1], "")}},
		{"generated base", pieces(refs, "a", "b", "c"), []ctext{pieces(refs, "d", "e")}},
		{"none", fromScalar(refs[0], "a"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.base
			for _, a := range tc.adds {
				want = appendTextRewrite(want, a)
			}
			got := textQueue(tc.adds).appendTo(tc.base)
			if d := sameText(got, want); d != "" {
				t.Error(d)
			}
		})
	}
}
