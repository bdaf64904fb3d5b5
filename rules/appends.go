package rules

import (
	"slices"
	"strings"
)

// Appends are applied lazily: `append: true` items queue their text on
// the item they extend, and [loader.applyAppends] joins each queue once
// after every file is read, so n appends cost O(total text) instead of
// copying the growing text n times.

// textQueue is a text with the appends queued on it.
type textQueue []ctext

// appendTo returns base with the queued texts appended as Falco appends
// them: the old text, one space, the new text; the space maps to the end of
// the old text for diagnostics.
func (q textQueue) appendTo(base ctext) ctext {
	if len(q) == 0 {
		return base
	}
	var b ctextBuilder
	ref, off := base.origin(len(base.s))
	b.add(base)
	for i, add := range q {
		if i > 0 {
			ref, off = b.originEnd()
		}
		b.add(generated(" ", ref, off))
		b.add(add)
	}
	return b.text()
}

// ruleAppends are the appends queued on a rule.
type ruleAppends struct {
	cond, output textQueue
	desc         []string
	tags         []string
	// exceptions indexes the rule's exceptions by name, built at the
	// first exception append.
	exceptions map[string]int
}

// applyAppends joins the queued appends of every macro and rule.
func (l *loader) applyAppends() {
	for _, m := range l.macros.items {
		m.cond = m.appends.appendTo(m.cond)
		m.appends = nil
	}
	for _, r := range l.rules.items {
		a := r.appends
		if a == nil {
			continue
		}
		r.cond = a.cond.appendTo(r.cond)
		r.output = a.output.appendTo(r.output)
		if len(a.desc) > 0 {
			r.desc += " " + strings.Join(a.desc, " ")
		}
		if len(a.tags) > 0 {
			r.tags = tagSet(append(slices.Clone(r.tags), a.tags...))
		}
		r.appends = nil
	}
}

// ctextBuilder builds a ctext from parts in amortized linear time.
type ctextBuilder struct {
	buf   []byte
	spans []span
}

// add appends t (nothing for an empty text, as [join] does).
func (b *ctextBuilder) add(t ctext) {
	if len(t.s) == 0 {
		return
	}
	base := len(b.buf)
	for _, sp := range t.spans {
		sp.at += base
		b.spans = append(b.spans, sp)
	}
	b.buf = append(b.buf, t.s...)
}

// addSlice appends t's bytes [from, to), as add(t.slice(from, to)) does;
// cursor is the index of a span at or before from, kept up to date so that
// consecutive slices of one text in increasing order cost O(their length
// and spans), not a walk over all of t's spans.
func (b *ctextBuilder) addSlice(t ctext, from, to int, cursor *int) {
	if from >= to {
		return
	}
	base := len(b.buf)
	i := *cursor
	for i+1 < len(t.spans) && t.spans[i+1].at <= from {
		i++
	}
	*cursor = i
	for ; i < len(t.spans) && t.spans[i].at < to; i++ {
		sp := t.spans[i]
		end := len(t.s)
		if i+1 < len(t.spans) {
			end = t.spans[i+1].at
		}
		if end <= from {
			continue
		}
		if sp.at < from {
			if !sp.fixed {
				sp.off += from - sp.at
			}
			sp.at = from
		}
		sp.at += base - from
		b.spans = append(b.spans, sp)
	}
	b.buf = append(b.buf, t.s[from:to]...)
}

// truncate keeps the first n bytes.
func (b *ctextBuilder) truncate(n int) {
	if n >= len(b.buf) {
		return
	}
	b.buf = b.buf[:n]
	for len(b.spans) > 0 && b.spans[len(b.spans)-1].at >= n {
		b.spans = b.spans[:len(b.spans)-1]
	}
}

// originEnd is text().origin(len) without building the text.
func (b *ctextBuilder) originEnd() (*scalarRef, int) {
	if len(b.buf) == 0 {
		return nil, 0 // add keeps no spans for empty texts
	}
	sp := b.spans[len(b.spans)-1]
	off := sp.off
	if !sp.fixed {
		off += len(b.buf) - 1 - sp.at
	}
	return sp.ref, off + 1
}

// text returns the built text.
func (b *ctextBuilder) text() ctext { return ctext{s: string(b.buf), spans: b.spans} }
