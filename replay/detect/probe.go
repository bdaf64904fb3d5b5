package detect

import (
	"github.com/retrace-dev/retrace/engine"
)

// Probe extracts one field's values from events, as text or as a number.
// A Probe keeps scratch buffers: it is not safe for concurrent use. A nil
// Probe (a field the registry lacks) has no value for any event.
type Probe struct {
	ex  engine.Extractor
	typ engine.FieldType
	buf []engine.Value
	txt []byte
}

// NewProbe binds field ref (e.g. "proc.aname[2]"); it returns nil when the
// registry does not have it.
func NewProbe(reg engine.Registry, ref string) *Probe {
	info, arg, err := engine.ResolveField(reg, ref)
	if err != nil {
		return nil
	}
	b, err := reg.Bind(info.Name, arg)
	if err != nil {
		return nil
	}
	typ := b.Type
	if typ == engine.TypeInvalid {
		typ = info.Type
	}
	return &Probe{ex: b.Extractor, typ: typ}
}

// Text returns the field's first value for ev as text and whether it has
// one.
func (p *Probe) Text(ev engine.Event) (string, bool) {
	if p == nil {
		return "", false
	}
	b, ok := p.Bytes(ev)
	return string(b), ok
}

// Bytes is [Probe.Text] without the string: the text is valid until the
// next call on p.
func (p *Probe) Bytes(ev engine.Event) ([]byte, bool) {
	if p == nil {
		return nil, false
	}
	p.buf = p.ex.Extract(ev, p.buf[:0])
	if len(p.buf) == 0 {
		return nil, false
	}
	p.txt = engine.AppendValue(p.txt[:0], p.typ, p.buf[0])
	return p.txt, true
}

// Value returns the field's first value for ev as text, or "" when it has
// none or the value is Falco's missing marker (<NA>).
func (p *Probe) Value(ev engine.Event) string {
	s, ok := p.Text(ev)
	if !ok || s == engine.Missing {
		return ""
	}
	return s
}

// Int returns the field's first value for ev as a signed integer and
// whether it has one.
func (p *Probe) Int(ev engine.Event) (int64, bool) {
	if p == nil {
		return 0, false
	}
	p.buf = p.ex.Extract(ev, p.buf[:0])
	if len(p.buf) == 0 {
		return 0, false
	}
	return int64(p.buf[0].Num), true
}
