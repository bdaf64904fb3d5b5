package rules

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (l *loader) decodeString(ctx itemCtx, m *mapping, key string, optional, canBeEmpty bool) (string, *yaml.Node, *Error) {
	kv, ok := m.lookup(key)
	if !ok {
		if optional {
			return "", nil, nil
		}
		return "", nil, l.errorf(ctx, ctx.node, CodeMissingKey, "%s has no property '%s'", ctx.kind, key)
	}
	val := kv.value
	if isNull(val) {
		if canBeEmpty {
			return "", val, nil
		}
		return "", val, l.errorf(ctx, kv.key, CodeEmptyValue, "property '%s' is empty", key)
	}
	if val.Kind != yaml.ScalarNode {
		return "", val, l.errorf(ctx, val, CodeBadValue, "value of '%s' is not a scalar", key)
	}
	if val.Value == "" && !canBeEmpty {
		return "", val, l.errorf(ctx, val, CodeEmptyValue, "value of '%s' must be non-empty", key)
	}
	return val.Value, val, nil
}

func (l *loader) decodeBool(ctx itemCtx, m *mapping, key string, optional bool) (bool, *yaml.Node, *Error) {
	s, node, err := l.decodeString(ctx, m, key, optional, false)
	if err != nil || node == nil {
		return false, node, err
	}
	b, ok := parseYAMLBool(s)
	if !ok {
		return false, node, l.errorf(ctx, node, CodeBadValue, "value of '%s' is not a boolean: '%s'", key, s)
	}
	return b, node, nil
}

func (l *loader) decodeOptionalBool(ctx itemCtx, m *mapping, key string, dst *bool) *Error {
	b, node, err := l.decodeBool(ctx, m, key, true)
	if err != nil {
		return err
	}
	if node != nil {
		*dst = b
	}
	return nil
}

func (l *loader) decodeUint(ctx itemCtx, m *mapping, key string) (uint64, *Error) {
	s, node, err := l.decodeString(ctx, m, key, false, false)
	if err != nil {
		return 0, err
	}
	n, ok := parseYAMLUint(s, 64)
	if !ok {
		return 0, l.errorf(ctx, node, CodeBadValue, "value of '%s' is not an unsigned integer: '%s'", key, s)
	}
	return n, nil
}

func (l *loader) decodeAppend(ctx itemCtx, m *mapping) (bool, *Error) {
	b, node, err := l.decodeBool(ctx, m, "append", true)
	if err != nil {
		return false, err
	}
	if b {
		l.warnf(ctx, node, WarnDeprecated,
			"'append' key is deprecated; add an 'append' entry (e.g. 'condition: append') under 'override' instead")
	}
	return b, nil
}

func (l *loader) decodeTags(ctx itemCtx, m *mapping) ([]string, *Error) {
	val := m.get("tags")
	if val.Kind != yaml.SequenceNode {
		return nil, l.errorf(ctx, val, CodeBadValue, "value of 'tags' is not a sequence")
	}
	tags := []string{}
	for _, t := range val.Content {
		t = deref(t)
		if t.Kind != yaml.ScalarNode || isNull(t) {
			return nil, l.errorf(ctx, t, CodeBadValue, "tag is not a scalar")
		}
		tags = append(tags, t.Value)
	}
	return tagSet(tags), nil
}

func (l *loader) decodeOverrides(ctx itemCtx, m *mapping, appendable, replaceable []string) (ap, rp map[string]bool, _ *Error) {
	val, ok := m.lookup("override")
	if !ok {
		return nil, nil, nil
	}
	if val.value.Kind != yaml.MappingNode {
		return nil, nil, l.errorf(ctx, val.value, CodeOverride, "value of 'override' must be a mapping of keys to append or replace")
	}
	ap, rp = map[string]bool{}, map[string]bool{}
	om := newMapping(val.value)
	for _, kv := range om.entries {
		key, op := kv.key.Value, kv.value.Value
		canAppend, canReplace := slices.Contains(appendable, key), slices.Contains(replaceable, key)
		switch {
		case kv.value.Kind != yaml.ScalarNode:
			return nil, nil, l.errorf(ctx, kv.value, CodeOverride, "override operation for key '%s' must be 'append' or 'replace'", key)
		case op == "append":
			if !canAppend {
				return nil, nil, l.errorf(ctx, kv.key, CodeOverride, "key '%s' cannot be appended to, use 'replace' instead", key)
			}
			ap[key] = true
		case op == "replace":
			if !canReplace {
				return nil, nil, l.errorf(ctx, kv.key, CodeOverride, "key '%s' cannot be replaced", key)
			}
			rp[key] = true
		default:
			var allowed []string
			if canAppend {
				allowed = append(allowed, "append")
			}
			if canReplace {
				allowed = append(allowed, "replace")
			}
			return nil, nil, l.errorf(ctx, kv.value, CodeOverride,
				"invalid override operation for key '%s': '%s'; allowed values are: %s", key, op, strings.Join(allowed, ", "))
		}
	}
	return ap, rp, nil
}

func (l *loader) warnUnknownKeys(ctx itemCtx, m *mapping, known []string) {
	for _, kv := range m.entries {
		if !slices.Contains(known, kv.key.Value) {
			l.warnf(ctx, kv.key, WarnUnknownKey, "unknown key '%s'; the key will be ignored", kv.key.Value)
		}
	}
}

func (l *loader) warnDuplicates(ctx itemCtx, m *mapping) {
	for _, kv := range m.dups {
		l.warnf(ctx, kv.key, WarnDuplicateKey, "key '%s' is given more than once; the first value is used", kv.key.Value)
	}
}

func (m *mapping) keyNode(key string) *yaml.Node {
	if kv, ok := m.lookup(key); ok {
		return kv.key
	}
	return m.node
}

func trimCtext(t ctext) ctext {
	start, end := 0, len(t.s)
	for start < end && isYAMLSpace(t.s[start]) {
		start++
	}
	for end > start && isYAMLSpace(t.s[end-1]) {
		end--
	}
	if start == 0 && end == len(t.s) {
		return t
	}
	return t.slice(start, end)
}

func (l *loader) errorf(ctx itemCtx, node *yaml.Node, code Code, format string, args ...any) *Error {
	if node == nil {
		node = ctx.node
	}
	pos := ctx.file.nodePos(node)
	return &Error{Diagnostic: Diagnostic{
		Severity: SeverityError, Code: code, Pos: pos, Kind: ctx.kind, Name: ctx.name,
		Message: fmt.Sprintf(format, args...), Snippet: snippet(ctx.file, pos.Line, pos.Col),
	}}
}

func (l *loader) warnf(ctx itemCtx, node *yaml.Node, code Code, format string, args ...any) {
	if node == nil {
		node = ctx.node
	}
	pos := ctx.file.nodePos(node)
	l.warnings = append(l.warnings, Diagnostic{
		Severity: SeverityWarning, Code: code, Pos: pos, Kind: ctx.kind, Name: ctx.name,
		Message: fmt.Sprintf(format, args...), Snippet: snippet(ctx.file, pos.Line, pos.Col),
	})
}

func (l *loader) addError(e *Error) {
	if e != nil {
		l.errors = append(l.errors, e)
	}
}

const errOverrideAppend = "keys 'override' and 'append: true' cannot be used together; add an 'append' entry (e.g. 'condition: append') under 'override' instead"
