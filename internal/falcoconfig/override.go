package falcoconfig

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// OverrideOrigin is the pseudo file name of positions inside -o overrides.
const OverrideOrigin = "-o"

// pathStep is one step of an override key: a mapping key, or a sequence
// index (append when index is -1).
type pathStep struct {
	key   string
	index int
	isIdx bool
}

// parseKey splits a Falco override key into steps. The grammar is Falco's:
//
//	Key     := NodeKey ('.' NodeKey)*
//	NodeKey := (Char | EscSeq)+ ('[' integer? ']')*
//	Char    := any character except '\', '.', '['
//	EscSeq  := '\' ('.' | '[' | ']' | '\')
//
// An empty index ("rules_files[]") appends to the sequence.
func parseKey(key string) ([]pathStep, error) {
	var steps []pathStep
	var cur strings.Builder
	flush := func(pos int) error {
		if cur.Len() == 0 {
			return fmt.Errorf("empty key name at position %d", pos)
		}
		steps = append(steps, pathStep{key: cur.String()})
		cur.Reset()
		return nil
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch c {
		case '\\':
			if i+1 >= len(key) || !strings.ContainsRune(`.[]\`, rune(key[i+1])) {
				return nil, fmt.Errorf("invalid escape at position %d (want \\. \\[ \\] or \\\\)", i)
			}
			cur.WriteByte(key[i+1])
			i++
		case '.':
			if err := flush(i); err != nil {
				return nil, err
			}
		case '[':
			if cur.Len() > 0 {
				if err := flush(i); err != nil {
					return nil, err
				}
			} else if len(steps) == 0 || (i > 0 && key[i-1] != ']') {
				return nil, fmt.Errorf("index without a key at position %d", i)
			}
			end := strings.IndexByte(key[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed '[' at position %d", i)
			}
			idx := key[i+1 : i+end]
			st := pathStep{isIdx: true, index: -1}
			if idx != "" {
				n, err := strconv.Atoi(idx)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("want a numeric index at position %d, got %q", i+1, idx)
				}
				st.index = n
			}
			steps = append(steps, st)
			i += end
			if i+1 < len(key) {
				switch key[i+1] {
				case '.':
					i++
				case '[':
				default:
					return nil, fmt.Errorf("want '.' or '[' after ']' at position %d", i+1)
				}
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 || len(steps) == 0 || key[len(key)-1] == '.' {
		if err := flush(len(key)); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// applyOverride sets the node at kv's key in the document's root mapping,
// as Falco's -o does: the value is a scalar, or a YAML object when it is
// enclosed in braces. Mappings and sequences on the way are created.
// origins records the key nodes it creates, for positions in messages.
func applyOverride(root *yaml.Node, kv string, origins map[*yaml.Node]string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("want key=value or key.subkey=value")
	}
	steps, err := parseKey(key)
	if err != nil {
		return fmt.Errorf("key %q: %w", key, err)
	}
	val := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	if strings.HasPrefix(value, "{") && strings.HasSuffix(value, "}") {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
			return fmt.Errorf("value %s: %w", value, err)
		}
		val = doc.Content[0]
		zeroLines(val)
	}
	n := root
	for i, st := range steps {
		last := i == len(steps)-1
		if st.isIdx {
			if n.Kind != yaml.SequenceNode {
				*n = yaml.Node{Kind: yaml.SequenceNode}
			}
			switch {
			case st.index == -1 || st.index == len(n.Content):
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode})
				n = n.Content[len(n.Content)-1]
			case st.index < len(n.Content):
				n = n.Content[st.index]
			default:
				return fmt.Errorf("key %q: index %d beyond the %d entries", key, st.index, len(n.Content))
			}
		} else {
			if n.Kind != yaml.MappingNode {
				*n = yaml.Node{Kind: yaml.MappingNode}
			}
			var child *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == st.key {
					child = n.Content[j+1]
					origins[n.Content[j]] = kv
				}
			}
			if child == nil {
				k := &yaml.Node{Kind: yaml.ScalarNode, Value: st.key}
				origins[k] = kv
				child = &yaml.Node{Kind: yaml.ScalarNode}
				n.Content = append(n.Content, k, child)
			}
			n = child
		}
		if last {
			*n = *val
			markOrigin(n, kv, origins)
		}
	}
	return nil
}

// markOrigin records that n and the nodes below it come from override kv.
func markOrigin(n *yaml.Node, kv string, origins map[*yaml.Node]string) {
	origins[n] = kv
	for _, c := range n.Content {
		markOrigin(c, kv, origins)
	}
}

// zeroLines clears the positions of a parsed override value, whose lines
// count in the value, not in the configuration file.
func zeroLines(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		zeroLines(c)
	}
}
