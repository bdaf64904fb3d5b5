package engine

// Event type inference (libsinsp ppm_codes): the set of dispatch ids a
// condition can match. "and" intersects, "or" unites, "not" is pushed down
// to the leaves with De Morgan's laws; at a leaf, negation inverts a
// definite set (evt.type checks, evt.num invariants, evt.type exists) and
// leaves neutral checks (every other field) at "all event types".

// inferTypes returns the ids n can match; neg is true below an odd number
// of nots.
func (c *compiler) inferTypes(n Node, neg bool) (idSet, error) {
	total := c.opts.EventTypes.Count()
	switch n := n.(type) {
	case *AndExpr, *OrExpr:
		var terms []Node
		conj := false
		if a, ok := n.(*AndExpr); ok {
			terms, conj = a.Terms, !neg
		} else {
			terms, conj = n.(*OrExpr).Terms, neg
		}
		var acc idSet
		if conj {
			acc = fullIDSet(total)
		} else {
			acc = newIDSet(total)
		}
		for _, t := range terms {
			s, err := c.inferTypes(t, neg)
			if err != nil {
				return nil, err
			}
			if conj {
				acc = acc.intersect(s)
			} else {
				acc = acc.union(s)
			}
		}
		return acc, nil
	case *NotExpr:
		return c.inferTypes(n.Term, !neg)
	case *MacroRef:
		if n.Expansion == nil {
			return fullIDSet(total), nil
		}
		c.macros = append(c.macros, n)
		s, err := c.inferTypes(n.Expansion, neg)
		c.macros = c.macros[:len(c.macros)-1]
		return s, err
	case *CheckExpr:
		s, definite, err := c.leafTypes(n)
		if err != nil {
			return nil, err
		}
		if definite && neg {
			s = s.complement(total)
		}
		return s, nil
	}
	return fullIDSet(total), nil
}

// leafTypes returns the ids a check matches without negation and whether
// the set is definite (inverted by a surrounding not).
func (c *compiler) leafTypes(n *CheckExpr) (idSet, bool, error) {
	total := c.opts.EventTypes.Count()
	if n.Mod != ModNone {
		// libsinsp sees "= oneof" as an operator of its own: neutral.
		return fullIDSet(total), false, nil
	}
	if s, ok := evtNumInvariant(n, total); ok {
		return s, true, nil
	}
	if t, ok := n.Left.(*TransformExpr); ok && transformsEvtType(t) &&
		(n.Op == OpEq || n.Op == OpNe || n.Op == OpIn || n.Op == OpExists) {
		return nil, false, c.errorf(KindType, t.At, nil,
			"event code search does not support `evt.type` checks with transformers")
	}
	f, ok := n.Left.(*FieldExpr)
	if !ok || f.HasArg || (f.Name != "evt.type" && f.Name != "syscall.type") {
		return fullIDSet(total), false, nil
	}
	switch n.Op {
	case OpExists:
		return fullIDSet(total), true, nil
	case OpEq, OpNe, OpIn:
	default:
		return fullIDSet(total), false, nil
	}
	items, err := c.evtTypeItems(n)
	if err != nil {
		return nil, false, err
	}
	s, err := c.evtTypeSet(items)
	if err != nil {
		return nil, false, err
	}
	if n.Op == OpNe {
		s = s.complement(total)
	}
	return s, true, nil
}

// transformsEvtType reports whether a transformer applies to evt.type.
func transformsEvtType(t *TransformExpr) bool {
	for _, a := range t.Args {
		switch a := a.(type) {
		case *FieldExpr:
			if !a.HasArg && (a.Name == "evt.type" || a.Name == "syscall.type") {
				return true
			}
		case *TransformExpr:
			if transformsEvtType(a) {
				return true
			}
		}
	}
	return false
}

// evtNumInvariant resolves checks on evt.num, which is at least 1 for every
// event: evt.num=0 can never match, evt.num!=0 always does.
func evtNumInvariant(n *CheckExpr, total int) (idSet, bool) {
	f, ok := n.Left.(*FieldExpr)
	if !ok || f.Name != "evt.num" || f.HasArg {
		return nil, false
	}
	if l, ok := n.Right.(*ListExpr); ok && n.Op == OpIn {
		for _, it := range l.Items {
			if v, ok := parseNumber(TypeUint64, it.Text); !ok || v != 0 {
				return nil, false
			}
		}
		return newIDSet(total), true
	}
	lit, ok := n.Right.(*LiteralExpr)
	if !ok {
		return nil, false
	}
	v, ok := parseNumber(TypeUint64, lit.Text)
	if !ok {
		return nil, false
	}
	switch {
	case n.Op == OpEq && v == 0, n.Op == OpLt && v <= 1, n.Op == OpLe && v == 0:
		return newIDSet(total), true
	case n.Op == OpNe && v == 0, n.Op == OpGt && v == 0, n.Op == OpGe && v <= 1:
		return fullIDSet(total), true
	}
	return nil, false
}
