package rules

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/retrace-dev/retrace/engine"
)

// errMacroFailed marks a condition that uses a macro which itself failed;
// the macro's error has been reported already.
var errMacroFailed = errors.New("uses a macro that failed to compile")

// compiledList is a list with earlier lists named in its items expanded.
type compiledList struct {
	info      *listInfo
	joined    string // items rendered for substitution
	plainName bool   // the name holds no delimiter, so it matches whole words only
	used      bool
}

// compiledMacro is a macro's condition after list substitution, parsed.
type compiledMacro struct {
	info     *macroInfo
	text     ctext
	root     engine.Node
	resolved bool // its references are expanded (it was processed)
	failed   bool
	used     bool
}

// compiler holds one compilation of the collected items.
type compiler struct {
	l       *loader
	lists   []*compiledList
	macros  []*compiledMacro
	byName  map[string]*compiledMacro
	seenErr map[string]bool
	words   map[string]bool // scratch for substituteLists
	sizes   map[engine.Node]int
}

// compile turns the collected lists, macros and rules into the loaded set,
// reporting errors and warnings on the loader.
func (l *loader) compile() *Set {
	c := &compiler{l: l, byName: map[string]*compiledMacro{}, seenErr: map[string]bool{}, words: map[string]bool{},
		sizes: map[engine.Node]int{}}
	c.compileLists()
	c.compileMacros()
	set := &Set{
		RequiredEngineVersion: l.requiredEngine,
		RequiredPlugins:       l.plugins,
		opts:                  l.opts,
	}
	for _, f := range l.files {
		set.Files = append(set.Files, f.name)
	}
	set.Rules = c.compileRules()
	for _, m := range c.macros {
		set.Macros = append(set.Macros, &Macro{Name: m.info.name, Condition: m.info.cond.s, Pos: m.info.ctx.file.nodePos(m.info.ctx.node)})
		if !m.used {
			l.warnf(m.info.ctx, m.info.ctx.node, WarnUnusedMacro, "macro not referred to by any other rule/macro")
		}
	}
	for _, li := range c.lists {
		set.Lists = append(set.Lists, &List{Name: li.info.name, Items: slices.Clone(li.info.items), Pos: li.info.ctx.file.nodePos(li.info.ctx.node)})
		if !li.used {
			l.warnf(li.info.ctx, li.info.ctx.node, WarnUnusedList, "list not referred to by any other rule/macro")
		}
	}
	set.Warnings = l.warnings
	set.Errors = l.errors
	return set
}

// compileLists expands, in each list, items naming a list defined before
// it (Falco's one-level nesting, by definition order).
func (c *compiler) compileLists() {
	var used []*listInfo
	for _, li := range c.l.lists.items {
		var items []string
		for _, it := range li.items {
			if ref := c.l.lists.at(it); ref != nil && ref.index < li.visibility {
				used = append(used, ref)
				items = append(items, ref.items...)
			} else {
				items = append(items, it)
			}
		}
		c.lists = append(c.lists, &compiledList{info: li, joined: joinListItems(items),
			plainName: li.name != "" && !strings.ContainsAny(li.name, listDelims)})
	}
	for _, u := range used {
		for _, cl := range c.lists {
			if cl.info == u {
				cl.used = true
			}
		}
	}
}

// substituteLists applies every list to a condition text, in list order.
// A list name matches only as a whole run of characters between
// delimiters, so the lists whose names are not among the text's words
// (kept up to date as substitutions add items) are skipped without
// scanning the text.
func (c *compiler) substituteLists(t ctext) (ctext, error) {
	words := c.words
	clear(words)
	addWords(words, t.s)
	for _, li := range c.lists {
		if li.plainName && !words[li.info.name] {
			continue
		}
		var used, over bool
		t, used, over = substituteList(t, li.info.name, li.joined, maxConditionSize)
		if used {
			li.used = true
			addWords(words, li.joined)
			if over {
				return t, &engine.Error{Kind: engine.KindLimit, Text: t.s,
					Msg: fmt.Sprintf("condition is longer than %d bytes after substituting list '%s'", maxConditionSize, li.info.name)}
			}
		}
	}
	return t, nil
}

// maxConditionSize bounds a condition's text after list substitution, so a
// hostile file cannot make substitution exhaust memory.
const maxConditionSize = 4 << 20

// addWords adds the runs of characters between list delimiters in s.
func addWords(words map[string]bool, s string) {
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || strings.IndexByte(listDelims, s[i]) >= 0 {
			if start >= 0 {
				words[s[start:i]] = true
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
}

// compileMacros parses every macro, then expands the references of each in
// definition order: a macro sees the macros defined before its latest
// definition or append.
func (c *compiler) compileMacros() {
	for _, mi := range c.l.macros.items {
		m := &compiledMacro{info: mi}
		c.macros = append(c.macros, m)
		c.byName[mi.name] = m
		var err error
		if m.text, err = c.substituteLists(mi.cond); err != nil {
			c.report(mi.ctx, err, m.text)
			m.failed = true
			continue
		}
		root, err := c.parse(m.text)
		if err == nil {
			err = engine.CheckListNames(root, m.text.s)
		}
		if err != nil {
			c.report(mi.ctx, err, m.text)
			m.failed = true
			continue
		}
		m.root = root
	}
	for _, m := range c.macros {
		if m.failed {
			continue
		}
		vis := m.info.visibility
		err := c.expand(m.root, m.text, []string{m.info.name}, func(name string) *compiledMacro {
			if x := c.byName[name]; x != nil && x.info.index < vis {
				return x
			}
			return nil
		})
		if err != nil {
			m.failed = true
			if !errors.Is(err, errMacroFailed) {
				c.report(m.info.ctx, err, m.text)
			}
			continue
		}
		m.resolved = true
	}
}

// parse parses a condition text with Falco's rule depth budget.
func (c *compiler) parse(t ctext) (engine.Node, error) {
	return engine.Parse(t.s, engine.ParseOptions{MaxDepth: engine.DefaultMaxDepth})
}

// expand expands the macro references in root (parsed from text) with the
// macros visible returns. A macro not yet processed is parsed afresh and
// expanded with the same visibility, as Falco clones it; a processed one is
// shared. path holds the macros being expanded, to detect loops.
func (c *compiler) expand(root engine.Node, text ctext, path []string, visible func(string) *compiledMacro) error {
	for _, ref := range engine.MacroRefs(root) {
		x := visible(ref.Name)
		if x == nil {
			return engine.NewUndefinedMacroError(ref, text.s)
		}
		if x.failed {
			return errMacroFailed
		}
		if slices.Contains(path, x.info.name) {
			return engine.NewMacroLoopError(ref, text.s)
		}
		exp := x.root
		if !x.resolved {
			fresh, err := c.parse(x.text)
			if err != nil {
				return errMacroFailed // reported when the macro itself is parsed
			}
			if err := c.expand(fresh, x.text, append(path, x.info.name), visible); err != nil {
				if ee := (*engine.Error)(nil); errors.As(err, &ee) && ee.Macro == "" && ee.Text == x.text.s {
					ee.Macro = x.info.name
				}
				return err
			}
			exp = fresh
		}
		ref.Expansion = exp
		ref.Text = x.text.s
		x.used = true
	}
	return nil
}

// pendingRule is a rule between the sequential preparation of its
// condition and the compilation of its condition and output, which runs in
// parallel with other rules.
type pendingRule struct {
	r        *ruleInfo
	cond     ctext // with exceptions
	text     ctext // with lists substituted
	root     engine.Node
	out      ctext // output, %container.info expanded
	format   *engine.Format
	fmtErr   error
	compiled *engine.Condition
	warnings []engine.Warning
	condErr  error
}

// compileRules prepares every rule in order, compiles the conditions and
// outputs in parallel (compilation only reads the shared trees and the
// registry), then reports in order.
func (c *compiler) compileRules() []*Rule {
	var pending []*pendingRule
	for _, r := range c.l.rules.items {
		if p := c.prepareRule(r); p != nil {
			pending = append(pending, p)
		}
	}
	opts := engine.CompileOptions{Registry: c.l.opts.Fields, EventTypes: c.l.opts.EventTypes}
	workers := min(runtime.GOMAXPROCS(0), max(len(pending)/8, 1))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pending) {
					return
				}
				p := pending[i]
				if p.format, p.fmtErr = engine.CompileFormat(p.out.s, opts); p.fmtErr != nil {
					continue // Falco checks the output first
				}
				p.compiled, p.warnings, p.condErr = engine.Compile(p.root, p.text.s, opts)
			}
		})
	}
	wg.Wait()
	var out []*Rule
	for _, p := range pending {
		if rule := c.finishRule(p); rule != nil {
			out = append(out, rule)
		}
	}
	return out
}

// prepareRule builds a rule's condition text (exceptions, lists), parses it
// and expands its macros. It returns nil for a rule that is skipped or
// failed.
func (c *compiler) prepareRule(r *ruleInfo) *pendingRule {
	if r.unknownSource {
		return nil
	}
	l := c.l
	cond := r.cond
	if len(r.exceptions) > 0 {
		var err *Error
		if cond, err = l.exceptionCondition(r); err != nil {
			l.addError(err)
			return nil
		}
	}
	text, err := c.substituteLists(cond)
	if err != nil {
		c.report(r.ctx, err, text)
		return nil
	}
	root, err := c.parse(text)
	if err == nil {
		err = engine.CheckListNames(root, text.s)
	}
	if err != nil {
		c.report(r.ctx, err, text)
		return nil
	}
	all := func(name string) *compiledMacro { return c.byName[name] }
	if err := c.expand(root, text, nil, all); err != nil {
		if !errors.Is(err, errMacroFailed) {
			c.report(r.ctx, err, text)
		}
		return nil
	}
	if n := expandedSize(root, c.sizes); n > maxExpandedNodes {
		c.report(r.ctx, engine.NewError(engine.KindLimit, text.s, root.Offset(),
			fmt.Sprintf("condition has more than %d nodes once its macros are expanded", maxExpandedNodes)), text)
		return nil
	}
	out := r.output
	if strings.Contains(out.s, containerInfo) {
		l.warnf(r.ctx, r.ctx.node, WarnDeprecated,
			"%%container.info is deprecated; it is replaced by %q", containerInfoFields)
		out = replaceText(out, containerInfo, containerInfoFields)
	}
	return &pendingRule{r: r, cond: cond, text: text, root: root, out: out}
}

// finishRule reports the outcome of compiling a rule's output and
// condition. A rule with skip-if-unknown-filter whose output or condition
// names an unknown field or event type is dropped with a warning; any
// other problem is an error.
func (c *compiler) finishRule(p *pendingRule) *Rule {
	l, r := c.l, p.r
	skip := func(ee *engine.Error) bool {
		return r.skipIfUnknownFilter && (ee.Kind == engine.KindUnknownField || ee.Kind == engine.KindUnknownEventType)
	}
	if p.fmtErr != nil {
		var ee *engine.Error
		if !errors.As(p.fmtErr, &ee) {
			c.report(r.ctx, p.fmtErr, p.out)
			return nil
		}
		d := c.diagnostic(r.ctx, ee, p.out)
		d.Message = fmt.Sprintf("invalid output format '%s': %s", p.out.s, d.Message)
		if skip(ee) {
			d.Severity, d.Code = SeverityWarning, WarnUnknownFilter
			d.Message += " (rule skipped: skip-if-unknown-filter is true)"
			l.warnings = append(l.warnings, d)
			return nil
		}
		d.Code = CodeOutput
		l.addError(&Error{Diagnostic: d, Err: p.fmtErr})
		return nil
	}
	if p.condErr != nil {
		var ee *engine.Error
		if errors.As(p.condErr, &ee) && skip(ee) {
			d := c.diagnostic(r.ctx, ee, p.text)
			d.Severity, d.Code = SeverityWarning, WarnUnknownFilter
			d.Message += " (rule skipped: skip-if-unknown-filter is true)"
			l.warnings = append(l.warnings, d)
			return nil
		}
		c.report(r.ctx, p.condErr, p.text)
		return nil
	}
	for _, w := range p.warnings {
		code := WarnCondition
		switch w.Kind {
		case engine.WarnNoEventType:
			code = WarnNoEventType
		case engine.WarnTooManyEventTypes:
			code = WarnTooManyEventTypes
		case engine.WarnNoEvents:
			code = WarnEmptyEventTypes
		}
		if (code == WarnNoEventType || code == WarnTooManyEventTypes) && !r.warnEvttypes {
			continue
		}
		pos := c.warningText(p.text, w).position(w.Pos.Offset)
		if code == WarnCondition {
			// A warning inside a shared macro is reported once, for the
			// first rule that uses it.
			key := "w\x00" + pos.String() + "\x00" + w.Msg
			if c.seenErr[key] {
				continue
			}
			c.seenErr[key] = true
		}
		file := c.fileOf(pos.File, r.ctx.file)
		l.warnings = append(l.warnings, Diagnostic{
			Severity: SeverityWarning, Code: code, Pos: pos, Kind: KindRule, Name: r.name,
			Message: w.Msg, Snippet: snippet(file, pos.Line, pos.Col),
		})
	}
	return c.newRule(r, p.cond, p.text, p.root, p.compiled, p.format)
}

// fileOf returns the loaded file with the given name, or def.
func (c *compiler) fileOf(name string, def *sourceFile) *sourceFile {
	for _, f := range c.l.files {
		if f.name == name {
			return f
		}
	}
	return def
}

// newRule builds the exported rule from a compiled one.
func (c *compiler) newRule(r *ruleInfo, cond, text ctext, root engine.Node, compiled *engine.Condition, format *engine.Format) *Rule {
	rule := &Rule{
		Name:                r.name,
		Desc:                r.desc,
		Condition:           r.cond.s,
		Output:              r.output.s,
		Priority:            r.priority,
		Source:              r.source,
		Tags:                slices.Clone(r.tags),
		Enabled:             r.enabled,
		WarnEventTypes:      r.warnEvttypes,
		SkipIfUnknownFilter: r.skipIfUnknownFilter,
		Capture:             r.capture,
		CaptureDuration:     r.captureDuration,
		Pos:                 r.ctx.file.nodePos(r.ctx.node),
		WithExceptions:      cond.s,
		Substituted:         text.s,
		root:                root,
		format:              format.String(),
	}
	rule.engine = &engine.Rule{Name: rule.Name, Priority: rule.Priority, Source: rule.Source, Tags: rule.Tags,
		Enabled: rule.Enabled, Condition: compiled, Output: format, Data: rule}
	if rule.Tags == nil {
		rule.Tags = []string{}
	}
	for _, ex := range r.exceptions {
		rule.Exceptions = append(rule.Exceptions, ex.name)
	}
	ids := compiled.EventTypes()
	et := c.l.opts.EventTypes
	if len(ids) == et.Count() || ids == nil {
		rule.AllEventTypes = true
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if n := et.Name(id); n != "" && !seen[n] {
			seen[n] = true
			rule.EventTypes = append(rule.EventTypes, n)
		}
	}
	slices.Sort(rule.EventTypes)
	return rule
}

// report records an error from parsing, expanding or compiling a
// condition of the item ctx, mapping its position into the file.
func (c *compiler) report(ctx itemCtx, err error, text ctext) {
	var ee *engine.Error
	if !errors.As(err, &ee) {
		c.l.addError(&Error{Diagnostic: Diagnostic{
			Severity: SeverityError, Code: CodeCompile, Pos: ctx.file.nodePos(ctx.node),
			Kind: ctx.kind, Name: ctx.name, Message: err.Error(),
		}, Err: err})
		return
	}
	d := c.diagnostic(ctx, ee, text)
	key := d.Pos.String() + "\x00" + d.Message
	if c.seenErr[key] {
		return // the same error inside a shared macro, met again by another rule
	}
	c.seenErr[key] = true
	c.l.addError(&Error{Diagnostic: d, Err: err})
}

// diagnostic maps an engine error to a diagnostic of item ctx.
func (c *compiler) diagnostic(ctx itemCtx, ee *engine.Error, text ctext) Diagnostic {
	msg := ee.Msg
	if ee.Macro != "" {
		if m := c.byName[ee.Macro]; m != nil && m.text.s == ee.Text {
			text = m.text
		}
		if ctx.kind != KindMacro || ctx.name != ee.Macro {
			msg = fmt.Sprintf("in macro '%s': %s", ee.Macro, msg)
		}
	}
	pos := text.position(ee.Pos.Offset)
	if pos.File == "" {
		pos = ctx.file.nodePos(ctx.node)
	}
	file := c.fileOf(pos.File, ctx.file)
	return Diagnostic{
		Severity: SeverityError, Code: codeOf(ee.Kind), Pos: pos, Kind: ctx.kind, Name: ctx.name,
		Message: msg, Snippet: snippet(file, pos.Line, pos.Col),
	}
}

// codeOf maps an engine error kind to a diagnostic code.
func codeOf(k engine.ErrorKind) Code {
	switch k {
	case engine.KindSyntax:
		return CodeConditionSyntax
	case engine.KindUnknownField:
		return CodeUnknownField
	case engine.KindBadArgument:
		return CodeBadArgument
	case engine.KindUnknownEventType:
		return CodeUnknownEventType
	case engine.KindUndefinedMacro:
		return CodeUndefinedMacro
	case engine.KindType:
		return CodeTypeMismatch
	case engine.KindLimit:
		return CodeLimit
	case engine.KindTransformer:
		return CodeBadTransformer
	case engine.KindUnknownOperator:
		return CodeUnknownOperator
	case engine.KindMacroLoop:
		return CodeMacroLoop
	case engine.KindUndefinedList:
		return CodeUndefinedList
	}
	return CodeCompile
}

// containerInfo is the pseudo-field Falco's engine (not libsinsp) expands
// in outputs; retrace expands it like Falco 0.32 did.
const (
	containerInfo       = "%container.info"
	containerInfoFields = "%container.name (id=%container.id)"
)

// replaceText replaces every occurrence of old in t by generated text that
// maps to where old was written.
func replaceText(t ctext, old, repl string) ctext {
	var parts []ctext
	last := 0
	for {
		i := strings.Index(t.s[last:], old)
		if i < 0 {
			break
		}
		at := last + i
		ref, off := t.origin(at)
		parts = append(parts, t.slice(last, at), generated(repl, ref, off))
		last = at + len(old)
	}
	parts = append(parts, t.slice(last, len(t.s)))
	return join(parts...)
}

// maxExpandedNodes bounds a rule's condition once macros are expanded.
// Expansions share the macro's tree, but compiling visits every use, so
// macros that each use the previous one twice would otherwise grow the
// compiled condition exponentially.
const maxExpandedNodes = 1 << 20

// expandedSize counts the boolean nodes of n with every macro expansion
// counted at each use, saturating above maxExpandedNodes. Sizes of shared
// expansions are memoised in memo.
func expandedSize(n engine.Node, memo map[engine.Node]int) int {
	switch n := n.(type) {
	case *engine.AndExpr:
		return 1 + sumSizes(n.Terms, memo)
	case *engine.OrExpr:
		return 1 + sumSizes(n.Terms, memo)
	case *engine.NotExpr:
		return 1 + expandedSize(n.Term, memo)
	case *engine.MacroRef:
		if n.Expansion == nil {
			return 1
		}
		if v, ok := memo[n.Expansion]; ok {
			return v
		}
		v := expandedSize(n.Expansion, memo)
		memo[n.Expansion] = v
		return v
	}
	return 1
}

func sumSizes(ns []engine.Node, memo map[engine.Node]int) int {
	total := 0
	for _, t := range ns {
		total = min(total+expandedSize(t, memo), maxExpandedNodes+1)
	}
	return total
}

// warningText returns the text an engine warning's position refers to:
// the rule's own text, or the text of the macro the warning lies in. When
// that macro's text is not the one the engine saw, the position is not
// trusted and the warning goes to the start of the condition.
func (c *compiler) warningText(text ctext, w engine.Warning) ctext {
	if w.Macro == "" {
		return text
	}
	if m := c.byName[w.Macro]; m != nil && m.text.s == w.Text {
		return m.text
	}
	return text.slice(0, len(text.s)) // the start of the condition
}
