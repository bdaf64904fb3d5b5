package engine

import "testing"

// TestPathTrie checks that the shared programs' pmatch trie agrees with
// pathMatcher, the straightforward pmatch, on every list and path below.
func TestPathTrie(t *testing.T) {
	lists := [][]string{
		{"/etc"},
		{"/etc/", "/usr/lib"},
		{"/"},
		{"/opt/*/bin", "/opt/app"},
		{"/var/lib/docker", "/var/lib/*/containers", "/var/l?b/x"},
		{"relative/dir"},
		{"/a/b/c", "/a"},
	}
	paths := []string{"", "/", "/etc", "/etc/", "/etc/passwd", "/etcx", "/usr/lib", "/usr/lib64", "/usr/lib/x/y",
		"/opt/foo/bin", "/opt/foo/bin/sh", "/opt/foo/sbin", "/opt/app", "/opt/app/x", "/var/lib/docker/a",
		"/var/lib/kubelet/containers/a", "/var/lib/x", "/var/lab/x/y", "relative/dir/f", "relative", "etc",
		"/a", "/a/b", "//etc", "/etc//passwd"}
	for _, list := range lists {
		items := make([]*LiteralExpr, len(list))
		for i, s := range list {
			items[i] = &LiteralExpr{Text: s}
		}
		trie, straight := newPathTrie(items), pathMatcher(items)
		for _, p := range paths {
			for _, v := range []Value{{Bytes: []byte(p)}, {Bytes: nil}} {
				if p != "" && v.Bytes == nil {
					continue
				}
				if got, want := trie.match(v), straight(v); got != want {
					t.Errorf("pmatch %q against %q (nil %v): trie %v, pathMatcher %v", p, list, v.Bytes == nil, got, want)
				}
			}
		}
	}
}
