package container

import (
	"strings"

	"github.com/retrace-dev/retrace/internal/glob"
)

// Info is what a capture says about one container: what the recorder
// learned from the runtime, or what a sysdig/Falco capture's container event
// carried. Empty strings are unknown values (fields print them as missing).
type Info struct {
	// ID is the id libsinsp keys the container by (see [ShortID]); FullID
	// the runtime's whole id, when known.
	ID     string
	FullID string
	Type   Type
	Name   string
	// Image is the image reference the container was started from;
	// ImageRepo, ImageTag and ImageDigest its parts (see [ParseImage]),
	// ImageDigest possibly the runtime's digest of the image when the
	// reference has none.
	Image       string
	ImageID     string
	ImageRepo   string
	ImageTag    string
	ImageDigest string
	// Privileged is meaningful only when PrivilegedKnown is true.
	Privileged      bool
	PrivilegedKnown bool
	Mounts          []Mount
	// CreatedTime is the creation time in seconds since the epoch, 0 if
	// unknown.
	CreatedTime  int64
	IP           string
	IsPodSandbox bool
	Labels       map[string]string
	// MountsText is the container.mounts rendering of Mounts, set by
	// [ParseJSON], [FromEvent] and [Info.Finish].
	MountsText string
}

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

// Finish sets the values derived from the others: a 64-hex-digit ID
// becomes the short ID (and FullID, when that is empty), and MountsText
// renders Mounts.
func (c *Info) Finish() {
	if short := ShortID(c.ID); short != c.ID {
		if c.FullID == "" {
			c.FullID = c.ID
		}
		c.ID = short
	}
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
		if glob.Match(pattern, c.Mounts[i].Source, false) {
			return &c.Mounts[i], true
		}
	}
	return nil, false
}

// MountByDest returns the first mount whose destination matches the glob
// pattern, as container.mount.source[pattern] looks mounts up.
func (c *Info) MountByDest(pattern string) (*Mount, bool) {
	for i := range c.Mounts {
		if glob.Match(pattern, c.Mounts[i].Dest, false) {
			return &c.Mounts[i], true
		}
	}
	return nil, false
}
