package container

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Mount is one mount of a container as its runtime reported it.
type Mount struct {
	Source      string
	Dest        string
	Mode        string
	RW          bool
	Propagation string
}

// String renders the mount as container.mounts prints it:
// "source:dest:mode:rw:propagation".
func (m Mount) String() string {
	rw := "false"
	if m.RW {
		rw = "true"
	}
	return m.Source + ":" + m.Dest + ":" + m.Mode + ":" + rw + ":" + m.Propagation
}

// Info is what a capture says about one container. Empty strings are
// unknown values (fields print them as missing).
type Info struct {
	ID          string // short id (12 hex digits) or name for lxc
	FullID      string
	Type        Type
	Name        string
	Image       string
	ImageID     string
	ImageRepo   string
	ImageTag    string
	ImageDigest string
	// Privileged is meaningful only when PrivilegedKnown is true.
	Privileged      bool
	PrivilegedKnown bool
	Mounts          []Mount
	// CreatedTime is the creation time in seconds since the epoch, 0 if unknown.
	CreatedTime  int64
	IP           string
	IsPodSandbox bool
	Labels       map[string]string
	// MountsText is the container.mounts rendering, computed once.
	MountsText string
}

// jsonContainer is the "container" object of a container JSON event.
type jsonContainer struct {
	ID           string            `json:"id"`
	FullID       string            `json:"full_id"`
	Type         *uint32           `json:"type"`
	Name         string            `json:"name"`
	Image        string            `json:"image"`
	ImageID      string            `json:"imageid"`
	ImageRepo    string            `json:"imagerepo"`
	ImageTag     string            `json:"imagetag"`
	ImageDigest  string            `json:"imagedigest"`
	Privileged   *bool             `json:"privileged"`
	CreatedTime  int64             `json:"created_time"`
	IP           string            `json:"ip"`
	IsPodSandbox bool              `json:"is_pod_sandbox"`
	Labels       map[string]string `json:"labels"`
	Mounts       []struct {
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		Mode        string `json:"Mode"`
		RW          bool   `json:"RW"`
		Propagation string `json:"Propagation"`
	} `json:"Mounts"`
}

// ParseJSON parses the payload of a container JSON event
// ({"container":{...}}), as written by libsinsp's container manager.
func ParseJSON(b []byte) (*Info, error) {
	// The payload is a NUL-terminated string.
	if n := len(b); n > 0 && b[n-1] == 0 {
		b = b[:n-1]
	}
	var doc struct {
		Container *jsonContainer `json:"container"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse container json: %w", err)
	}
	c := doc.Container
	if c == nil {
		return nil, fmt.Errorf("parse container json: no \"container\" object")
	}
	if c.ID == "" {
		return nil, fmt.Errorf("parse container json: no container id")
	}
	info := &Info{
		ID: c.ID, FullID: c.FullID, Name: c.Name, Image: c.Image, ImageID: c.ImageID,
		ImageRepo: c.ImageRepo, ImageTag: c.ImageTag, ImageDigest: c.ImageDigest,
		CreatedTime: c.CreatedTime, IP: c.IP, IsPodSandbox: c.IsPodSandbox, Labels: c.Labels,
		Type: TypeDocker,
	}
	if c.Type != nil {
		info.Type = Type(*c.Type)
	}
	if c.Privileged != nil {
		info.Privileged, info.PrivilegedKnown = *c.Privileged, true
	}
	for _, m := range c.Mounts {
		info.Mounts = append(info.Mounts, Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation})
	}
	info.finish()
	return info, nil
}

// finish computes derived values.
func (c *Info) finish() {
	parts := make([]string, len(c.Mounts))
	for i, m := range c.Mounts {
		parts[i] = m.String()
	}
	c.MountsText = strings.Join(parts, ",")
}

// DockerCompatible reports whether the runtime reports a privileged flag
// libsinsp trusts (docker, CRI, containerd, cri-o, podman).
func (c *Info) DockerCompatible() bool {
	switch c.Type {
	case TypeDocker, TypeCRI, TypeContainerd, TypeCRIO, TypePodman:
		return true
	}
	return false
}

// MountBySource returns the first mount whose source matches the glob
// pattern, as container.mount.dest[pattern] looks mounts up.
func (c *Info) MountBySource(pattern string) (*Mount, bool) {
	for i := range c.Mounts {
		if Glob(pattern, c.Mounts[i].Source) {
			return &c.Mounts[i], true
		}
	}
	return nil, false
}

// MountByDest returns the first mount whose destination matches the glob
// pattern, as container.mount.source[pattern] looks mounts up.
func (c *Info) MountByDest(pattern string) (*Mount, bool) {
	for i := range c.Mounts {
		if Glob(pattern, c.Mounts[i].Dest) {
			return &c.Mounts[i], true
		}
	}
	return nil, false
}

// Store holds the containers a capture described, by id.
type Store struct {
	byID map[string]*Info
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{byID: map[string]*Info{}} }

// ShortID returns the id libsinsp keys a container by: the first 12
// digits of a 64-hex-digit runtime id, any other id (already short, or an
// lxc name) unchanged.
func ShortID(id string) string {
	if isHex64([]byte(id)) {
		return id[:12]
	}
	return id
}

// Get returns the container with this id, given in full (64 hex digits)
// or short (12) form.
func (s *Store) Get(id string) (*Info, bool) {
	c, ok := s.byID[ShortID(id)]
	return c, ok
}

// Put adds or replaces a container. A full 64-hex-digit id becomes the
// short id libsinsp uses (and the full id when the event had none), so
// threads, whose ids come from cgroups in short form, find it.
func (s *Store) Put(c *Info) {
	if c.MountsText == "" && len(c.Mounts) > 0 {
		c.finish()
	}
	if short := ShortID(c.ID); short != c.ID {
		if c.FullID == "" {
			c.FullID = c.ID
		}
		c.ID = short
	}
	s.byID[c.ID] = c
}

// Ensure returns the container with id, creating a bare entry of type typ
// (id and type only, as a runtime lookup that found nothing would) when the
// store has none.
func (s *Store) Ensure(id string, typ Type) *Info {
	id = ShortID(id)
	if c, ok := s.byID[id]; ok {
		return c
	}
	c := &Info{ID: id, Type: typ}
	s.byID[id] = c
	return c
}

// Len returns the number of containers.
func (s *Store) Len() int { return len(s.byID) }

// All returns the containers in no particular order.
func (s *Store) All() []*Info {
	out := make([]*Info, 0, len(s.byID))
	for _, c := range s.byID {
		out = append(out, c)
	}
	return out
}
