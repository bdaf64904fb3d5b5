package rules

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAliasDepth bounds alias chains so hostile files cannot loop.
const maxAliasDepth = 32

// deref follows aliases to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an explicit null (`key:`, `~`, `null`).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// keyValue is one entry of a mapping.
type keyValue struct {
	key, value *yaml.Node
}

// mapping is a YAML mapping node with its entries in order and a lookup of
// the first entry for each key (yaml-cpp, which Falco uses, finds the first).
type mapping struct {
	node    *yaml.Node
	entries []keyValue
	dups    []keyValue
}

func newMapping(n *yaml.Node) *mapping {
	m := &mapping{node: n}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kv := keyValue{key: deref(n.Content[i]), value: deref(n.Content[i+1])}
		if kv.key == nil || kv.value == nil {
			continue
		}
		if _, seen := m.lookup(kv.key.Value); seen {
			m.dups = append(m.dups, kv)
			continue
		}
		m.entries = append(m.entries, kv)
	}
	return m
}

func (m *mapping) lookup(key string) (keyValue, bool) {
	for _, kv := range m.entries {
		if kv.key.Kind == yaml.ScalarNode && kv.key.Value == key {
			return kv, true
		}
	}
	return keyValue{}, false
}

// has reports whether key is present (even with a null value).
func (m *mapping) has(key string) bool {
	_, ok := m.lookup(key)
	return ok
}

// get returns the value node for key, or nil.
func (m *mapping) get(key string) *yaml.Node {
	kv, _ := m.lookup(key)
	return kv.value
}

// parseYAMLBool accepts the boolean spellings yaml-cpp accepts.
func parseYAMLBool(s string) (bool, bool) {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// parseYAMLUint parses an unsigned integer the way a C++ stream does for
// yaml-cpp (decimal, or 0x hex / 0 octal), with nothing left over.
func parseYAMLUint(s string, bits int) (uint64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 0, bits)
	if err != nil {
		return 0, false
	}
	return v, true
}
