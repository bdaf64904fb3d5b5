package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/internal/yamlerr"
)

// MaxSize bounds a suite file's size.
const MaxSize = 8 << 20

// maxErrors bounds the errors one parse reports.
const maxErrors = 20

// SharedVar is the placeholder a suite's paths may start with to name the
// reference directory (../shared beside the repository by default).
const SharedVar = "${SHARED}"

// Error is one problem in a suite file, with its position.
type Error struct {
	Pos Pos
	Msg string
}

// Error renders "file:line:column: message".
func (e *Error) Error() string {
	switch {
	case e.Pos.Line == 0:
		return fmt.Sprintf("%s: %s", e.Pos.File, e.Msg)
	case e.Pos.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.Pos.File, e.Pos.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.File, e.Pos.Line, e.Pos.Column, e.Msg)
}

// ErrorList is every problem found in a suite file, in file order.
type ErrorList []*Error

// Error renders one problem per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// ParseOptions configure Parse.
type ParseOptions struct {
	// Shared is the directory ${SHARED} stands for; empty means it is not
	// available, and cases using it are skipped.
	Shared string
	// Looked, when Shared is empty, names where the directory was looked
	// for, for the skip message.
	Looked string
	// Fields, when set, is the field registry expected alert fields are
	// checked against: an unknown field is an error.
	Fields engine.Registry
}

// LoadOptions configure Load.
type LoadOptions struct {
	// Shared is the directory ${SHARED} stands for; empty means FindShared
	// from the suite's directory.
	Shared string
	// Fields, when set, is the field registry expected alert fields are
	// checked against: an unknown field is a load error.
	Fields engine.Registry
}

// Load reads and parses the suite file at path and checks that the files
// it names exist.
func Load(path string, opts LoadOptions) (*Suite, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open suite: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read suite: %w", err)
	}
	po := ParseOptions{Shared: opts.Shared, Fields: opts.Fields}
	if po.Shared == "" {
		po.Shared = FindShared(filepath.Dir(path))
	} else if st, err := os.Stat(po.Shared); err != nil || !st.IsDir() {
		po.Shared, po.Looked = "", opts.Shared
	}
	s, err := Parse(data, path, po)
	if err != nil {
		return nil, err
	}
	if err := s.checkFiles(); err != nil {
		return nil, err
	}
	return s, nil
}

// FindShared looks for the reference directory beside dir or beside one of
// its ancestors (a directory named "shared" next to the repository) and
// returns it, or "" when there is none.
func FindShared(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; {
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		cand := filepath.Join(parent, "shared")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		d = parent
	}
}

// checkFiles reports captures and rule files that do not exist, at the
// lines naming them. Skipped cases are not checked.
func (s *Suite) checkFiles() error {
	var errs ErrorList
	reported := map[Pos]bool{}
	for _, c := range s.Cases {
		if c.Skip != "" {
			continue
		}
		if _, err := os.Stat(c.Capture); err != nil {
			errs = append(errs, &Error{Pos: c.capturePos, Msg: fmt.Sprintf("case %q: capture: %v", c.Name, unwrapPath(err))})
		}
		for i, r := range c.Rules {
			if _, err := os.Stat(r); err != nil && !reported[c.rulePos[i]] {
				reported[c.rulePos[i]] = true
				errs = append(errs, &Error{Pos: c.rulePos[i], Msg: fmt.Sprintf("rules: %v", unwrapPath(err))})
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// unwrapPath shortens an *os.PathError to "path: cause".
func unwrapPath(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Parse parses a suite from data; path names it in errors and its
// directory resolves relative paths. It does not touch the files the suite
// names (Load checks them).
func Parse(data []byte, path string, opts ParseOptions) (*Suite, error) {
	p := &parser{file: path, opts: opts}
	if len(data) > MaxSize {
		return nil, ErrorList{{Pos: Pos{File: path}, Msg: fmt.Sprintf("suite larger than %d bytes", MaxSize)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{Pos: Pos{File: path}, Msg: "empty suite: want a mapping with a cases list"}}
		}
		return nil, ErrorList{p.yamlError(err, bytes.Count(data, []byte{'\n'})+1)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, ErrorList{{Pos: p.pos(&extra), Msg: "more than one YAML document"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, ErrorList{p.yamlError(err, bytes.Count(data, []byte{'\n'})+1)}
	}
	s := &Suite{Path: path, Dir: filepath.Dir(path), doc: &doc}
	p.suite = s
	p.parseSuite(&doc)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return s, nil
}

// yamlError converts a yaml.v3 syntax error into an Error with a line;
// lines is the number of lines of the input.
func (p *parser) yamlError(err error, lines int) *Error {
	msg := err.Error()
	if line, text, ok := yamlerr.Line(msg, lines); ok {
		return &Error{Pos: Pos{File: p.file, Line: line}, Msg: "parse YAML: " + text}
	}
	return &Error{Pos: Pos{File: p.file}, Msg: "parse YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// parser walks a suite's YAML nodes, collecting errors.
type parser struct {
	file  string
	opts  ParseOptions
	suite *Suite
	errs  ErrorList
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{File: p.file, Line: n.Line, Column: n.Column} }

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	if len(p.errs) < maxErrors {
		p.errs = append(p.errs, &Error{Pos: p.pos(n), Msg: fmt.Sprintf(format, args...)})
	}
}

// describe names a node's kind for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "boolean " + n.Value
		case "!!int", "!!float":
			return "number " + n.Value
		}
		return fmt.Sprintf("string %q", clip(n.Value))
	}
	return "a document"
}

// clip shortens long values quoted in errors.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// mapping returns n's key/value pairs, reporting a non-mapping, aliases,
// duplicate and unknown keys (known lists the keys allowed, in the order
// messages name them). ok is false when n is not a mapping.
func (p *parser) mapping(n *yaml.Node, what string, known []string) (pairs [][2]*yaml.Node, ok bool) {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, "%s: aliases are not supported", what)
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping, got %s", what, describe(n))
		return nil, false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: want a text key, got %s", what, describe(k))
			continue
		}
		if v.Kind == yaml.AliasNode {
			p.errorf(v, "%s.%s: aliases are not supported", what, k.Value)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: duplicate key %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if known != nil && !slices.Contains(known, k.Value) {
			p.errorf(k, "%s: unknown key %q (want one of %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs, true
}

// str returns a scalar's text; null and non-scalars are errors.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n, "%s: want a text value, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str that also refuses an empty text.
func (p *parser) nonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := p.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(n, "%s: must not be empty", what)
		return "", false
	}
	return s, ok
}

// strList returns a list of non-empty texts.
func (p *parser) strList(n *yaml.Node, what string) ([]string, []*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list, got %s", what, describe(n))
		return nil, nil, false
	}
	out := make([]string, 0, len(n.Content))
	nodes := make([]*yaml.Node, 0, len(n.Content))
	ok := true
	for i, e := range n.Content {
		s, good := p.nonEmpty(e, fmt.Sprintf("%s[%d]", what, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, e)
	}
	return out, nodes, ok
}

// boolean returns a YAML boolean.
func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.errorf(n, "%s: want true or false, got %s", what, describe(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errorf(n, "%s: want true or false, got %s", what, describe(n))
		return false, false
	}
	return b, true
}

// count returns a non-negative integer of at most one billion.
func (p *parser) count(n *yaml.Node, what string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.errorf(n, "%s: want a whole number, got %s", what, describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v < 0 || v > 1e9 {
		p.errorf(n, "%s: want a whole number from 0 to 1000000000, got %s", what, n.Value)
		return 0, false
	}
	return int(v), true
}

// suite keys, in the order docs/TESTING.md lists them.
var (
	suiteKeys   = []string{"description", "rules", "options", "fields", "cases"}
	caseKeys    = []string{"name", "description", "capture", "truncated", "rules", "options", "expect"}
	optionKeys  = []string{"all_events", "tags", "exclude_tags", "disable", "priority", "rule_matching", "compat"}
	expectKeys  = []string{"counts", "alerts", "absent", "exhaustive"}
	alertKeys   = []string{"rule", "priority", "time", "fields", "pending", "false_positive"}
	compatModes = []string{"", "falco-0.32"}
)

// suite-level defaults cases inherit.
type defaults struct {
	rules    []string
	rulePos  []Pos
	ruleSkip string
	options  Options
}

func (p *parser) parseSuite(doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorf(doc, "suite: want a mapping with a cases list")
		return
	}
	root := doc.Content[0]
	pairs, ok := p.mapping(root, "suite", suiteKeys)
	if !ok {
		return
	}
	def := defaults{options: Options{RuleMatching: "first"}}
	var cases *yaml.Node
	p.suite.Fields = DefaultFields
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "description":
			p.str(v, "description")
		case "rules":
			def.rules, def.rulePos, def.ruleSkip = p.rulePaths(v, "rules")
		case "options":
			def.options = p.options(v, "options", def.options)
		case "fields":
			if fs, nodes, ok := p.strList(v, "fields"); ok {
				for i, f := range fs {
					p.fieldName(nodes[i], "fields", f)
				}
				p.suite.Fields = fs
			}
		case "cases":
			cases = v
		}
	}
	if cases == nil {
		p.errorf(root, "suite: missing key \"cases\"")
		return
	}
	if cases.Kind != yaml.SequenceNode {
		p.errorf(cases, "cases: want a list, got %s", describe(cases))
		return
	}
	if len(cases.Content) == 0 {
		p.errorf(cases, "cases: empty list")
		return
	}
	names := map[string]int{}
	for i, cn := range cases.Content {
		c := p.parseCase(cn, i, &def)
		if c == nil {
			continue
		}
		if line, dup := names[c.Name]; dup {
			p.errorf(cn, "cases[%d]: duplicate case name %q (first at line %d)", i, c.Name, line)
			continue
		}
		names[c.Name] = cn.Line
		p.suite.Cases = append(p.suite.Cases, c)
	}
}

// fieldName checks a field name's shape: letters, digits, dots,
// underscores, and an optional [argument]; and, with a registry, that the
// field exists.
func (p *parser) fieldName(n *yaml.Node, what, name string) bool {
	if !fieldNameRE.MatchString(name) {
		p.errorf(n, "%s: %q is not a field name (e.g. proc.cmdline, proc.aname[2])", what, clip(name))
		return false
	}
	if reg := p.opts.Fields; reg != nil {
		if _, _, err := engine.ResolveField(reg, name); err != nil {
			names := make([]string, 0, 256)
			for _, f := range reg.Fields() {
				names = append(names, f.Name)
			}
			p.errorf(n, "%s: unknown field %q%s", what, clip(name), suggest.DidYouMean(name, names))
			return false
		}
	}
	return true
}

var fieldNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_.]+)+(\[[^\]\s]+\])?$`)

// rulePaths parses a list of rule files, resolving ${SHARED} and relative
// paths. skip is set when ${SHARED} is used but not available.
func (p *parser) rulePaths(n *yaml.Node, what string) (paths []string, pos []Pos, skip string) {
	list, nodes, _ := p.strList(n, what)
	for i, s := range list {
		path, sk, ok := p.path(nodes[i], fmt.Sprintf("%s[%d]", what, i), s)
		if !ok {
			continue
		}
		if sk != "" {
			skip = sk
		}
		paths = append(paths, path)
		pos = append(pos, p.pos(nodes[i]))
	}
	return paths, pos, skip
}

// path resolves one path of the suite: ${SHARED} at its start, then
// relative to the suite's directory.
func (p *parser) path(n *yaml.Node, what, s string) (path, skip string, ok bool) {
	rest, shared := strings.CutPrefix(s, SharedVar)
	if strings.Contains(rest, "${") {
		p.errorf(n, "%s: %q: only %s, at the start of a path, is a known placeholder", what, clip(s), SharedVar)
		return "", "", false
	}
	if shared {
		if p.opts.Shared == "" {
			where := "the reference directory"
			if p.opts.Looked != "" {
				where += " " + p.opts.Looked
			}
			return s, fmt.Sprintf("%s (%s) not found; set RETRACE_SHARED or --shared to run this case", SharedVar, where), true
		}
		return filepath.Join(p.opts.Shared, rest), "", true
	}
	if filepath.IsAbs(s) {
		return filepath.Clean(s), "", true
	}
	return filepath.Join(p.suite.Dir, s), "", true
}

// options parses an options mapping on top of base.
func (p *parser) options(n *yaml.Node, what string, base Options) Options {
	o := base
	o.Tags = slices.Clone(base.Tags)
	o.ExcludeTags = slices.Clone(base.ExcludeTags)
	o.Disable = slices.Clone(base.Disable)
	pairs, ok := p.mapping(n, what, optionKeys)
	if !ok {
		return o
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		key := what + "." + k.Value
		switch k.Value {
		case "all_events":
			if b, ok := p.boolean(v, key); ok {
				o.AllEvents = b
			}
		case "tags":
			o.Tags, _, _ = p.strList(v, key)
		case "exclude_tags":
			o.ExcludeTags, _, _ = p.strList(v, key)
		case "disable":
			o.Disable, _, _ = p.strList(v, key)
		case "priority":
			if s, ok := p.nonEmpty(v, key); ok {
				pr, err := engine.ParsePriority(s)
				if err != nil {
					p.errorf(v, "%s: unknown priority %q (want emergency, alert, critical, error, warning, notice, informational or debug)", key, clip(s))
					continue
				}
				o.Priority = pr.String()
			}
		case "rule_matching":
			if s, ok := p.nonEmpty(v, key); ok {
				if _, err := engine.ParseMatchMode(s); err != nil {
					p.errorf(v, "%s: want first or all, got %q", key, clip(s))
					continue
				}
				o.RuleMatching = strings.ToLower(strings.TrimSpace(s))
			}
		case "compat":
			if s, ok := p.str(v, key); ok {
				if !slices.Contains(compatModes, s) {
					p.errorf(v, "%s: want falco-0.32 or nothing, got %q", key, clip(s))
					continue
				}
				o.Compat = s
			}
		}
	}
	if err := o.validate(); err != nil {
		p.errorf(n, "%s: %v", what, err)
	}
	return o
}

func (p *parser) parseCase(n *yaml.Node, i int, def *defaults) *Case {
	what := fmt.Sprintf("cases[%d]", i)
	pairs, ok := p.mapping(n, what, caseKeys)
	if !ok {
		return nil
	}
	c := &Case{Suite: p.suite, node: n, Pos: p.pos(n), Options: def.options,
		Rules: def.rules, rulePos: def.rulePos, Skip: def.ruleSkip, Expect: Expect{Exhaustive: true}}
	good := true
	var haveCapture bool
	// The name first, so that other messages can use it.
	for _, kv := range pairs {
		if kv[0].Value == "name" {
			c.Name, ok = p.nonEmpty(kv[1], what+".name")
			good = good && ok
		}
	}
	if c.Name == "" && good {
		p.errorf(n, "%s: missing key \"name\"", what)
		good = false
	}
	if c.Name != "" {
		what = fmt.Sprintf("case %q", c.Name)
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		key := what + "." + k.Value
		switch k.Value {
		case "description":
			c.Description, _ = p.str(v, key)
		case "capture":
			s, ok := p.nonEmpty(v, key)
			if !ok {
				good = false
				continue
			}
			path, skip, ok := p.path(v, key, s)
			if !ok {
				good = false
				continue
			}
			haveCapture = true
			c.Capture, c.capturePos = path, p.pos(v)
			if skip != "" {
				c.Skip, c.captureShared = skip, true
			}
		case "rules":
			var skip string
			c.Rules, c.rulePos, skip = p.rulePaths(v, key)
			if !c.captureShared {
				c.Skip = skip
			}
		case "truncated":
			c.Truncated, ok = p.boolean(v, key)
			good = good && ok
		case "options":
			c.Options = p.options(v, key, def.options)
		case "expect":
			c.Expect = p.expect(v, key)
		}
	}
	if !haveCapture && good {
		p.errorf(n, "%s: missing key \"capture\"", what)
		good = false
	}
	if !good {
		return nil
	}
	return c
}

func (p *parser) expect(n *yaml.Node, what string) Expect {
	e := Expect{Exhaustive: true}
	pairs, ok := p.mapping(n, what, expectKeys)
	if !ok {
		return e
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		key := what + "." + k.Value
		switch k.Value {
		case "counts":
			e.HasCounts = true
			cp, ok := p.mapping(v, key, nil)
			if !ok {
				continue
			}
			for _, rc := range cp {
				rule, ok := p.nonEmpty(rc[0], key)
				if !ok {
					continue
				}
				if n, ok := p.count(rc[1], fmt.Sprintf("%s[%q]", key, rule)); ok {
					e.Counts = append(e.Counts, Count{Rule: rule, N: n, Pos: p.pos(rc[0])})
				}
			}
		case "alerts":
			e.HasAlerts = true
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "%s: want a list, got %s", key, describe(v))
				continue
			}
			for i, an := range v.Content {
				if a, ok := p.alert(an, fmt.Sprintf("%s[%d]", key, i)); ok {
					e.Alerts = append(e.Alerts, a)
				}
			}
		case "absent":
			rules, nodes, _ := p.strList(v, key)
			for i, r := range rules {
				e.Absent = append(e.Absent, Absent{Rule: r, Pos: p.pos(nodes[i])})
			}
		case "exhaustive":
			if b, ok := p.boolean(v, key); ok {
				e.Exhaustive = b
			}
		}
	}
	for _, a := range e.Absent {
		for _, c := range e.Counts {
			if c.Rule == a.Rule && c.N > 0 {
				p.errorf(n, "%s: rule %q is both counted (line %d) and absent (line %d)", what, a.Rule, c.Pos.Line, a.Pos.Line)
			}
		}
		for _, al := range e.Alerts {
			if al.Rule == a.Rule {
				p.errorf(n, "%s: rule %q is both an expected alert (line %d) and absent (line %d)", what, a.Rule, al.Pos.Line, a.Pos.Line)
			}
		}
	}
	return e
}

func (p *parser) alert(n *yaml.Node, what string) (Alert, bool) {
	a := Alert{node: n, Pos: p.pos(n)}
	pairs, ok := p.mapping(n, what, alertKeys)
	if !ok {
		return a, false
	}
	good := true
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		key := what + "." + k.Value
		switch k.Value {
		case "rule":
			a.Rule, ok = p.nonEmpty(v, key)
			good = good && ok
		case "priority":
			s, ok := p.nonEmpty(v, key)
			if !ok {
				good = false
				continue
			}
			pr, err := engine.ParsePriority(s)
			if err != nil {
				p.errorf(v, "%s: unknown priority %q (want emergency, alert, critical, error, warning, notice, informational or debug)", key, clip(s))
				good = false
				continue
			}
			a.Priority = pr.String()
		case "time":
			s, ok := p.nonEmpty(v, key)
			if !ok {
				good = false
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				p.errorf(v, "%s: want an RFC 3339 time (2024-05-01T10:00:00.123456789Z), got %q", key, clip(s))
				good = false
				continue
			}
			a.Time = t
		case "pending":
			a.Pending, ok = p.nonEmpty(v, key)
			good = good && ok
		case "false_positive":
			a.FalsePositive, ok = p.nonEmpty(v, key)
			good = good && ok
		case "fields":
			fp, ok := p.mapping(v, key, nil)
			if !ok {
				good = false
				continue
			}
			for _, f := range fp {
				name := f[0].Value
				if !p.fieldName(f[0], key, name) {
					good = false
					continue
				}
				val := f[1]
				if val.Kind != yaml.ScalarNode {
					p.errorf(val, "%s.%s: want a text value, got %s", key, name, describe(val))
					good = false
					continue
				}
				fv := Field{Name: name, Value: val.Value}
				switch {
				case val.Tag == RegexpTag:
					re, err := regexp.Compile(`^(?:` + val.Value + `)$`)
					if err != nil {
						p.errorf(val, "%s.%s: bad regular expression: %v", key, name, err)
						good = false
						continue
					}
					fv.Pattern = re
				case strings.HasPrefix(val.Tag, "!") && !strings.HasPrefix(val.Tag, "!!"):
					p.errorf(val, "%s.%s: unknown tag %s (want %s for a regular expression)", key, name, val.Tag, RegexpTag)
					good = false
					continue
				case val.ShortTag() == "!!null":
					fv.Value = Missing
				}
				a.Fields = append(a.Fields, fv)
			}
		}
	}
	if a.Rule == "" && good {
		p.errorf(n, "%s: missing key \"rule\"", what)
		good = false
	}
	if a.Pending != "" && a.FalsePositive != "" {
		p.errorf(n, "%s: an alert can not be both pending and a false positive", what)
		good = false
	}
	return a, good
}
