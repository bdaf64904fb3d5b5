package engine

import (
	"fmt"
	"slices"
	"strings"
)

// FieldDef defines one field of a [FieldTable].
type FieldDef struct {
	// Info describes the field.
	Info FieldInfo
	// Bind binds the field to an argument that has already been checked
	// against Info.Arg and Info.ArgSyntax (arg.Present is false when none
	// was written).
	Bind func(arg Arg) (Binding, error)
}

// FieldTable is a [Registry] built from a fixed list of field definitions.
// It is immutable and safe for concurrent use.
type FieldTable struct {
	defs  map[string]FieldDef
	infos []FieldInfo
}

// NewFieldTable returns a registry holding defs. It fails on an empty or
// duplicate name, an invalid type or a missing Bind function.
func NewFieldTable(defs []FieldDef) (*FieldTable, error) {
	t := &FieldTable{defs: make(map[string]FieldDef, len(defs)), infos: make([]FieldInfo, 0, len(defs))}
	for _, d := range defs {
		switch {
		case d.Info.Name == "" || strings.ContainsAny(d.Info.Name, "[] \t\n"):
			return nil, fmt.Errorf("new field table: invalid field name %q", d.Info.Name)
		case d.Info.Type == TypeInvalid || d.Info.Type >= numFieldTypes:
			return nil, fmt.Errorf("new field table: field %s: invalid type %d", d.Info.Name, d.Info.Type)
		case d.Bind == nil:
			return nil, fmt.Errorf("new field table: field %s: no Bind function", d.Info.Name)
		case d.Info.Arg != ArgNone && d.Info.ArgSyntax == 0:
			return nil, fmt.Errorf("new field table: field %s: argument without syntax", d.Info.Name)
		}
		if _, dup := t.defs[d.Info.Name]; dup {
			return nil, fmt.Errorf("new field table: duplicate field %s", d.Info.Name)
		}
		t.defs[d.Info.Name] = d
		t.infos = append(t.infos, d.Info)
	}
	slices.SortFunc(t.infos, func(a, b FieldInfo) int { return strings.Compare(a.Name, b.Name) })
	return t, nil
}

// Info returns the field with exactly this name.
func (t *FieldTable) Info(name string) (FieldInfo, bool) {
	d, ok := t.defs[name]
	return d.Info, ok
}

// Fields returns every field sorted by name. The result must not be modified.
func (t *FieldTable) Fields() []FieldInfo { return t.infos }

// Bind binds field name to arg with the field's Bind function.
func (t *FieldTable) Bind(name string, arg Arg) (Binding, error) {
	d, ok := t.defs[name]
	if !ok {
		return Binding{}, fmt.Errorf("bind field: %w '%s'", ErrUnknownField, name)
	}
	b, err := d.Bind(arg)
	if err != nil {
		return Binding{}, fmt.Errorf("bind field %s%s: %w", name, arg, err)
	}
	if b.Extractor == nil {
		return Binding{}, fmt.Errorf("bind field %s%s: no extractor", name, arg)
	}
	if b.Type == TypeInvalid {
		b.Type = d.Info.Type
	}
	return b, nil
}
