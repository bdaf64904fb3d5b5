package engine

// In a shared program (see shared.go), the terms of an or that test the
// same text field with startswith against constants, as upstream rules
// write long lists of path and command-line prefixes
// ("fd.name startswith /etc or fd.name startswith /usr/lib or ..."), are
// compiled into one check: the field is read once and its value walks a
// byte trie of the prefixes. An or of pure checks does not depend on the
// order of its terms, and a missing value fails every one of them, so the
// result is the same.

// orTerms compiles the terms of an or, grouping the startswith, endswith
// and contains checks of one field when compiling a shared program (see
// multimatch.go for the last two).
func (c *compiler) orTerms(terms []Node) ([]evalFunc, error) {
	if c.prog == nil {
		return c.nodes(terms)
	}
	groups := make(map[string][]int)
	var order []string
	for i, t := range terms {
		if f, op, ok := multiCheckField(t); ok {
			k := op.String() + " " + f.String()
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], i)
		}
	}
	grouped := make(map[int]bool)
	var fs []evalFunc
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		first := terms[idx[0]].(*CheckExpr)
		src, err := c.operand(first.Left)
		if err != nil {
			return nil, err
		}
		if !src.typ.Textual() || src.multi == Set || src.info.Flags&FlagPrintOnly != 0 {
			continue
		}
		lits := make([]string, len(idx))
		for n, i := range idx {
			lits[n] = terms[i].(*CheckExpr).Right.(*LiteralExpr).Text
			grouped[i] = true
		}
		fs = append(fs, combine(src, first.Op, multiMatcher(first.Op, lits)))
	}
	for i, t := range terms {
		if grouped[i] {
			continue
		}
		f, err := c.node(t)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// multiCheckField returns the field and operator of a `field startswith
// constant`, `field endswith constant` or `field contains constant` check.
func multiCheckField(n Node) (*FieldExpr, Operator, bool) {
	ce, ok := n.(*CheckExpr)
	if !ok || ce.Mod != ModNone || ce.Op != OpStartsWith && ce.Op != OpEndsWith && ce.Op != OpContains {
		return nil, 0, false
	}
	f, ok := ce.Left.(*FieldExpr)
	if !ok {
		return nil, 0, false
	}
	_, ok = ce.Right.(*LiteralExpr)
	return f, ce.Op, ok
}

// multiMatcher returns the matcher of an or of op checks against lits.
func multiMatcher(op Operator, lits []string) matcher {
	switch op {
	case OpEndsWith:
		var t suffixTrie
		for _, l := range lits {
			t.add(l)
		}
		return t.match
	case OpContains:
		return newSubstringAutomaton(lits).match
	}
	var t prefixTrie
	for _, l := range lits {
		t.add(l)
	}
	return t.match
}

// prefixTrie is a byte trie of prefixes: node 0 is the root.
type prefixTrie struct {
	nodes []trieNode
}

type trieNode struct {
	end   bool // a prefix ends here
	bytes []byte
	next  []int32 // next[i] is the child for bytes[i]
}

// add adds prefix p.
func (t *prefixTrie) add(p string) {
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, trieNode{})
	}
	n := 0
	for i := 0; i < len(p); i++ {
		child := -1
		for j, b := range t.nodes[n].bytes {
			if b == p[i] {
				child = int(t.nodes[n].next[j])
				break
			}
		}
		if child < 0 {
			child = len(t.nodes)
			t.nodes = append(t.nodes, trieNode{})
			t.nodes[n].bytes = append(t.nodes[n].bytes, p[i])
			t.nodes[n].next = append(t.nodes[n].next, int32(child))
		}
		n = child
	}
	t.nodes[n].end = true
}

// match reports whether some prefix is a prefix of v.
func (t *prefixTrie) match(v Value) bool {
	n := &t.nodes[0]
	for _, c := range v.Bytes {
		if n.end {
			return true
		}
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
