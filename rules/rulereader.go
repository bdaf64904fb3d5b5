package rules

import (
	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
)

func (l *loader) readRule(ctx itemCtx, m *mapping) *Error {
	name, _, err := l.decodeString(ctx, m, "rule", false, false)
	if err != nil {
		return err
	}
	ctx = ctx.named(name)
	l.warnDuplicates(ctx, m)
	source, _, err := l.decodeString(ctx, m, "source", true, true)
	if err != nil {
		return err
	}
	appendFlag, err := l.decodeAppend(ctx, m)
	if err != nil {
		return err
	}
	ovAppend, ovReplace, err := l.decodeOverrides(ctx, m, ruleAppendable, ruleReplaceable)
	if err != nil {
		return err
	}
	hasOverrides := len(ovAppend)+len(ovReplace) > 0
	if appendFlag && hasOverrides {
		return l.errorf(ctx, m.get("override"), CodeOverride, "%s", errOverrideAppend)
	}
	defer l.warnUnknownKeys(ctx, m, ruleKeys)

	switch {
	case hasOverrides:
		expected := map[string]bool{}
		for _, k := range ruleReplaceable {
			if m.has(k) {
				expected[k] = true
			}
		}
		// Keys are checked in Falco's order, append before replace.
		if len(ovAppend) > 0 {
			u := &ruleUpdate{ctx: ctx, name: name}
			for _, key := range ruleAppendable {
				ok, err := l.checkOverrideKey(ctx, expected, ovAppend, "append", key)
				if err != nil {
					return err
				}
				if ok {
					if err := l.decodeUpdateKey(ctx, m, u, key, source, true); err != nil {
						return err
					}
				}
			}
			if err := l.appendRule(u); err != nil {
				return err
			}
		}
		if len(ovReplace) > 0 {
			u := &ruleUpdate{ctx: ctx, name: name}
			for _, key := range ruleReplaceable {
				ok, err := l.checkOverrideKey(ctx, expected, ovReplace, "replace", key)
				if err != nil {
					return err
				}
				if ok {
					if err := l.decodeUpdateKey(ctx, m, u, key, source, false); err != nil {
						return err
					}
				}
			}
			if err := l.replaceRule(u); err != nil {
				return err
			}
		}
		for _, key := range ruleReplaceable {
			if expected[key] {
				return l.errorf(ctx, m.keyNode(key), CodeOverride,
					"unexpected key '%s': no corresponding entry under 'override' is defined", key)
			}
		}
		return nil

	case appendFlag:
		u := &ruleUpdate{ctx: ctx, name: name, source: source}
		if m.has("condition") {
			cond, node, err := l.decodeString(ctx, m, "condition", false, false)
			if err != nil {
				return err
			}
			t := fromScalar(&scalarRef{file: ctx.file, node: node}, cond)
			u.cond = &t
		}
		if m.has("exceptions") {
			exs, err := l.readExceptions(ctx, m, true)
			if err != nil {
				return err
			}
			u.exceptions = &exs
		}
		return l.appendRule(u)
	}

	v := &ruleInfo{ctx: ctx, name: name, enabled: true, warnEvttypes: true}
	if !m.has("condition") && !m.has("output") && !m.has("desc") && !m.has("priority") {
		enabled, _, err := l.decodeBool(ctx, m, "enabled", false)
		if err != nil {
			return err
		}
		l.warnf(ctx, ctx.node, WarnDeprecated,
			"the standalone 'enabled' key is deprecated; add 'enabled: replace' under 'override' instead")
		return l.enableRule(ctx, name, enabled)
	}
	cond, condNode, err := l.decodeString(ctx, m, "condition", false, false)
	if err != nil {
		return err
	}
	v.cond = fromScalar(&scalarRef{file: ctx.file, node: condNode}, cond)
	output, outNode, err := l.decodeString(ctx, m, "output", false, false)
	if err != nil {
		return err
	}
	v.output = trimCtext(fromScalar(&scalarRef{file: ctx.file, node: outNode}, output))
	if v.desc, _, err = l.decodeString(ctx, m, "desc", false, false); err != nil {
		return err
	}
	prio, prioNode, err := l.decodeString(ctx, m, "priority", false, false)
	if err != nil {
		return err
	}
	var perr error
	if v.priority, perr = engine.ParsePriority(prio); perr != nil {
		return l.errorf(ctx, prioNode, CodeInvalidPriority, "invalid priority '%s'", prio)
	}
	v.source = "syscall"
	if source != "" {
		v.source = source
	}
	if err := l.decodeOptionalBool(ctx, m, "enabled", &v.enabled); err != nil {
		return err
	}
	if err := l.decodeOptionalBool(ctx, m, "capture", &v.capture); err != nil {
		return err
	}
	if m.has("capture_duration") {
		if v.captureDuration, err = l.decodeUint(ctx, m, "capture_duration"); err != nil {
			return err
		}
	}
	if err := l.decodeOptionalBool(ctx, m, "warn_evttypes", &v.warnEvttypes); err != nil {
		return err
	}
	if err := l.decodeOptionalBool(ctx, m, "skip-if-unknown-filter", &v.skipIfUnknownFilter); err != nil {
		return err
	}
	if m.has("tags") {
		if v.tags, err = l.decodeTags(ctx, m); err != nil {
			return err
		}
	}
	if v.exceptions, err = l.readExceptions(ctx, m, false); err != nil {
		return err
	}
	return l.defineRule(v)
}

func (l *loader) checkOverrideKey(ctx itemCtx, expected map[string]bool, ov map[string]bool, op, key string) (bool, *Error) {
	if !ov[key] {
		return false, nil
	}
	if !expected[key] {
		return false, l.errorf(ctx, newMapping(ctx.node).get("override"), CodeOverride,
			"an %s override for '%s' was specified but '%s' is not defined", op, key, key)
	}
	delete(expected, key)
	return true, nil
}

func (l *loader) decodeUpdateKey(ctx itemCtx, m *mapping, u *ruleUpdate, key, source string, appending bool) *Error {
	switch key {
	case "condition", "output":
		s, node, err := l.decodeString(ctx, m, key, false, false)
		if err != nil {
			return err
		}
		t := fromScalar(&scalarRef{file: ctx.file, node: node}, s)
		if key == "condition" {
			u.source = source
			u.cond = &t
		} else {
			u.output = &t
		}
	case "desc":
		s, _, err := l.decodeString(ctx, m, key, false, false)
		if err != nil {
			return err
		}
		u.desc = &s
	case "tags":
		tags, err := l.decodeTags(ctx, m)
		if err != nil {
			return err
		}
		u.tags = &tags
	case "exceptions":
		exs, err := l.readExceptions(ctx, m, appending)
		if err != nil {
			return err
		}
		u.exceptions = &exs
	case "priority":
		s, node, err := l.decodeString(ctx, m, key, false, false)
		if err != nil {
			return err
		}
		p, perr := engine.ParsePriority(s)
		if perr != nil {
			return l.errorf(ctx, node, CodeInvalidPriority, "invalid priority '%s'", s)
		}
		u.priority = &p
	case "capture_duration":
		d, err := l.decodeUint(ctx, m, key)
		if err != nil {
			return err
		}
		u.captureDuration = &d
	default: // booleans
		b, _, err := l.decodeBool(ctx, m, key, false)
		if err != nil {
			return err
		}
		switch key {
		case "enabled":
			u.enabled = &b
		case "capture":
			u.capture = &b
		case "warn_evttypes":
			u.warnEvttypes = &b
		case "skip-if-unknown-filter":
			u.skipIfUnknownFilter = &b
		}
	}
	return nil
}

func (l *loader) readExceptions(ctx itemCtx, m *mapping, appending bool) ([]exceptionInfo, *Error) {
	exs := m.get("exceptions")
	out := []exceptionInfo{}
	if exs == nil || isNull(exs) {
		return out, nil
	}
	if exs.Kind != yaml.SequenceNode {
		return nil, l.errorf(ctx, exs, CodeException, "rule exceptions must be a sequence")
	}
	for _, ex := range exs.Content {
		ex = deref(ex)
		if ex.Kind != yaml.MappingNode {
			return nil, l.errorf(ctx, ex, CodeException, "rule exception must be a mapping")
		}
		em := newMapping(ex)
		ectx := ctx
		ectx.node = ex
		if !em.has("name") {
			return nil, l.errorf(ectx, ex, CodeMissingKey, "rule exception must have property 'name'")
		}
		name, _, err := l.decodeString(ectx, em, "name", false, false)
		if err != nil {
			return nil, err
		}
		v := exceptionInfo{ctx: ctx, node: ex, name: name}
		for _, prev := range out {
			if prev.name == name {
				l.warnf(ctx, ex, WarnExceptionName, "multiple definitions of exception '%s' in the same rule", name)
			}
		}
		if f := em.get("fields"); f != nil {
			if v.fields, err = l.decodeEntry(ectx, f); err != nil {
				return nil, err
			}
		} else if !appending {
			return nil, l.errorf(ectx, ex, CodeMissingKey,
				"rule exception '%s' must have property 'fields' with a list of fields", name)
		}
		if c := em.get("comps"); c != nil {
			if v.comps, err = l.decodeEntry(ectx, c); err != nil {
				return nil, err
			}
		}
		if vals := em.get("values"); vals != nil {
			if vals.Kind != yaml.SequenceNode {
				return nil, l.errorf(ectx, vals, CodeException, "rule exception values must be a sequence")
			}
			for _, val := range vals.Content {
				e, err := l.decodeEntry(ectx, deref(val))
				if err != nil {
					return nil, err
				}
				v.values = append(v.values, e)
			}
		} else if appending {
			l.warnf(ctx, ex, WarnAppendNoValues, "overriding/appending exception '%s' with no values", name)
		}
		l.warnUnknownKeys(ectx.named(ctx.name), em, []string{"name", "fields", "comps", "values"})
		out = append(out, v)
	}
	return out, nil
}

func (l *loader) decodeEntry(ctx itemCtx, n *yaml.Node) (exEntry, *Error) {
	n = deref(n)
	e := exEntry{node: n}
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		if n.Value == "" {
			return e, l.errorf(ctx, n, CodeEmptyValue, "value must be non-empty")
		}
		e.item = n.Value
	case n.Kind == yaml.SequenceNode:
		e.isList = true
		for _, c := range n.Content {
			sub, err := l.decodeEntry(ctx, c)
			if err != nil {
				return e, err
			}
			e.items = append(e.items, sub)
		}
	}
	return e, nil
}
