package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// A Ruleset's rules are compiled again into one program (compileShared) in
// which work common to several rules is done at most once per event:
//
//   - every field occurrence with the same name and argument is bound once,
//     and its values are extracted at most once per event (fieldSlot);
//   - structurally identical subexpressions (the same check, the same
//     macro expansion, the same and/or/not of identical terms) are compiled
//     once, and those used in more than one place are evaluated at most
//     once per event (memo).
//
// Both caches are valid for one event: [Ruleset.Match] starts a new epoch
// before it evaluates anything. Conditions are pure functions of the event
// and the state, and the state does not change while the rules of one event
// run, so sharing does not change any result; the differential test in
// replay compares the shared and the independent evaluator rule by rule on
// every capture.

// program is the shared evaluation state of one Ruleset.
type program struct {
	epoch    uint64
	fields   map[string]*Binding // by field name and argument
	ids      map[Node]int        // node -> structural id
	keys     map[string]int      // structural key -> id
	uses     []int               // per id: places it is used, counting a shared subtree once
	compiled []evalFunc          // per id: the compiled node, once compiled
}

// next starts the evaluation of a new event: cached values and results
// become stale.
func (p *program) next() { p.epoch++ }

// compileShared compiles the conditions of rules into one program and
// returns the rules' evaluation functions, in order.
func compileShared(rules []*Rule) (*program, []evalFunc, error) {
	p := &program{fields: make(map[string]*Binding), ids: make(map[Node]int), keys: make(map[string]int)}
	for _, r := range rules {
		p.count(r.Condition.root)
	}
	evals := make([]evalFunc, len(rules))
	for i, r := range rules {
		cond := r.Condition
		c := &compiler{opts: cond.opts, text: cond.text, maxSize: cond.opts.MaxNodes, prog: p}
		if c.maxSize <= 0 {
			c.maxSize = DefaultMaxCompiledNodes
		}
		f, err := c.node(cond.root)
		if err != nil {
			return nil, nil, fmt.Errorf("new ruleset: compile rule %q: %w", r.Name, err)
		}
		evals[i] = f
	}
	// The keys and ids are only needed while compiling.
	p.ids, p.keys = nil, nil
	return p, evals, nil
}

// key returns the structural id of n: two nodes have the same id when they
// compile to the same function. A macro reference has the id of its
// expansion.
func (p *program) key(n Node) int {
	if id, ok := p.ids[n]; ok {
		return id
	}
	var b strings.Builder
	switch n := n.(type) {
	case *MacroRef:
		if n.Expansion != nil {
			id := p.key(n.Expansion)
			p.ids[n] = id
			return id
		}
		b.WriteString("?" + n.Name)
	case *AndExpr:
		b.WriteByte('&')
		p.writeKeys(&b, n.Terms)
	case *OrExpr:
		b.WriteByte('|')
		p.writeKeys(&b, n.Terms)
	case *NotExpr:
		b.WriteByte('!')
		b.WriteString(strconv.Itoa(p.key(n.Term)))
	case *CheckExpr:
		b.WriteByte('c')
		writeOperandKey(&b, n.Left)
		b.WriteString(" " + strconv.Itoa(int(n.Op)) + " " + strconv.Itoa(int(n.Mod)) + " ")
		writeOperandKey(&b, n.Right)
	default:
		// Not shared: an id of its own.
		fmt.Fprintf(&b, "%T@%p", n, n)
	}
	k := b.String()
	id, ok := p.keys[k]
	if !ok {
		id = len(p.uses)
		p.keys[k] = id
		p.uses = append(p.uses, 0)
		p.compiled = append(p.compiled, nil)
	}
	p.ids[n] = id
	return id
}

func (p *program) writeKeys(b *strings.Builder, ns []Node) {
	for _, t := range ns {
		b.WriteString(strconv.Itoa(p.key(t)))
		b.WriteByte(',')
	}
}

// writeOperandKey writes an unambiguous form of an operand: literals are
// length-prefixed, so no text can be mistaken for a list.
func writeOperandKey(b *strings.Builder, o Operand) {
	switch o := o.(type) {
	case nil:
		b.WriteString("-")
	case *LiteralExpr:
		b.WriteString("L" + strconv.Itoa(len(o.Text)) + ":" + o.Text)
	case *ListExpr:
		b.WriteString("(" + strconv.Itoa(len(o.Items)))
		for _, it := range o.Items {
			b.WriteString(" " + strconv.Itoa(len(it.Text)) + ":" + it.Text)
		}
		b.WriteByte(')')
	case *FieldExpr:
		b.WriteString("F" + strconv.Itoa(len(o.Name)) + ":" + o.Name)
		if o.HasArg {
			b.WriteString("[" + strconv.Itoa(len(o.Arg)) + ":" + o.Arg)
		}
	case *TransformExpr:
		b.WriteString("T" + o.Name + "(" + strconv.Itoa(len(o.Args)))
		for _, a := range o.Args {
			b.WriteByte(' ')
			writeOperandKey(b, a)
		}
		b.WriteByte(')')
	default:
		fmt.Fprintf(b, "%T@%p", o, o)
	}
}

// count counts the places each subexpression is used. A subtree already
// counted is not entered again: its parts are shared through it.
func (p *program) count(n Node) {
	if m, ok := n.(*MacroRef); ok && m.Expansion != nil {
		p.count(m.Expansion)
		return
	}
	id := p.key(n)
	if p.uses[id]++; p.uses[id] > 1 {
		return
	}
	switch n := n.(type) {
	case *AndExpr:
		for _, t := range n.Terms {
			p.count(t)
		}
	case *OrExpr:
		for _, t := range n.Terms {
			p.count(t)
		}
	case *NotExpr:
		p.count(n.Term)
	}
}

// shared returns the function compiled for n's structure, if any.
func (p *program) shared(n Node) (int, evalFunc, bool) {
	id, ok := p.ids[n]
	if !ok {
		return 0, nil, false
	}
	return id, p.compiled[id], true
}

// store records f as the function of id, evaluated at most once per event
// when id is used in several places and is worth remembering.
func (p *program) store(id int, n Node, f evalFunc) evalFunc {
	if p.uses[id] > 1 && !cheap(n) {
		f = p.memo(f)
	}
	p.compiled[id] = f
	return f
}

// cheap reports whether n costs no more than remembering its result: an
// evt.type check is a bit test.
func cheap(n Node) bool {
	c, ok := n.(*CheckExpr)
	if !ok {
		return false
	}
	f, ok := c.Left.(*FieldExpr)
	return ok && f.Name == "evt.type" && !f.HasArg && c.Mod == ModNone
}

// memo evaluates f at most once per event.
func (p *program) memo(f evalFunc) evalFunc {
	var epoch uint64
	var result bool
	return func(ev Event) bool {
		if epoch != p.epoch {
			result = f(ev)
			epoch = p.epoch
		}
		return result
	}
}

// bind binds a field once per name and argument; the binding's extractor
// extracts at most once per event.
func (p *program) bind(reg Registry, name string, arg Arg) (Binding, error) {
	k := name + "\x00" + arg.String()
	if b, ok := p.fields[k]; ok {
		return *b, nil
	}
	b, err := reg.Bind(name, arg)
	if err != nil || b.Extractor == nil {
		return b, err
	}
	b.Extractor = &fieldSlot{p: p, ex: b.Extractor}
	p.fields[k] = &b
	return b, nil
}

// fieldSlot is a bound extractor whose values are extracted at most once
// per event. The values' bytes stay valid: the underlying extractor is not
// called again before the next event.
type fieldSlot struct {
	p     *program
	ex    Extractor
	epoch uint64
	vals  []Value
}

// Extract appends the event's values, extracting them on first use.
func (s *fieldSlot) Extract(ev Event, dst []Value) []Value {
	if s.epoch != s.p.epoch {
		s.vals = s.ex.Extract(ev, s.vals[:0])
		s.epoch = s.p.epoch
	}
	return append(dst, s.vals...)
}

// values returns the event's values, extracting them on first use. The
// result is the slot's own slice: callers read it and do not keep it.
func (s *fieldSlot) values(ev Event) []Value {
	if s.epoch != s.p.epoch {
		s.vals = s.ex.Extract(ev, s.vals[:0])
		s.epoch = s.p.epoch
	}
	return s.vals
}

// valuesFunc returns a function giving ex's values for an event: a shared
// field's cached values without copying, or a fresh extraction into a
// scratch buffer owned by the returned function.
func valuesFunc(ex Extractor) func(Event) []Value {
	if s, ok := ex.(*fieldSlot); ok {
		return s.values
	}
	var buf []Value
	return func(ev Event) []Value {
		buf = ex.Extract(ev, buf[:0])
		return buf
	}
}
