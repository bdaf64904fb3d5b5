package engine

import (
	"errors"
	"fmt"
	"slices"
)

// CompileOptions configure [Compile] and [CompileFormat].
type CompileOptions struct {
	// Registry resolves and binds fields. Required.
	Registry Registry
	// EventTypes resolves evt.type values to dispatch ids, for the event
	// type index and for fast evt.type checks. When nil, evt.type values
	// are not checked and every condition applies to every event.
	EventTypes EventTypes
	// MaxNodes bounds the size of a condition after macro expansion
	// (macros used several times are compiled once per use, so nested
	// macros can grow a condition exponentially); 0 means
	// DefaultMaxCompiledNodes.
	MaxNodes int
}

// DefaultMaxCompiledNodes is the default [CompileOptions.MaxNodes].
const DefaultMaxCompiledNodes = 1 << 20

// Condition is a compiled condition. It is not safe for concurrent use: it
// keeps scratch buffers so that [Condition.Eval] does not allocate.
type Condition struct {
	eval  evalFunc
	types idSet
	text  string
	root  Node
	opts  CompileOptions
}

// evalFunc evaluates a compiled boolean expression.
type evalFunc func(ev Event) bool

// Eval reports whether ev satisfies the condition. It does not check the
// event type index: callers that dispatch by type ([Ruleset]) already did.
func (c *Condition) Eval(ev Event) bool { return c.eval(ev) }

// EventTypes returns the sorted dispatch ids the condition can match (the
// event type inference of RULES.md §3), or nil when the condition was
// compiled without an EventTypes table.
func (c *Condition) EventTypes() []int {
	if c.types == nil {
		return nil
	}
	return c.types.ids()
}

// MatchesEventType reports whether the condition can match events with
// dispatch id id.
func (c *Condition) MatchesEventType(id int) bool {
	return c.types == nil || c.types.has(id)
}

// Clone compiles the condition again, giving a copy with its own scratch
// buffers for use by another goroutine. Fields are bound again through the
// registry.
func (c *Condition) Clone() (*Condition, error) {
	cl, _, err := Compile(c.root, c.text, c.opts)
	if err != nil {
		return nil, fmt.Errorf("clone condition: %w", err)
	}
	return cl, nil
}

// String returns the condition text it was compiled from.
func (c *Condition) String() string { return c.text }

// TooManyEventTypes is the number of event types above which a condition
// gets the "too many evt.type values" warning, as in Falco.
const TooManyEventTypes = 100

// Compile type-checks the parsed, macro-expanded condition root (parsed from
// text, used for error snippets) and compiles it. Warnings (event type
// coverage, deprecated fields) are returned apart from the error, which is
// an *[Error].
func Compile(root Node, text string, opts CompileOptions) (*Condition, []Warning, error) {
	if opts.Registry == nil {
		return nil, nil, errors.New("compile condition: no field registry")
	}
	c := &compiler{opts: opts, text: text, maxSize: opts.MaxNodes}
	if c.maxSize <= 0 {
		c.maxSize = DefaultMaxCompiledNodes
	}
	eval, err := c.node(root)
	if err != nil {
		return nil, nil, err
	}
	cond := &Condition{eval: eval, text: text, root: root, opts: opts}
	if opts.EventTypes != nil {
		types, err := c.inferTypes(root, false)
		if err != nil {
			return nil, nil, err
		}
		cond.types = types
		n, total := types.count(), opts.EventTypes.Count()
		start := root.Offset()
		switch {
		case n == 0:
			c.warn(WarnNoEvents, start, "condition matches no event type and never runs")
		case n == total:
			c.warn(WarnNoEventType, start, "condition has no evt.type restriction and runs on every event; "+
				"this has a significant performance penalty")
		case n > TooManyEventTypes:
			c.warn(WarnTooManyEventTypes, start, fmt.Sprintf("condition matches too many evt.type values (%d); "+
				"this has a significant performance penalty", n))
		}
	}
	return cond, c.warnings, nil
}

// compiler holds the state of one compilation.
type compiler struct {
	opts     CompileOptions
	size     int // nodes compiled so far
	maxSize  int
	text     string
	macros   []*MacroRef
	warnings []Warning
	deprec   map[string]bool
	prog     *program // shared evaluation of a Ruleset; nil for a lone condition
}

// errorf returns an *Error at byte offset off in the current text (the
// innermost macro being compiled, or the condition).
func (c *compiler) errorf(kind ErrorKind, off int, wrapped error, format string, args ...any) error {
	e := &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Text: c.text, Err: wrapped}
	if n := len(c.macros); n > 0 {
		e.Macro = c.macros[n-1].Name
		e.Text = c.macros[n-1].Text
	}
	e.Pos = posAt(e.Text, off)
	return e
}

// warn records a warning at byte offset off in the current text.
func (c *compiler) warn(kind WarningKind, off int, msg string) {
	w := Warning{Kind: kind, Msg: msg, Text: c.text}
	if n := len(c.macros); n > 0 {
		w.Macro = c.macros[n-1].Name
		w.Text = c.macros[n-1].Text
	}
	w.Pos = posAt(w.Text, off)
	c.warnings = append(c.warnings, w)
}

func (c *compiler) node(n Node) (evalFunc, error) {
	if _, isMacro := n.(*MacroRef); c.prog == nil || isMacro {
		return c.compileNode(n)
	}
	id, f, ok := c.prog.shared(n)
	if !ok {
		return c.compileNode(n)
	}
	if f != nil {
		return f, nil
	}
	f, err := c.compileNode(n)
	if err != nil {
		return nil, err
	}
	return c.prog.store(id, n, f), nil
}

// compileNode compiles n; in a shared program its parts are shared.
func (c *compiler) compileNode(n Node) (evalFunc, error) {
	if c.size++; c.size > c.maxSize {
		return nil, c.errorf(KindLimit, n.Offset(), nil, "condition exceeds %d nodes after macro expansion", c.maxSize)
	}
	switch n := n.(type) {
	case *AndExpr:
		fs, err := c.nodes(n.Terms)
		if err != nil {
			return nil, err
		}
		if len(fs) == 2 {
			a, b := fs[0], fs[1]
			return func(ev Event) bool { return a(ev) && b(ev) }, nil
		}
		return func(ev Event) bool {
			for _, f := range fs {
				if !f(ev) {
					return false
				}
			}
			return true
		}, nil
	case *OrExpr:
		fs, err := c.orTerms(n.Terms)
		if err != nil {
			return nil, err
		}
		if len(fs) == 2 {
			a, b := fs[0], fs[1]
			return func(ev Event) bool { return a(ev) || b(ev) }, nil
		}
		return func(ev Event) bool {
			for _, f := range fs {
				if f(ev) {
					return true
				}
			}
			return false
		}, nil
	case *NotExpr:
		f, err := c.node(n.Term)
		if err != nil {
			return nil, err
		}
		return func(ev Event) bool { return !f(ev) }, nil
	case *MacroRef:
		if n.Expansion == nil {
			return nil, c.errorf(KindUndefinedMacro, n.At, nil, "undefined macro '%s' used in filter", n.Name)
		}
		if slices.Contains(c.macros, n) {
			return nil, c.errorf(KindMacroLoop, n.At, nil, "macro '%s' refers to itself", n.Name)
		}
		c.macros = append(c.macros, n)
		f, err := c.node(n.Expansion)
		c.macros = c.macros[:len(c.macros)-1]
		return f, err
	case *CheckExpr:
		return c.check(n)
	case nil:
		return nil, errors.New("compile condition: nil node")
	}
	return nil, fmt.Errorf("compile condition: unexpected node %T", n)
}

func (c *compiler) nodes(ns []Node) ([]evalFunc, error) {
	fs := make([]evalFunc, len(ns))
	for i, n := range ns {
		f, err := c.node(n)
		if err != nil {
			return nil, err
		}
		fs[i] = f
	}
	return fs, nil
}

// source is a compiled left or right operand: a bound field, possibly
// transformed.
type source struct {
	name  string // as written, for messages
	typ   FieldType
	multi Multiplicity
	ex    Extractor
	info  FieldInfo
}

// field resolves and binds a field reference.
func (c *compiler) field(f *FieldExpr) (source, error) {
	arg := Arg{Index: -1}
	if f.HasArg {
		arg = newArg(f.Arg, false)
	}
	info, arg, err := resolveField(c.opts.Registry, f.Name, arg)
	if err != nil {
		return source{}, c.fieldError(f, err)
	}
	var b Binding
	if c.prog != nil {
		b, err = c.prog.bind(c.opts.Registry, info.Name, arg)
	} else {
		b, err = c.opts.Registry.Bind(info.Name, arg)
	}
	if err != nil {
		return source{}, c.fieldError(f, err)
	}
	if b.Extractor == nil {
		return source{}, c.errorf(KindUnknownField, f.At, nil, "field '%s' has no extractor", f)
	}
	if b.Type == TypeInvalid {
		b.Type = info.Type
	}
	if info.Flags&FlagDeprecated != 0 && !c.deprec[info.Name] {
		if c.deprec == nil {
			c.deprec = make(map[string]bool)
		}
		c.deprec[info.Name] = true
		c.warn(WarnDeprecatedField, f.At, fmt.Sprintf("field '%s' is deprecated", info.Name))
	}
	return source{name: f.String(), typ: b.Type, multi: b.Values, ex: b.Extractor, info: info}, nil
}

func (c *compiler) fieldError(f *FieldExpr, err error) error {
	switch {
	case errors.Is(err, ErrUnknownField):
		return c.errorf(KindUnknownField, f.At, err, "unknown field '%s'", f)
	case errors.Is(err, ErrBadArgument):
		return c.errorf(KindBadArgument, f.At, err, "%v", err)
	}
	return c.errorf(KindBadArgument, f.At, err, "bad field '%s': %v", f, err)
}

// operand compiles a field or transformer operand.
func (c *compiler) operand(o Operand) (source, error) {
	switch o := o.(type) {
	case *FieldExpr:
		return c.field(o)
	case *TransformExpr:
		return c.transform(o)
	}
	return source{}, c.errorf(KindSyntax, o.Offset(), nil, "expected a field or a transformer, got '%s'", o)
}

// check compiles one comparison.
func (c *compiler) check(n *CheckExpr) (evalFunc, error) {
	if t, ok := n.Left.(*TransformExpr); ok && t.isVal() {
		return nil, c.errorf(KindTransformer, t.At, nil, "'val' is only allowed on the right-hand side of a check")
	}
	left, err := c.operand(n.Left)
	if err != nil {
		return nil, err
	}
	if left.info.Flags&FlagPrintOnly != 0 {
		return nil, c.errorf(KindType, n.Left.Offset(), nil, "field '%s' can only be used in outputs", left.name)
	}
	if n.Op == OpExists {
		return existsCheck(left), nil
	}
	if n.Mod != ModNone {
		return c.modifierCheck(n, left)
	}
	if f, ok, err := c.evtTypeCheck(n, left); ok || err != nil {
		return f, err
	}
	switch r := n.Right.(type) {
	case *TransformExpr:
		return c.fieldCompare(n, left, r)
	case *LiteralExpr:
		return c.constCheck(n, left, []*LiteralExpr{r})
	case *ListExpr:
		if !n.Op.IsListOperator() {
			return nil, c.errorf(KindType, n.OpAt, nil, "operator '%s' does not take a list", n.Op)
		}
		return c.constCheck(n, left, r.Items)
	case nil:
		return nil, c.errorf(KindSyntax, n.OpAt, nil, "operator '%s' needs a value", n.Op)
	}
	return nil, fmt.Errorf("compile condition: unexpected operand %T", n.Right)
}

func existsCheck(src source) evalFunc {
	values := valuesFunc(src.ex)
	return func(ev Event) bool { return len(values(ev)) > 0 }
}

// evtTypeCheck compiles evt.type =, != and in checks against constants to
// dispatch id lookups. ok is false when the check is not of that form.
func (c *compiler) evtTypeCheck(n *CheckExpr, left source) (evalFunc, bool, error) {
	f, isField := n.Left.(*FieldExpr)
	if !isField || f.Name != "evt.type" || f.HasArg || c.opts.EventTypes == nil {
		return nil, false, nil
	}
	if n.Op != OpEq && n.Op != OpNe && n.Op != OpIn {
		return nil, false, nil
	}
	items, err := c.evtTypeItems(n)
	if err != nil {
		return nil, true, err
	}
	if items == nil {
		return nil, false, nil
	}
	set, err := c.evtTypeSet(items)
	if err != nil {
		return nil, true, err
	}
	if n.Op == OpNe {
		return func(ev Event) bool { return !set.has(ev.DispatchID()) }, true, nil
	}
	return func(ev Event) bool { return set.has(ev.DispatchID()) }, true, nil
}

// evtTypeItems returns the constant right-hand side of an evt.type check,
// nil when it is not constant.
func (c *compiler) evtTypeItems(n *CheckExpr) ([]*LiteralExpr, error) {
	switch r := n.Right.(type) {
	case *LiteralExpr:
		return []*LiteralExpr{r}, nil
	case *ListExpr:
		if n.Op != OpIn {
			return nil, c.errorf(KindType, n.OpAt, nil, "operator '%s' does not take a list", n.Op)
		}
		return r.Items, nil
	case *TransformExpr:
		return nil, c.errorf(KindType, r.At, nil,
			"right-hand field comparisons on `evt.type` checks are not supported by event code search")
	}
	return nil, nil
}

// evtTypeSet maps evt.type names to a set of dispatch ids.
func (c *compiler) evtTypeSet(items []*LiteralExpr) (idSet, error) {
	et := c.opts.EventTypes
	set := newIDSet(et.Count())
	for _, it := range items {
		ids := et.IDs(it.Text)
		if len(ids) == 0 {
			return nil, c.errorf(KindUnknownEventType, it.At, nil, "unknown event type '%s'", it.Text)
		}
		for _, id := range ids {
			set.add(id)
		}
	}
	return set, nil
}

// modifierCheck compiles `field op oneof|anyof|allof (list)`: op is applied
// to each list element.
func (c *compiler) modifierCheck(n *CheckExpr, left source) (evalFunc, error) {
	var items []*LiteralExpr
	switch r := n.Right.(type) {
	case *ListExpr:
		items = r.Items
	case *LiteralExpr:
		items = []*LiteralExpr{r}
	default:
		return nil, c.errorf(KindSyntax, n.Right.Offset(), nil, "operator modifier '%s' needs a list", n.Mod)
	}
	if left.multi == Set {
		return nil, c.errorf(KindType, n.OpAt, nil,
			"list field '%s' only supports operators 'exists', 'in' and 'intersects'", left.name)
	}
	if n.Op.IsListOperator() {
		return nil, c.errorf(KindType, n.OpAt, nil, "operator '%s' takes no modifier", n.Op)
	}
	if len(items) == 0 {
		return func(Event) bool { return false }, nil
	}
	ms := make([]matcher, len(items))
	for i, it := range items {
		m, err := c.matcher(n, left, []*LiteralExpr{it})
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	var m matcher
	switch n.Mod {
	case ModOneOf:
		m = func(v Value) bool {
			found := 0
			for _, f := range ms {
				if f(v) {
					if found++; found > 1 {
						return false
					}
				}
			}
			return found == 1
		}
	case ModAnyOf:
		m = func(v Value) bool {
			for _, f := range ms {
				if f(v) {
					return true
				}
			}
			return false
		}
	default:
		m = func(v Value) bool {
			for _, f := range ms {
				if !f(v) {
					return false
				}
			}
			return true
		}
	}
	return combine(left, n.Op, m), nil
}
