package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		fold, want    bool
	}{
		{"*", "", false, true},
		{"*", "/a/b", false, true},
		{"/usr/bin/*", "/usr/bin/sub/dir", false, true},
		{"/usr/*/x", "/usr/a/b/x", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"[abc]x", "bx", false, true},
		{"[!abc]x", "bx", false, false},
		{"[^a]", "A", false, true},
		{"[^a]", "A", true, false}, // glibc's fnmatch with FNM_CASEFOLD agrees
		{"[^abc]x", "dx", false, true},
		{"[a-c]", "b", false, true},
		{"[a-c]", "d", false, false},
		{"[]]", "]", false, true},
		{"[a-]", "-", false, true},
		{"[", "[", false, true},
		{"a[", "a[", false, true},
		{"\\*", "*", false, true},
		{"\\*", "x", false, false},
		{"*.txt", "notes.TXT", false, false},
		{"*.txt", "notes.TXT", true, true},
		{"[A-Z]", "q", true, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"", "", false, true},
		{"", "a", false, false},
		{"**a", "bba", false, true},
		// Container mount lookups (container.mount.source[pattern]).
		{"/proc*", "/proc", false, true},
		{"/proc*", "/proc/sys", false, true},
		{"/root*", "/home", false, false},
		{"/etc", "/etc", false, true},
		{"/etc", "/etc/x", false, false},
		{"/[a-c]x", "/bx", false, true},
		{"/[!a-c]x", "/bx", false, false},
		{"/[^a-c]x", "/dx", false, true},
		{"*.sock", "/var/run/docker.sock", false, true},
		// Escapes inside a bracket expression, as glibc's fnmatch.
		{`[\]]x`, "]x", false, true},
		{`[\]]x`, `\]x`, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.name, func(t *testing.T) {
			if got := Match(tc.pattern, tc.name, tc.fold); got != tc.want {
				t.Errorf("Match(%q, %q, %v) = %v, want %v", tc.pattern, tc.name, tc.fold, got, tc.want)
			}
			if got := Match([]byte(tc.pattern), []byte(tc.name), tc.fold); got != tc.want {
				t.Errorf("Match([]byte(%q), []byte(%q), %v) = %v, want %v", tc.pattern, tc.name, tc.fold, got, tc.want)
			}
		})
	}
}

// BenchmarkMatch measures a path pattern with two stars, as rules use.
func BenchmarkMatch(b *testing.B) {
	pattern, name := []byte("/usr/*/lib/*.so"), []byte("/usr/local/lib/libretrace.so")
	b.ReportAllocs()
	for b.Loop() {
		if !Match(pattern, name, false) {
			b.Fatal("no match")
		}
	}
}

// FuzzMatch checks that strings and byte slices match alike, that a
// pattern without special characters matches itself, and that folding
// case only adds matches to a pattern without a negated bracket (with
// one it also removes some: "[^a]" matches "A" but not under folding, as
// glibc's fnmatch with FNM_CASEFOLD answers too).
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"*", "a"}, {"[a-c]?x*", "bqxyz"}, {`[\]]`, "]"}, {"[", "["}, {`a\`, `a\`}} {
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, pattern, name string, fold bool) {
		if Match(pattern, name, fold) != Match([]byte(pattern), []byte(name), fold) {
			t.Fatalf("Match(%q, %q, %v) differs between string and []byte", pattern, name, fold)
		}
		if !Match(pattern, pattern, fold) && !strings.ContainsAny(pattern, "*?[\\") {
			t.Fatalf("literal pattern %q does not match itself", pattern)
		}
		negated := strings.Contains(pattern, "[!") || strings.Contains(pattern, "[^")
		if !negated && Match(pattern, name, false) && !Match(pattern, name, true) {
			t.Fatalf("Match(%q, %q) but not with fold", pattern, name)
		}
	})
}
