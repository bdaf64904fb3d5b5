package rules

import (
	"slices"
	"strings"

	"github.com/retrace-dev/retrace/engine"
)

// This file holds Falco's collector semantics: how definitions, appends,
// replaces and enabled-only toggles change what earlier items defined.
// Lists, macros and rules share one counter: an item's index is the
// counter value at its first definition (kept on redefinition, so the item
// keeps its place), its visibility the counter value at its latest
// definition or append. A macro sees the macros whose index is below its
// visibility; a list item names an earlier list under the same rule.

func (l *loader) nextIndex() int {
	i := l.counter
	l.counter++
	return i
}

func (l *loader) defineList(v *listInfo) {
	id := l.nextIndex()
	if prev := l.lists.at(v.name); prev != nil {
		v.index = prev.index
	} else {
		v.index = id
	}
	v.visibility = id
	l.lists.insert(v.name, v)
}

func (l *loader) appendList(v *listInfo) *Error {
	prev := l.lists.at(v.name)
	if prev == nil {
		return l.errorf(v.ctx, v.ctx.node, CodeNoPrevious,
			"list uses 'append' or 'override.items: append' but no list by that name already exists")
	}
	prev.items = append(prev.items, v.items...)
	prev.visibility = l.nextIndex()
	return nil
}

func (l *loader) defineMacro(v *macroInfo) {
	id := l.nextIndex()
	if prev := l.macros.at(v.name); prev != nil {
		v.index = prev.index
	} else {
		v.index = id
	}
	v.visibility = id
	l.macros.insert(v.name, v)
}

func (l *loader) appendMacro(v *macroInfo) *Error {
	prev := l.macros.at(v.name)
	if prev == nil {
		return l.errorf(v.ctx, v.ctx.node, CodeNoPrevious,
			"macro uses 'append' or 'override.condition: append' but no macro by that name already exists")
	}
	prev.appends = append(prev.appends, v.cond)
	prev.visibility = l.nextIndex()
	return nil
}

// findPrevRule returns the rule named like ctx's item, failing when it was
// defined for another source.
func (l *loader) findPrevRule(ctx itemCtx, name, source string) (*ruleInfo, *Error) {
	prev := l.rules.at(name)
	if prev != nil && prev.source != "" && source != "" && prev.source != source {
		return nil, l.errorf(ctx, ctx.node, CodeSourceMismatch,
			"rule has been re-defined with a different source (%s, was %s)", source, prev.source)
	}
	return prev, nil
}

func (l *loader) knownSource(s string) bool {
	return slices.Contains(l.opts.sources(), s)
}

func (l *loader) defineRule(v *ruleInfo) *Error {
	prev, err := l.findPrevRule(v.ctx, v.name, v.source)
	if err != nil {
		return err
	}
	known := l.knownSource(v.source)
	if !known {
		v.unknownSource = true
		l.warnf(v.ctx, v.ctx.node, WarnUnknownSource, "unknown source %s, skipping", v.source)
	}
	for i := range v.exceptions {
		ex := &v.exceptions[i]
		if !ex.fields.valid() {
			return l.errorf(v.ctx, ex.node, CodeMissingKey,
				"rule exception '%s' must have property 'fields' with a list of fields", ex.name)
		}
		if err := l.validateException(v.ctx, ex, known); err != nil {
			return err
		}
	}
	id := l.nextIndex()
	if prev != nil {
		v.index = prev.index
	} else {
		v.index = id
	}
	v.visibility = id
	l.rules.insert(v.name, v)
	return nil
}

func (l *loader) appendRule(u *ruleUpdate) *Error {
	prev, err := l.findPrevRule(u.ctx, u.name, u.source)
	if err != nil {
		return err
	}
	if prev == nil {
		return l.errorf(u.ctx, u.ctx.node, CodeNoPrevious,
			"rule uses 'append' or 'override.<key>: append' but no rule by that name already exists")
	}
	if !u.hasAnyValue() {
		return l.errorf(u.ctx, u.ctx.node, CodeAppendEmpty, "appended rule must have exceptions or condition property")
	}
	known := !prev.unknownSource
	if prev.appends == nil {
		prev.appends = &ruleAppends{}
	}
	a := prev.appends
	if u.cond != nil && u.cond.s != "" {
		a.cond = append(a.cond, *u.cond)
	}
	if u.output != nil && u.output.s != "" {
		a.output = append(a.output, *u.output)
	}
	if u.desc != nil && *u.desc != "" {
		a.desc = append(a.desc, *u.desc)
	}
	if u.tags != nil {
		a.tags = append(a.tags, *u.tags...)
	}
	if u.exceptions != nil {
		if a.exceptions == nil {
			a.exceptions = make(map[string]int, len(prev.exceptions))
			for i, p := range prev.exceptions {
				if _, dup := a.exceptions[p.name]; !dup {
					a.exceptions[p.name] = i
				}
			}
		}
		for _, ex := range *u.exceptions {
			i, found := a.exceptions[ex.name]
			if !found {
				if !ex.fields.valid() {
					return l.errorf(u.ctx, ex.node, CodeMissingKey,
						"new rule exception '%s' must have property 'fields' with a list of fields", ex.name)
				}
				if len(ex.values) == 0 {
					return l.errorf(u.ctx, ex.node, CodeMissingKey,
						"new rule exception '%s' must have property 'values' with a list of values", ex.name)
				}
				if err := l.validateException(u.ctx, &ex, known); err != nil {
					return err
				}
				a.exceptions[ex.name] = len(prev.exceptions)
				prev.exceptions = append(prev.exceptions, ex)
				continue
			}
			if ex.fields.valid() {
				return l.errorf(u.ctx, ex.node, CodeException,
					"cannot append fields to existing exception '%s', only values", ex.name)
			}
			if ex.comps.valid() {
				return l.errorf(u.ctx, ex.node, CodeException,
					"cannot append comps to existing exception '%s', only values", ex.name)
			}
			prev.exceptions[i].values = append(prev.exceptions[i].values, ex.values...)
		}
	}
	prev.visibility = l.nextIndex()
	return nil
}

func (l *loader) replaceRule(u *ruleUpdate) *Error {
	prev, err := l.findPrevRule(u.ctx, u.name, u.source)
	if err != nil {
		return err
	}
	if prev == nil {
		return l.errorf(u.ctx, u.ctx.node, CodeNoPrevious,
			"an 'override.<key>: replace' to a rule was requested but no rule by that name already exists")
	}
	if !u.hasAnyValue() {
		return l.errorf(u.ctx, u.ctx.node, CodeAppendEmpty, "the rule must have at least one field that can be replaced")
	}
	a := prev.appends
	if a == nil {
		a = &ruleAppends{}
	}
	if u.cond != nil {
		prev.cond, a.cond = *u.cond, nil
	}
	if u.output != nil {
		prev.output, a.output = *u.output, nil
	}
	if u.desc != nil {
		prev.desc, a.desc = *u.desc, nil
	}
	if u.tags != nil {
		prev.tags, a.tags = *u.tags, nil
	}
	if u.exceptions != nil {
		prev.exceptions, a.exceptions = *u.exceptions, nil
	}
	prev.appends = a
	if u.priority != nil {
		prev.priority = *u.priority
	}
	if u.capture != nil {
		prev.capture = *u.capture
	}
	if u.captureDuration != nil {
		prev.captureDuration = *u.captureDuration
	}
	if u.enabled != nil {
		prev.enabled = *u.enabled
	}
	if u.warnEvttypes != nil {
		prev.warnEvttypes = *u.warnEvttypes
	}
	if u.skipIfUnknownFilter != nil {
		prev.skipIfUnknownFilter = *u.skipIfUnknownFilter
	}
	prev.visibility = l.nextIndex()
	return nil
}

func (l *loader) enableRule(ctx itemCtx, name string, enabled bool) *Error {
	prev := l.rules.at(name)
	if prev == nil {
		return l.errorf(ctx, ctx.node, CodeNoPrevious, "rule has 'enabled' key but no rule by that name already exists")
	}
	prev.enabled = enabled
	return nil
}

// validateException fills in default comps and checks comps and fields,
// like Falco's validate_exception_info. Fields are checked against the
// registry only when the rule's source is one retrace evaluates.
func (l *loader) validateException(ctx itemCtx, ex *exceptionInfo, knownSource bool) *Error {
	if ex.fields.isList {
		if !ex.comps.valid() {
			ex.comps = exEntry{isList: true, node: ex.comps.node}
			for range ex.fields.items {
				ex.comps.items = append(ex.comps.items, exEntry{item: "="})
			}
		}
		if len(ex.fields.items) != len(ex.comps.items) {
			return l.errorf(ctx, ex.node, CodeException,
				"exception '%s': fields and comps lists must have equal length", ex.name)
		}
		for i := range ex.comps.items {
			c := &ex.comps.items[i]
			c.item = strings.Trim(c.item, " \t\r\n")
			if valid, _ := parseComp(c.item); !valid || c.isList {
				return l.errorf(ctx, nodeOr(c.node, ex.node), CodeUnknownOperator,
					"exception '%s': '%s' is not a supported comparison operator", ex.name, c.item)
			}
		}
		if knownSource {
			for _, f := range ex.fields.items {
				if err := l.checkExceptionField(ctx, ex, f); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if !ex.comps.valid() {
		ex.comps = exEntry{item: "in", node: ex.comps.node}
	}
	if ex.comps.isList {
		return l.errorf(ctx, nodeOr(ex.comps.node, ex.node), CodeException,
			"exception '%s': fields and comps must both be strings", ex.name)
	}
	ex.comps.item = strings.Trim(ex.comps.item, " \t\r\n")
	if valid, list := parseComp(ex.comps.item); !valid || !list {
		return l.errorf(ctx, nodeOr(ex.comps.node, ex.node), CodeException,
			"exception '%s': when fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)", ex.name)
	}
	if knownSource {
		return l.checkExceptionField(ctx, ex, ex.fields)
	}
	return nil
}

func (l *loader) checkExceptionField(ctx itemCtx, ex *exceptionInfo, f exEntry) *Error {
	if f.isList {
		return l.errorf(ctx, nodeOr(f.node, ex.node), CodeException,
			"exception '%s': a field must be a string, not a list", ex.name)
	}
	if strings.Contains(f.item, "(") {
		// A transformer (tolower(proc.name)): its fields are checked when
		// the condition that embeds it compiles.
		if n, err := engine.Parse(f.item+" exists", engine.ParseOptions{}); err == nil {
			if c, ok := n.(*engine.CheckExpr); ok {
				if _, ok := c.Left.(*engine.TransformExpr); ok {
					return nil
				}
			}
		}
	}
	if _, _, err := engine.ResolveField(l.opts.Fields, f.item); err != nil {
		return l.errorf(ctx, nodeOr(f.node, ex.node), CodeUnknownField,
			"exception '%s': '%s' is not a supported filter field", ex.name, f.item)
	}
	return nil
}

func nodeOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}
