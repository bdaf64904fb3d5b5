package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
)

var (
	// Falco's name checks: list names must be bare strings, macro names
	// identifiers, or conditions cannot refer to them.
	rgxBareStr    = regexp.MustCompile(`^[^()"'\s=,]+$`)
	rgxIdentifier = regexp.MustCompile(`^[a-zA-Z]+[a-zA-Z0-9_]*$`)
	// yaml.v3 reports syntax errors as "yaml: line N: cause".
	rgxYAMLLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// Keys Falco knows for each item kind; others draw a warning.
var (
	listKeys  = []string{"list", "items", "append", "override"}
	macroKeys = []string{"macro", "condition", "append", "override"}
	ruleKeys  = []string{"rule", "condition", "output", "desc", "priority", "source", "enabled",
		"capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter", "tags",
		"exceptions", "override", "append"}
	ruleAppendable  = []string{"condition", "output", "desc", "tags", "exceptions"}
	ruleReplaceable = []string{"condition", "output", "desc", "priority", "capture",
		"capture_duration", "tags", "exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter"}
)

// decodeFile parses one file's YAML documents. A YAML syntax error
// anywhere rejects the whole file, as in Falco.
func decodeFile(f *sourceFile) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(f.data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
}

// readFile feeds the items of a file's decoded documents to the
// collector; an invalid item is reported and skipped.
func (l *loader) readFile(f *sourceFile, docs []*yaml.Node, err error) {
	if err != nil {
		l.yamlError(f, err)
		return
	}
	for _, doc := range docs {
		root := doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		root = deref(root)
		if isNull(root) {
			continue
		}
		ctx := itemCtx{file: f, node: root, kind: KindFile}
		switch root.Kind {
		case yaml.SequenceNode:
		case yaml.MappingNode:
			l.addError(l.errorf(ctx, root, CodeNotSequence, "rules content is not a YAML sequence of items"))
			continue
		default:
			l.addError(l.errorf(ctx, root, CodeNotYAML, "rules content is not YAML: want a sequence of items, got a scalar"))
			continue
		}
		for _, item := range root.Content {
			item = deref(item)
			if isNull(item) {
				continue
			}
			if err := l.readItem(f, item); err != nil {
				l.addError(err)
			}
		}
	}
}

// yamlParserErrors are the messages of yaml.v3's parser (as opposed to
// its scanner), whose line numbers it reports counted from 0.
var yamlParserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
}

// yamlError reports a YAML syntax error at the line yaml.v3 names.
func (l *loader) yamlError(f *sourceFile, err error) {
	msg := err.Error()
	pos := Position{File: f.name}
	if m := rgxYAMLLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			msg = m[2]
			if yamlParserErrors[msg] {
				// yaml.v3 reports the parser's (not the scanner's)
				// 0-based line as is.
				n = min(n+1, len(f.lineStarts))
			}
			pos.Line, pos.Col = n, 1
		}
	} else if strings.HasPrefix(msg, "yaml: ") {
		// yaml.v3 leaves the line out when the problem is on the first line.
		msg = strings.TrimPrefix(msg, "yaml: ")
		pos.Line, pos.Col = 1, 1
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	}
	e := &Error{Diagnostic: Diagnostic{
		Severity: SeverityError, Code: CodeYAMLParse, Pos: pos, Kind: KindFile,
		Message: "invalid YAML: " + msg,
	}, Err: err}
	if pos.Line > 0 {
		e.Snippet = snippet(f, pos.Line, 1)
	}
	l.addError(e)
}

// readItem reads one top-level item. Its kind is the first of
// required_engine_version, required_plugin_versions, list, macro and rule
// that is present.
func (l *loader) readItem(f *sourceFile, item *yaml.Node) *Error {
	ctx := itemCtx{file: f, node: item, kind: KindItem}
	if item.Kind != yaml.MappingNode {
		return l.errorf(ctx, item, CodeItemNotMap, "unexpected element type: each element should be a YAML mapping")
	}
	m := newMapping(item)
	switch {
	case m.has("required_engine_version"):
		ctx.kind = KindRequiredEngineVersion
		l.warnDuplicates(ctx, m)
		return l.readEngineVersion(ctx, m)
	case m.has("required_plugin_versions"):
		ctx.kind = KindRequiredPluginVersions
		l.warnDuplicates(ctx, m)
		return l.readPluginVersions(ctx, m)
	case m.has("list"):
		ctx.kind = KindList
		return l.readList(ctx, m)
	case m.has("macro"):
		ctx.kind = KindMacro
		return l.readMacro(ctx, m)
	case m.has("rule"):
		ctx.kind = KindRule
		return l.readRule(ctx, m)
	}
	l.warnf(ctx, item, WarnUnknownItem, "unknown top level item")
	return nil
}

func (l *loader) readEngineVersion(ctx itemCtx, m *mapping) *Error {
	s, node, err := l.decodeString(ctx, m, "required_engine_version", false, false)
	if err != nil {
		return err
	}
	var v Version
	if n, ok := parseYAMLUint(s, 32); ok {
		v = Version{0, n, 0}
	} else {
		var perr error
		if v, perr = ParseVersion(s); perr != nil {
			return l.errorf(ctx, node, CodeBadValue,
				"unable to parse engine version '%s' as a number or a semver string (x.y.z)", s)
		}
	}
	if !EngineVersion().CompatibleWith(v) {
		return l.errorf(ctx, node, CodeEngineVersion,
			"rules require engine version %s, but engine version is %s", v, EngineVersion())
	}
	if l.requiredEngine.Less(v) {
		l.requiredEngine = v
	}
	l.warnUnknownKeys(ctx, m, []string{"required_engine_version"})
	return nil
}

func (l *loader) readPluginVersions(ctx itemCtx, m *mapping) *Error {
	seq := m.get("required_plugin_versions")
	if seq.Kind != yaml.SequenceNode {
		return l.errorf(ctx, seq, CodeBadValue, "value of required_plugin_versions must be a sequence")
	}
	for _, p := range seq.Content {
		p = deref(p)
		if p.Kind != yaml.MappingNode {
			return l.errorf(ctx, p, CodeBadValue, "plugin version must be a mapping")
		}
		pm := newMapping(p)
		pctx := ctx
		pctx.node = p
		name, _, err := l.decodeString(pctx, pm, "name", false, false)
		if err != nil {
			return err
		}
		pctx.name = name
		req := PluginRequirement{Pos: ctx.file.nodePos(p)}
		alt, err := l.pluginVersion(pctx, pm, name)
		if err != nil {
			return err
		}
		req.Alternatives = append(req.Alternatives, alt)
		if alts := pm.get("alternatives"); alts != nil {
			if alts.Kind != yaml.SequenceNode {
				return l.errorf(pctx, alts, CodeBadValue, "value of plugin version alternatives must be a sequence")
			}
			for _, a := range alts.Content {
				a = deref(a)
				if a.Kind != yaml.MappingNode {
					return l.errorf(pctx, a, CodeBadValue, "plugin version alternative must be a mapping")
				}
				am := newMapping(a)
				actx := pctx
				actx.node = a
				aname, _, err := l.decodeString(actx, am, "name", false, false)
				if err != nil {
					return err
				}
				alt, err := l.pluginVersion(actx, am, aname)
				if err != nil {
					return err
				}
				for _, prev := range req.Alternatives {
					if prev.Name == aname {
						return l.errorf(actx, a, CodePluginVersion,
							"defined multiple alternative version requirements for plugin '%s'", aname)
					}
				}
				req.Alternatives = append(req.Alternatives, alt)
			}
		}
		req.Satisfied = req.satisfiedBy(l.opts.plugins())
		if !req.Satisfied {
			l.warnf(pctx, p, WarnPlugin,
				"plugin '%s' version %s is required, but retrace does not provide it; rules that need its fields or source will fail or be skipped",
				name, req.Alternatives[0].Version)
		}
		l.plugins = append(l.plugins, req)
	}
	l.warnUnknownKeys(ctx, m, []string{"required_plugin_versions"})
	return nil
}

func (l *loader) pluginVersion(ctx itemCtx, m *mapping, name string) (PluginVersion, *Error) {
	s, node, err := l.decodeString(ctx, m, "version", false, false)
	if err != nil {
		return PluginVersion{}, err
	}
	v, perr := ParseVersion(s)
	if perr != nil {
		return PluginVersion{}, l.errorf(ctx, node, CodePluginVersion,
			"invalid required version '%s' for plugin '%s'", s, name)
	}
	return PluginVersion{Name: name, Version: v}, nil
}

func (l *loader) readList(ctx itemCtx, m *mapping) *Error {
	name, _, err := l.decodeString(ctx, m, "list", false, false)
	if err != nil {
		return err
	}
	ctx = ctx.named(name)
	l.warnDuplicates(ctx, m)
	if !rgxBareStr.MatchString(name) {
		l.warnf(ctx, ctx.node, WarnInvalidName,
			"list has an invalid name; list names should match the regular expression %s", `[^()"'[:space:]=,]+`)
	}
	v := &listInfo{ctx: ctx, name: name}
	itemsNode := m.get("items")
	if !m.has("items") {
		return l.errorf(ctx, ctx.node, CodeMissingKey, "list must have property 'items'")
	}
	if itemsNode.Kind != yaml.SequenceNode {
		return l.errorf(ctx, itemsNode, CodeBadValue, "value of 'items' is not a sequence")
	}
	for _, it := range itemsNode.Content {
		it = deref(it)
		if it.Kind != yaml.ScalarNode || isNull(it) {
			return l.errorf(ctx, it, CodeBadValue, "list item is not a scalar")
		}
		v.items = append(v.items, it.Value)
	}
	appendFlag, err := l.decodeAppend(ctx, m)
	if err != nil {
		return err
	}
	ovAppend, ovReplace, err := l.decodeOverrides(ctx, m, []string{"items"}, []string{"items"})
	if err != nil {
		return err
	}
	if appendFlag && (len(ovAppend)+len(ovReplace) > 0) {
		return l.errorf(ctx, m.get("override"), CodeOverride, "%s", errOverrideAppend)
	}
	l.warnUnknownKeys(ctx, m, listKeys)
	if appendFlag || ovAppend["items"] {
		return l.appendList(v)
	}
	l.defineList(v)
	return nil
}

func (l *loader) readMacro(ctx itemCtx, m *mapping) *Error {
	name, _, err := l.decodeString(ctx, m, "macro", false, false)
	if err != nil {
		return err
	}
	ctx = ctx.named(name)
	l.warnDuplicates(ctx, m)
	if !rgxIdentifier.MatchString(name) {
		l.warnf(ctx, ctx.node, WarnInvalidName,
			"macro has an invalid name; macro names should match the regular expression %s", `[a-zA-Z]+[a-zA-Z0-9_]*`)
	}
	cond, condNode, err := l.decodeString(ctx, m, "condition", false, false)
	if err != nil {
		return err
	}
	v := &macroInfo{ctx: ctx, name: name, cond: fromScalar(&scalarRef{file: ctx.file, node: condNode}, cond)}
	appendFlag, err := l.decodeAppend(ctx, m)
	if err != nil {
		return err
	}
	ovAppend, ovReplace, err := l.decodeOverrides(ctx, m, []string{"condition"}, []string{"condition"})
	if err != nil {
		return err
	}
	if appendFlag && (len(ovAppend)+len(ovReplace) > 0) {
		return l.errorf(ctx, m.get("override"), CodeOverride, "%s", errOverrideAppend)
	}
	l.warnUnknownKeys(ctx, m, macroKeys)
	if appendFlag || ovAppend["condition"] {
		return l.appendMacro(v)
	}
	l.defineMacro(v)
	return nil
}

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

// checkOverrideKey reports whether key is to be appended or replaced, and
// fails when the override names a key the item does not define.
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

// decodeUpdateKey decodes one overridden key of a rule into u.
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

// readExceptions reads a rule's exceptions key. When appending, an
// exception may omit its fields (it then adds values to an existing one).
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

// decodeEntry decodes an exception's fields, comps or value: a non-empty
// scalar or a (nested) sequence of them.
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

// decodeString reads a scalar value like Falco's decode_val: a missing key
// fails unless optional; an empty value fails unless canBeEmpty.
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

// decodeOverrides reads the override mapping: key -> append | replace.
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
		canAppend, canReplace := contains(appendable, key), contains(replaceable, key)
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
		if !contains(known, kv.key.Value) {
			l.warnf(ctx, kv.key, WarnUnknownKey, "unknown key '%s'; the key will be ignored", kv.key.Value)
		}
	}
}

func (l *loader) warnDuplicates(ctx itemCtx, m *mapping) {
	for _, kv := range m.dups {
		l.warnf(ctx, kv.key, WarnDuplicateKey, "key '%s' is given more than once; the first value is used", kv.key.Value)
	}
}

// keyNode returns the key node for key, for diagnostics about the key itself.
func (m *mapping) keyNode(key string) *yaml.Node {
	if kv, ok := m.lookup(key); ok {
		return kv.key
	}
	return m.node
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// trimCtext removes leading and trailing blanks, as Falco trims outputs.
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

// errorf builds an error about ctx's item located at node.
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

// warnf records a warning about ctx's item located at node.
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
