package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveMulti is the straightforward evaluation of an or of op checks.
func naiveMulti(op Operator, lits []string, v []byte) bool {
	for _, l := range lits {
		var ok bool
		switch op {
		case OpContains:
			ok = bytes.Contains(v, []byte(l))
		case OpEndsWith:
			ok = bytes.HasSuffix(v, []byte(l))
		default:
			ok = bytes.HasPrefix(v, []byte(l))
		}
		if ok {
			return true
		}
	}
	return false
}

// TestMultiMatcherCases checks the grouped matchers on chosen cases,
// against the straightforward evaluation.
func TestMultiMatcherCases(t *testing.T) {
	tests := []struct {
		op    Operator
		lits  []string
		value string
		want  bool
	}{
		{OpContains, []string{"he", "she", "his", "hers"}, "ushers", true},
		{OpContains, []string{"abcd", "bc"}, "xabcx", true}, // found through a fail link
		{OpContains, []string{"abcd", "cde"}, "abcde", true},
		{OpContains, []string{"aab"}, "aaab", true},
		{OpContains, []string{"abc", "xyz"}, "abxyabz", false},
		{OpContains, []string{""}, "", true},
		{OpContains, []string{"x"}, "", false},
		{OpContains, []string{"/etc/shadow", "id_rsa", ".aws/credentials"}, "/home/u/.ssh/id_rsa.pub", true},
		{OpEndsWith, []string{".sh", ".py"}, "/tmp/x.py", true},
		{OpEndsWith, []string{".sh", ".bash"}, "/tmp/x.ash", false},
		{OpEndsWith, []string{"ash", "sh"}, "/bin/bash", true},
		{OpEndsWith, []string{"abc"}, "bc", false},
		{OpEndsWith, []string{""}, "", true},
		{OpStartsWith, []string{"/etc", "/usr/lib"}, "/usr/lib64", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %q in %q", tc.op, tc.lits, tc.value), func(t *testing.T) {
			got := multiMatcher(tc.op, tc.lits)(Value{Bytes: []byte(tc.value)})
			naive := naiveMulti(tc.op, tc.lits, []byte(tc.value))
			if got != tc.want || naive != tc.want {
				t.Errorf("grouped %v, straightforward %v, want %v", got, naive, tc.want)
			}
		})
	}
}

// TestMultiMatcherDifferential compares the grouped matchers with the
// straightforward evaluation on random literals and values over a small
// alphabet, where overlaps and fail links are frequent.
func TestMultiMatcherDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(max int) string {
		b := make([]byte, rng.IntN(max+1))
		for i := range b {
			b[i] = "abc/"[rng.IntN(4)]
		}
		return string(b)
	}
	for _, op := range []Operator{OpContains, OpEndsWith, OpStartsWith} {
		for range 2000 {
			lits := make([]string, 1+rng.IntN(8))
			for i := range lits {
				lits[i] = word(5)
				if lits[i] == "" && rng.IntN(4) > 0 {
					lits[i] = "a"
				}
			}
			m := multiMatcher(op, lits)
			for range 20 {
				v := word(16)
				if got, want := m(Value{Bytes: []byte(v)}), naiveMulti(op, lits, []byte(v)); got != want {
					t.Fatalf("%s %q on %q: grouped %v, straightforward %v", op, lits, v, got, want)
				}
			}
		}
	}
}

// BenchmarkContainsList compares one Aho–Corasick pass with one
// bytes.Contains per substring, for an or of 40 contains checks on a
// command line that matches none of them (the common case).
func BenchmarkContainsList(b *testing.B) {
	var lits []string
	for i := range 40 {
		lits = append(lits, fmt.Sprintf("--opt%02d-secret", i))
	}
	v := Value{Bytes: []byte("/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory /srv/www/static 8080")}
	b.Run("automaton", func(b *testing.B) {
		m := multiMatcher(OpContains, lits)
		b.ReportAllocs()
		for b.Loop() {
			if m(v) {
				b.Fatal("match")
			}
		}
	})
	b.Run("one-by-one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if naiveMulti(OpContains, lits, v.Bytes) {
				b.Fatal("match")
			}
		}
	})
}
