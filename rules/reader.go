package rules

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/internal/yamlerr"
)

var (
	// Falco's name checks: list names must be bare strings, macro names
	// identifiers, or conditions cannot refer to them.
	rgxBareStr    = regexp.MustCompile(`^[^()"'\s=,]+$`)
	rgxIdentifier = regexp.MustCompile(`^[a-zA-Z]+[a-zA-Z0-9_]*$`)
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

// yamlError reports a YAML syntax error at the line yaml.v3 names.
func (l *loader) yamlError(f *sourceFile, err error) {
	msg := err.Error()
	pos := Position{File: f.name}
	if n, text, ok := yamlerr.Line(msg, len(f.lineStarts)); ok {
		msg = text
		pos.Line, pos.Col = n, 1
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

// checkOverrideKey reports whether key is to be appended or replaced, and
// fails when the override names a key the item does not define.
// decodeUpdateKey decodes one overridden key of a rule into u.
// readExceptions reads a rule's exceptions key. When appending, an
// exception may omit its fields (it then adds values to an existing one).
// decodeEntry decodes an exception's fields, comps or value: a non-empty
// scalar or a (nested) sequence of them.
// decodeString reads a scalar value like Falco's decode_val: a missing key
// fails unless optional; an empty value fails unless canBeEmpty.
// decodeOverrides reads the override mapping: key -> append | replace.
// keyNode returns the key node for key, for diagnostics about the key itself.
// trimCtext removes leading and trailing blanks, as Falco trims outputs.
// errorf builds an error about ctx's item located at node.
// warnf records a warning about ctx's item located at node.
