package suite

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/replay/report"
)

// Update rewrites the expected part of every case of s that ran (neither
// skipped nor errored) from its results, and returns the new suite text.
// Comments, key order and the rest of the file are kept; an expected alert
// that matched (or was paired with) a detection keeps its node, comments
// and chosen fields, with values refreshed.
//
// What is rewritten: `counts` when the case has it; `alerts` when the case
// has it, or when it has neither key and something fired. Detections of
// rules listed in `absent` are never written (an absent rule that fires
// still fails the case: Update does not bless it), and with `exhaustive:
// false` only rules the case already names are written.
func (s *Suite) Update(results []Result) ([]byte, error) {
	for i := range results {
		r := &results[i]
		if r.Case.Suite != s || r.Status() == Skip || r.Status() == Errored {
			continue
		}
		r.Case.update(r.Detections, s.Fields)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s.doc); err != nil {
		return nil, fmt.Errorf("encode suite %s: %w", s.Path, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode suite %s: %w", s.Path, err)
	}
	return buf.Bytes(), nil
}

// UpdateFile is Update followed by replacing the suite file (through a
// temporary file in the same directory).
func (s *Suite) UpdateFile(results []Result) error {
	data, err := s.Update(results)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.Path), ".suite-*.yaml")
	if err != nil {
		return fmt.Errorf("update suite: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("update suite: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("update suite: %w", err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(s.Path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return fmt.Errorf("update suite: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("update suite: %w", err)
	}
	return nil
}

// mapValue returns the value node of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setMapValue replaces or appends key's value in mapping m.
func setMapValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			v.LineComment, v.FootComment = old.LineComment, old.FootComment
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, strNode(key), v)
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

// update rewrites c's expect mapping from dets (in time order).
func (c *Case) update(dets []report.Detection, fields []string) {
	e := &c.Expect
	absent := map[string]bool{}
	for _, a := range e.Absent {
		absent[a.Rule] = true
	}
	named := map[string]bool{}
	for _, x := range e.Counts {
		named[x.Rule] = true
	}
	for _, a := range e.Alerts {
		named[a.Rule] = true
	}
	_, pair := compare(e, dets)
	var keep []int
	for i := range dets {
		r := dets[i].Rule
		if absent[r] || !e.Exhaustive && !named[r] {
			continue
		}
		keep = append(keep, i)
	}
	writeAlerts := e.HasAlerts || !e.HasCounts && len(keep) > 0
	if !e.HasCounts && !writeAlerts {
		return
	}
	exp := mapValue(c.node, "expect")
	if exp == nil || exp.Kind != yaml.MappingNode {
		exp = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setMapValue(c.node, "expect", exp)
	}
	if e.HasCounts {
		setMapValue(exp, "counts", countsNode(mapValue(exp, "counts"), dets, keep))
	}
	if writeAlerts {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, i := range keep {
			d := &dets[i]
			if pair[i] >= 0 && e.Alerts[pair[i]].node != nil {
				seq.Content = append(seq.Content, refreshAlert(e.Alerts[pair[i]].node, d))
				continue
			}
			seq.Content = append(seq.Content, newAlert(d, fields))
		}
		// Pending alerts that still match nothing stay, at the end.
		matched := map[int]bool{}
		for _, i := range keep {
			matched[pair[i]] = true
		}
		for i := range e.Alerts {
			if a := &e.Alerts[i]; a.Pending != "" && !matched[i] && a.node != nil {
				seq.Content = append(seq.Content, a.node)
			}
		}
		if old := mapValue(exp, "alerts"); old != nil {
			seq.HeadComment = old.HeadComment
		}
		setMapValue(exp, "alerts", seq)
	}
}

// countsNode builds the counts mapping: the old entries first, in their
// order and with their comments (a rule that no longer fires gets 0), then
// rules that are new, in the order they first fired.
func countsNode(old *yaml.Node, dets []report.Detection, keep []int) *yaml.Node {
	n := map[string]int{}
	var order []string
	for _, i := range keep {
		r := dets[i].Rule
		if _, ok := n[r]; !ok {
			order = append(order, r)
		}
		n[r]++
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	done := map[string]bool{}
	if old != nil && old.Kind == yaml.MappingNode {
		m.Style = old.Style
		for i := 0; i+1 < len(old.Content); i += 2 {
			k, v := old.Content[i], old.Content[i+1]
			if done[k.Value] {
				continue
			}
			done[k.Value] = true
			nv := intNode(n[k.Value])
			nv.LineComment, nv.HeadComment, nv.FootComment = v.LineComment, v.HeadComment, v.FootComment
			m.Content = append(m.Content, k, nv)
		}
	}
	for _, r := range order {
		if !done[r] {
			m.Content = append(m.Content, strNode(r), intNode(n[r]))
		}
	}
	return m
}

// refreshAlert updates an existing alert node with d's values, keeping
// its keys, chosen fields and comments.
func refreshAlert(n *yaml.Node, d *report.Detection) *yaml.Node {
	deleteKey(n, "pending")
	if v := mapValue(n, "priority"); v != nil {
		setScalar(v, d.Priority)
	}
	if v := mapValue(n, "time"); v != nil {
		setScalar(v, d.Time.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"))
	}
	if fs := mapValue(n, "fields"); fs != nil && fs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(fs.Content); i += 2 {
			val, ok := FieldValue(d, fs.Content[i].Value)
			if !ok {
				val = Missing
			}
			vn := fs.Content[i+1]
			if vn.Tag == RegexpTag {
				// A pattern the value still matches stays.
				if re, err := regexp.Compile(`^(?:` + vn.Value + `)$`); err == nil && ok && re.MatchString(val) {
					continue
				}
			}
			setScalar(vn, val)
		}
	}
	return n
}

// deleteKey removes key from mapping m.
func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// setScalar sets a scalar's text, keeping its comments.
func setScalar(n *yaml.Node, s string) {
	if n.Kind == yaml.ScalarNode && n.Value == s && n.ShortTag() == "!!str" {
		return
	}
	hc, lc, fc := n.HeadComment, n.LineComment, n.FootComment
	style := n.Style &^ (yaml.LiteralStyle | yaml.FoldedStyle | yaml.TaggedStyle)
	if n.Tag != "" && n.ShortTag() != "!!str" {
		style = 0 // e.g. a !re pattern replaced by a plain value
	}
	*n = yaml.Node{}
	n.SetString(s)
	if n.Style == 0 {
		n.Style = style
	}
	n.HeadComment, n.LineComment, n.FootComment = hc, lc, fc
}

// newAlert builds an alert node for d: rule, priority and the chosen
// fields d has a value for.
func newAlert(d *report.Detection, fields []string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, strNode("rule"), strNode(d.Rule), strNode("priority"), strNode(d.Priority))
	fm := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range fields {
		if v, ok := FieldValue(d, f); ok {
			fm.Content = append(fm.Content, strNode(f), strNode(v))
		}
	}
	if len(fm.Content) > 0 {
		m.Content = append(m.Content, strNode("fields"), fm)
	}
	return m
}

// Recompare reloads the suites that results ran from (after [Suite.UpdateFile]
// rewrote them) and compares each result with its case's new expectations,
// so that the status reported after an update is the one the rewritten
// files give. shared is what ${SHARED} stands for.
func Recompare(results []Result, shared string) error {
	reloaded := map[*Suite]map[string]*Case{}
	for i := range results {
		r := &results[i]
		old := r.Case.Suite
		cases, ok := reloaded[old]
		if !ok {
			s, err := Load(old.Path, LoadOptions{Shared: shared})
			if err != nil {
				return err
			}
			cases = map[string]*Case{}
			for _, c := range s.Cases {
				cases[c.Name] = c
			}
			reloaded[old] = cases
		}
		if c := cases[r.Case.Name]; c != nil && r.Err == nil && r.Case.Skip == "" {
			r.Diff = Compare(c, r.Detections)
		}
	}
	return nil
}
