package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Info is what retrace records about a container.
type Info struct {
	ID         string
	Runtime    string
	Name       string
	Image      string
	ImageID    string
	Privileged bool
	Labels     map[string]string
	Mounts     []Mount
	// Created is when the container was created (zero when unknown).
	Created time.Time
}

// Mount is one mount of a container.
type Mount struct {
	Source      string
	Destination string
	Mode        string
	RW          bool
	Propagation string
}

// ErrNoRuntime is returned by [Inspect] when the runtime's CLI is missing.
var ErrNoRuntime = errors.New("container runtime CLI not found")

// Inspect reads a container's metadata from its runtime. Only podman (and
// docker, whose inspect output has the same shape) are read; others return
// ErrNoRuntime and the caller records the id alone.
func Inspect(ctx context.Context, m Match) (Info, error) {
	info := Info{ID: m.ID, Runtime: m.Runtime}
	var cli string
	switch m.Runtime {
	case "podman":
		cli = "podman"
	case "docker":
		cli = "docker"
	default:
		return info, ErrNoRuntime
	}
	path, err := exec.LookPath(cli)
	if err != nil {
		return info, ErrNoRuntime
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "inspect", "--type", "container", m.ID).Output()
	if err != nil {
		return info, fmt.Errorf("%s inspect %s: %w", cli, m.ShortID(), err)
	}
	return parseInspect(out, info)
}

// inspectJSON is the part of podman/docker inspect output retrace reads.
type inspectJSON struct {
	ID        string    `json:"Id"`
	Name      string    `json:"Name"`
	Image     string    `json:"Image"`
	ImageName string    `json:"ImageName"`
	Created   time.Time `json:"Created"`
	Config    struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	HostConfig struct {
		Privileged bool `json:"Privileged"`
	} `json:"HostConfig"`
	Mounts []struct {
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		Mode        string `json:"Mode"`
		RW          bool   `json:"RW"`
		Propagation string `json:"Propagation"`
	} `json:"Mounts"`
}

func parseInspect(out []byte, info Info) (Info, error) {
	var all []inspectJSON
	if err := json.Unmarshal(out, &all); err != nil {
		return info, fmt.Errorf("parse inspect output: %w", err)
	}
	if len(all) == 0 {
		return info, fmt.Errorf("parse inspect output: no container %s", info.ID)
	}
	c := all[0]
	info.Name = strings.TrimPrefix(c.Name, "/")
	info.Image = c.ImageName
	if info.Image == "" {
		info.Image = c.Config.Image
	}
	info.ImageID = c.Image
	info.Privileged = c.HostConfig.Privileged
	info.Created = c.Created
	info.Labels = c.Config.Labels
	for _, mt := range c.Mounts {
		info.Mounts = append(info.Mounts, Mount(mt))
	}
	return info, nil
}

// sinsp container types (libsinsp container_type).
const (
	typeDocker     = 0
	typeLXC        = 1
	typeContainerd = 7
	typeCRIO       = 8
	typePodman     = 11
)

// JSON returns the container as the JSON payload of scap's container event
// (PPME_CONTAINER_JSON_2_E), in libsinsp's layout.
func (i Info) JSON() []byte {
	typ := typeDocker
	switch i.Runtime {
	case "podman":
		typ = typePodman
	case "containerd":
		typ = typeContainerd
	case "cri-o":
		typ = typeCRIO
	case "lxc":
		typ = typeLXC
	}
	repo, tag := splitImage(i.Image)
	type mount struct {
		Source      string
		Destination string
		Mode        string
		RW          bool
		Propagation string
	}
	mounts := []mount{}
	for _, m := range i.Mounts {
		mounts = append(mounts, mount(m))
	}
	labels := i.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	id := i.ID
	if len(id) > 12 {
		id = id[:12]
	}
	v := map[string]any{"container": map[string]any{
		"id":         id,
		"full_id":    i.ID,
		"type":       typ,
		"name":       i.Name,
		"image":      i.Image,
		"imageid":    i.ImageID,
		"imagerepo":  repo,
		"imagetag":   tag,
		"privileged": i.Privileged,
		"Mounts":     mounts,
		"labels":     labels,
	}}
	if !i.Created.IsZero() {
		// libsinsp's container.start_ts comes from created_time (seconds).
		v["container"].(map[string]any)["created_time"] = i.Created.Unix()
	}
	b, _ := json.Marshal(v)
	return b
}

// splitImage splits "registry/repo:tag" into repo and tag.
func splitImage(image string) (repo, tag string) {
	repo = image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo, tag = image[:i], image[i+1:]
	}
	return repo, tag
}
