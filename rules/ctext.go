package rules

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// scalarRef names a YAML scalar in a file: the origin of condition text.
type scalarRef struct {
	file *sourceFile
	node *yaml.Node
}

// position returns the file position of the byte at valueOff in the
// scalar's decoded value.
func (r *scalarRef) position(valueOff int) Position {
	if r == nil || r.file == nil {
		return Position{}
	}
	if r.node == nil {
		return Position{File: r.file.name}
	}
	return r.file.position(r.file.scalarOffset(r.node, valueOff))
}

// span says where the bytes of a ctext from at onwards come from.
type span struct {
	at    int        // first byte of the span in the text
	ref   *scalarRef // origin scalar; nil for text with no origin
	off   int        // offset in the origin's value of the byte at `at`
	fixed bool       // every byte of the span maps to off (generated text)
}

// ctext is condition text that remembers, byte by byte, which YAML scalar
// (and which offset in it) each part comes from, through appends,
// exception generation and list substitution. Positions are resolved only
// when a diagnostic needs one.
type ctext struct {
	s     string
	spans []span
}

// fromScalar is the whole decoded value of a scalar node.
func fromScalar(ref *scalarRef, value string) ctext {
	return ctext{s: value, spans: []span{{at: 0, ref: ref}}}
}

// generated is text that does not appear in any file; every byte maps to
// the given origin offset.
func generated(s string, ref *scalarRef, off int) ctext {
	return ctext{s: s, spans: []span{{at: 0, ref: ref, off: off, fixed: true}}}
}

// join concatenates texts.
func join(parts ...ctext) ctext {
	n := 0
	for _, p := range parts {
		n += len(p.s)
	}
	var b strings.Builder
	b.Grow(n)
	var spans []span
	for _, p := range parts {
		base := b.Len()
		if len(p.s) == 0 {
			continue
		}
		for _, sp := range p.spans {
			sp.at += base
			spans = append(spans, sp)
		}
		b.WriteString(p.s)
	}
	return ctext{s: b.String(), spans: spans}
}

// slice returns the text's bytes [from, to).
func (t ctext) slice(from, to int) ctext {
	if from >= to {
		return ctext{}
	}
	out := ctext{s: t.s[from:to]}
	for i, sp := range t.spans {
		end := len(t.s)
		if i+1 < len(t.spans) {
			end = t.spans[i+1].at
		}
		if end <= from || sp.at >= to {
			continue
		}
		ns := sp
		if sp.at < from {
			if !sp.fixed {
				ns.off += from - sp.at
			}
			ns.at = from
		}
		ns.at -= from
		out.spans = append(out.spans, ns)
	}
	return out
}

// origin returns the scalar and value offset that byte off of the text
// comes from. Offsets past the end map to the end of the last span.
func (t ctext) origin(off int) (*scalarRef, int) {
	if len(t.spans) == 0 {
		return nil, 0
	}
	if off >= len(t.s) && len(t.s) > 0 {
		ref, o := t.origin(len(t.s) - 1)
		return ref, o + 1
	}
	// The last span starting at or before off (the first when none does).
	i := max(sort.Search(len(t.spans), func(k int) bool { return t.spans[k].at > off })-1, 0)
	sp := t.spans[i]
	if sp.fixed {
		return sp.ref, sp.off
	}
	return sp.ref, sp.off + off - sp.at
}

// position returns the file position of byte off of the text.
func (t ctext) position(off int) Position {
	ref, o := t.origin(off)
	return ref.position(o)
}
