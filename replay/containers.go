package replay

import "github.com/retrace-dev/retrace/capture/container"

// ContainerTable holds the containers a capture described, by the id
// libsinsp keys them by ([container.ShortID]). Not safe for concurrent
// use: the replay goroutine owns it.
type ContainerTable struct {
	byID map[string]*container.Info
}

// newContainerTable returns an empty table.
func newContainerTable() *ContainerTable {
	return &ContainerTable{byID: map[string]*container.Info{}}
}

// Get returns the container with this id, given in full (64 hex digits)
// or short (12) form.
func (t *ContainerTable) Get(id string) (*container.Info, bool) {
	c, ok := t.byID[container.ShortID(id)]
	return c, ok
}

// Put adds or replaces a container, keyed by its short id (see
// [container.Info.Finish]), so that threads, whose ids come from cgroups in
// short form, find it.
func (t *ContainerTable) Put(c *container.Info) {
	c.Finish()
	t.byID[c.ID] = c
}

// Ensure returns the container with id, creating a bare entry of type typ
// (id and type only, as libsinsp does offline for a container its cgroups
// name and no container event described) when the table has none.
func (t *ContainerTable) Ensure(id string, typ container.Type) *container.Info {
	id = container.ShortID(id)
	if c, ok := t.byID[id]; ok {
		return c
	}
	c := &container.Info{ID: id, Type: typ}
	t.byID[id] = c
	return c
}
