// Package suggest finds the names closest to a mistyped one, for "did you
// mean" hints in error messages.
package suggest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Closest returns up to max candidates close to word, closest first (ties
// in the candidates' order): those within an edit distance of a third of
// the word's length (at least 1, at most 3), compared without case, and
// those that contain word or that word contains when both have three or
// more letters.
func Closest(word string, candidates []string, max int) []string {
	type scored struct {
		name string
		dist int
	}
	w := strings.ToLower(word)
	limit := min(max3(len(w)/3), 3)
	var found []scored
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] || c == word {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := levenshtein.ComputeDistance(w, lc)
		switch {
		case d <= limit:
		case len(w) >= 3 && len(lc) >= 3 && (strings.Contains(lc, w) || strings.Contains(w, lc)):
			d = limit + 1 + abs(len(lc)-len(w))
		default:
			continue
		}
		found = append(found, scored{c, d})
	}
	slices.SortStableFunc(found, func(a, b scored) int { return a.dist - b.dist })
	out := make([]string, 0, min(len(found), max))
	for _, f := range found[:min(len(found), max)] {
		out = append(out, f.name)
	}
	return out
}

// DidYouMean returns ` (did you mean "x"?)` naming the candidates closest
// to word (up to three), or "" when none is close.
func DidYouMean(word string, candidates []string) string {
	c := Closest(word, candidates, 3)
	if len(c) == 0 {
		return ""
	}
	q := make([]string, len(c))
	for i, s := range c {
		q[i] = fmt.Sprintf("%q", s)
	}
	return " (did you mean " + strings.Join(q, " or ") + "?)"
}

func max3(n int) int { return max(n, 1) }

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
