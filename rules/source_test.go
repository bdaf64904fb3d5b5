package rules

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzScalarOffset checks the position mapping of condition text: a
// string is written as a YAML scalar in some style (yaml.v3 chooses
// folding, quoting and escapes), read back, and every printable character
// of the decoded value must map to the same character in the file.
func FuzzScalarOffset(f *testing.F) {
	for _, s := range []string{
		"evt.type=open and proc.name=cat",
		"a\nb\n\nc d",
		"  leading and trailing  ",
		"quote ' and \" and \\ backslash",
		"tab\there é ünïcode \x01 control",
		"line one that is quite long so that folding might happen at some point in the output text of the encoder",
	} {
		for style := range 5 {
			f.Add(s, uint8(style))
		}
	}
	styles := []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle}
	f.Fuzz(func(t *testing.T, s string, style uint8) {
		node := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "condition"},
			{Kind: yaml.ScalarNode, Value: s, Style: styles[int(style)%len(styles)]},
		}}
		data, err := yaml.Marshal(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{node}})
		if err != nil {
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return
		}
		if len(doc.Content) == 0 || len(doc.Content[0].Content) == 0 || len(doc.Content[0].Content[0].Content) < 2 {
			return
		}
		scalar := doc.Content[0].Content[0].Content[1]
		src := newSourceFile("f.yaml", data)
		v := scalar.Value
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c <= ' ' || c >= 0x7f || c == '\\' || c == '\'' || c == '"' {
				continue // whitespace (folded), escapes and quotes map loosely
			}
			off := src.scalarOffset(scalar, i)
			if off < 0 || off >= len(data) || data[off] != c {
				got := byte(0)
				if off >= 0 && off < len(data) {
					got = data[off]
				}
				t.Fatalf("value byte %d %q maps to offset %d holding %q\nyaml:\n%s", i, c, off, got, data)
			}
		}
	})
}
