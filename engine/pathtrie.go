package engine

import (
	"bytes"
	"strings"

	"github.com/retrace-dev/retrace/internal/glob"
)

// pathTrie is pmatch's list of directories as a trie of path components,
// used in shared programs: a path is looked up once, component by
// component, instead of against each directory in turn. A component
// holding a glob is an edge tried with glob matching. The result is
// pathMatcher's: the path is equal to or below a listed directory.
type pathTrie struct {
	nodes []pathNode
}

type pathNode struct {
	end   bool           // a listed directory ends here
	exact map[string]int // component -> child
	globs []pathGlob
}

type pathGlob struct {
	pattern []byte
	child   int
}

// newPathTrie builds the trie of items, split into components as
// pathMatcher splits them.
func newPathTrie(items []*LiteralExpr) *pathTrie {
	t := &pathTrie{nodes: []pathNode{{}}}
	for _, it := range items {
		d := it.Text
		for len(d) > 1 && d[len(d)-1] == '/' {
			d = d[:len(d)-1]
		}
		comps := []string{""}
		if d != "/" {
			comps = strings.Split(d, "/")
		}
		n := 0
		for _, c := range comps {
			n = t.child(n, c)
		}
		t.nodes[n].end = true
	}
	return t
}

// child returns the child of n for component c, adding it when missing.
func (t *pathTrie) child(n int, c string) int {
	if strings.ContainsAny(c, "*?[") {
		for _, g := range t.nodes[n].globs {
			if string(g.pattern) == c {
				return g.child
			}
		}
		id := len(t.nodes)
		t.nodes = append(t.nodes, pathNode{})
		t.nodes[n].globs = append(t.nodes[n].globs, pathGlob{pattern: []byte(c), child: id})
		return id
	}
	if id, ok := t.nodes[n].exact[c]; ok {
		return id
	}
	id := len(t.nodes)
	t.nodes = append(t.nodes, pathNode{})
	if t.nodes[n].exact == nil {
		t.nodes[n].exact = make(map[string]int)
	}
	t.nodes[n].exact[c] = id
	return id
}

// match reports whether v is equal to or below a listed directory.
func (t *pathTrie) match(v Value) bool { return t.walk(0, v.Bytes) }

// walk matches the components of rest (nil: no component left) from node
// n.
func (t *pathTrie) walk(n int, rest []byte) bool {
	node := &t.nodes[n]
	if node.end {
		return true
	}
	if rest == nil {
		return false
	}
	comp, next := rest, []byte(nil)
	if j := bytes.IndexByte(rest, '/'); j >= 0 {
		comp, next = rest[:j], rest[j+1:]
	}
	if id, ok := node.exact[string(comp)]; ok && t.walk(id, next) {
		return true
	}
	for _, g := range node.globs {
		if glob.Match(g.pattern, comp, false) && t.walk(g.child, next) {
			return true
		}
	}
	return false
}
