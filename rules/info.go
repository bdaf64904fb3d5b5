package rules

import (
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
)

// itemCtx locates an item for diagnostics.
type itemCtx struct {
	file *sourceFile
	node *yaml.Node // the item's mapping (or the offending node)
	kind ItemKind
	name string
}

func (c itemCtx) named(name string) itemCtx { c.name = name; return c }

// listInfo is a list as collected from the files.
type listInfo struct {
	ctx        itemCtx
	name       string
	items      []string
	index      int // definition order, kept on redefinition
	visibility int // order of the latest definition or append
}

// macroInfo is a macro as collected from the files.
type macroInfo struct {
	ctx        itemCtx
	name       string
	cond       ctext
	index      int
	visibility int
	appends    textQueue // condition appends not yet joined
}

// exEntry is an exception's fields, comps or one value: a string or a list.
type exEntry struct {
	isList bool
	item   string
	items  []exEntry
	node   *yaml.Node
}

func (e exEntry) valid() bool {
	return (e.isList && len(e.items) > 0) || (!e.isList && e.item != "")
}

// exceptionInfo is one entry of a rule's exceptions.
type exceptionInfo struct {
	ctx    itemCtx
	node   *yaml.Node
	name   string
	fields exEntry
	comps  exEntry
	values []exEntry
}

// ruleInfo is a rule as collected from the files.
type ruleInfo struct {
	ctx                 itemCtx
	name                string
	cond                ctext
	output              ctext
	desc                string
	priority            engine.Priority
	source              string
	tags                []string // sorted, unique
	enabled             bool
	exceptions          []exceptionInfo
	warnEvttypes        bool
	skipIfUnknownFilter bool
	capture             bool
	captureDuration     uint64
	unknownSource       bool
	index               int
	visibility          int
	appends             *ruleAppends // appends not yet joined
}

// ruleUpdate is an append or a selective replace of a rule: only the
// fields that are set change.
type ruleUpdate struct {
	ctx                 itemCtx
	name                string
	source              string
	cond                *ctext
	output              *ctext
	desc                *string
	tags                *[]string
	exceptions          *[]exceptionInfo
	priority            *engine.Priority
	enabled             *bool
	capture             *bool
	captureDuration     *uint64
	warnEvttypes        *bool
	skipIfUnknownFilter *bool
}

func (u *ruleUpdate) hasAnyValue() bool {
	return u.cond != nil || u.output != nil || u.desc != nil || u.tags != nil ||
		u.exceptions != nil || u.priority != nil || u.enabled != nil || u.capture != nil ||
		u.captureDuration != nil || u.warnEvttypes != nil || u.skipIfUnknownFilter != nil
}

// indexed keeps items in first-definition order with a name lookup.
type indexed[T any] struct {
	items  []*T
	byName map[string]int
}

func (x *indexed[T]) at(name string) *T {
	if i, ok := x.byName[name]; ok {
		return x.items[i]
	}
	return nil
}

func (x *indexed[T]) insert(name string, v *T) {
	if x.byName == nil {
		x.byName = make(map[string]int)
	}
	if i, ok := x.byName[name]; ok {
		x.items[i] = v
		return
	}
	x.byName[name] = len(x.items)
	x.items = append(x.items, v)
}

// tagSet returns the tags sorted and without duplicates (Falco keeps a set).
func tagSet(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}
