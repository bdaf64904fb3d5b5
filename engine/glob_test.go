package engine

import "testing"

func TestGlobMatch(t *testing.T) {
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
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.name, func(t *testing.T) {
			if got := globMatch([]byte(tc.pattern), []byte(tc.name), tc.fold); got != tc.want {
				t.Errorf("globMatch(%q, %q, %v) = %v, want %v", tc.pattern, tc.name, tc.fold, got, tc.want)
			}
		})
	}
}
