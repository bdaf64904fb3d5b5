package engine

import (
	"strings"
	"testing"
)

func TestPrefixTrie(t *testing.T) {
	tests := []struct {
		name     string
		prefixes []string
		value    string
		want     bool
	}{
		{"exact", []string{"/etc"}, "/etc", true},
		{"below", []string{"/etc"}, "/etc/passwd", true},
		{"shorter value", []string{"/etc/"}, "/etc", false},
		{"other", []string{"/etc", "/usr/lib"}, "/usr/bin/ls", false},
		{"second", []string{"/etc", "/usr/lib"}, "/usr/lib64/x", true},
		{"nested prefixes", []string{"/usr/lib/x", "/usr"}, "/usr/share", true},
		{"empty prefix", []string{"", "/x"}, "anything", true},
		{"empty value", []string{"/x"}, "", false},
		{"empty value, empty prefix", []string{""}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tr prefixTrie
			for _, p := range tc.prefixes {
				tr.add(p)
			}
			got := tr.match(Value{Bytes: []byte(tc.value)})
			want := false
			for _, p := range tc.prefixes {
				want = want || strings.HasPrefix(tc.value, p)
			}
			if got != tc.want || want != tc.want {
				t.Errorf("match(%q) = %v, HasPrefix says %v, want %v", tc.value, got, want, tc.want)
			}
		})
	}
}
