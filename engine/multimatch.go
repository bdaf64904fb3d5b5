package engine

// In a shared program the contains and endswith checks of one text field
// against constants in an or are grouped like the startswith checks (see
// prefix.go): endswith walks a trie of the reversed suffixes from the
// value's end, contains runs an Aho–Corasick automaton of the substrings
// over the value once, instead of one scan per substring.

// suffixTrie is a byte trie of reversed suffixes.
type suffixTrie struct{ prefixTrie }

// add adds suffix s.
func (t *suffixTrie) add(s string) {
	r := make([]byte, len(s))
	for i := range len(s) {
		r[len(s)-1-i] = s[i]
	}
	t.prefixTrie.add(string(r))
}

// match reports whether some suffix is a suffix of v.
func (t *suffixTrie) match(v Value) bool {
	n := &t.nodes[0]
	for i := len(v.Bytes) - 1; i >= 0; i-- {
		if n.end {
			return true
		}
		c := v.Bytes[i]
		child := -1
		for j, b := range n.bytes {
			if b == c {
				child = int(n.next[j])
				break
			}
		}
		if child < 0 {
			return false
		}
		n = &t.nodes[child]
	}
	return n.end
}

// substringAutomaton is an Aho–Corasick automaton: a trie of the
// substrings with, per node, the node of its longest proper suffix that is
// also a trie path (fail) and whether a substring ends at the node or at a
// node of its fail chain (out). The root's transitions are a full table.
type substringAutomaton struct {
	trie prefixTrie
	fail []int32
	out  []bool
	root [256]int32 // the root's transition for every byte (0: stay)
}

// newSubstringAutomaton builds the automaton of subs.
func newSubstringAutomaton(subs []string) *substringAutomaton {
	a := &substringAutomaton{}
	for _, s := range subs {
		a.trie.add(s)
	}
	nodes := a.trie.nodes
	a.fail = make([]int32, len(nodes))
	a.out = make([]bool, len(nodes))
	a.out[0] = nodes[0].end
	// Breadth first, so a node's fail target is done before the node.
	queue := make([]int32, 0, len(nodes))
	for j, b := range nodes[0].bytes {
		child := nodes[0].next[j]
		a.root[b] = child
		a.out[child] = nodes[child].end || a.out[0]
		queue = append(queue, child)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for j, b := range nodes[n].bytes {
			child := nodes[n].next[j]
			f := a.fail[n]
			for {
				if g, ok := a.step(f, b); ok {
					a.fail[child] = g
					break
				}
				if f == 0 {
					break // fail stays the root
				}
				f = a.fail[f]
			}
			a.out[child] = nodes[child].end || a.out[a.fail[child]]
			queue = append(queue, child)
		}
	}
	return a
}

// step returns the trie child of node n for byte b. From the root every
// byte has a transition (to the root itself when no substring starts
// with b), which ok reports as false for the fail computation.
func (a *substringAutomaton) step(n int32, b byte) (int32, bool) {
	if n == 0 {
		next := a.root[b]
		return next, next != 0
	}
	nd := &a.trie.nodes[n]
	for j, c := range nd.bytes {
		if c == b {
			return nd.next[j], true
		}
	}
	return 0, false
}

// match reports whether some substring occurs in v.
func (a *substringAutomaton) match(v Value) bool {
	if a.out[0] {
		return true
	}
	var s int32
	for _, b := range v.Bytes {
		for {
			if next, ok := a.step(s, b); ok || s == 0 {
				s = next
				break
			}
			s = a.fail[s]
		}
		if a.out[s] {
			return true
		}
	}
	return false
}
