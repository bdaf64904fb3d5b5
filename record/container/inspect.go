package container

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	model "github.com/retrace-dev/retrace/capture/container"
)

// ErrNoRuntime is returned by [Inspect] for a container retrace cannot
// ask about: its runtime has no CLI retrace reads (anything but podman and
// docker) and no bundle of it is in containerd's or cri-o's state
// directory, or its CLI is not installed.
var ErrNoRuntime = errors.New("container runtime CLI not found")

// InspectError is a failed runtime lookup: the command, how it failed and
// what it wrote on its standard error.
type InspectError struct {
	// Runtime is the CLI that was run ("podman", "docker"), ID the
	// container id it was asked about.
	Runtime, ID string
	// Stderr is what the CLI wrote on its standard error, trimmed.
	Stderr string
	Err    error
}

func (e *InspectError) Error() string {
	msg := fmt.Sprintf("%s inspect %s: %v", e.Runtime, model.ShortID(e.ID), e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *InspectError) Unwrap() error { return e.Err }

// NotFound reports whether the runtime said it has no such container: it
// was removed (or not yet created), and asking again will not help once
// it is gone.
func (e *InspectError) NotFound() bool {
	s := strings.ToLower(e.Stderr)
	return strings.Contains(s, "no such container") || strings.Contains(s, "no such object")
}

// inspectTimeout bounds one run of a runtime's CLI.
const inspectTimeout = 10 * time.Second

// Inspect is [Runtimes.Inspect] with the default state directories.
func Inspect(ctx context.Context, m model.Match) (*model.Info, error) {
	return Runtimes{}.Inspect(ctx, m)
}

// Inspect reads a container's metadata. A container of a docker, CRI,
// containerd or cri-o cgroup layout is first looked for as an OCI bundle
// in containerd's or cri-o's state directory ([Runtimes.ReadBundle]: no
// daemon is asked; docker's own containerd namespace, moby, is left to
// docker); podman's and docker's are asked through their CLI (podman
// inspect, docker inspect: same output shape). The result has the match's
// id and type whatever happens (the bundle's runtime type when one was
// found); the error is ErrNoRuntime, a [*BundleError] or an
// [*InspectError]. Safe for concurrent use.
func (r Runtimes) Inspect(ctx context.Context, m model.Match) (*model.Info, error) {
	info := &model.Info{ID: m.ID, FullID: m.FullID, Type: m.Type}
	var cli string
	switch m.Type {
	case model.TypePodman:
		cli = "podman"
	case model.TypeDocker, model.TypeCRI, model.TypeContainerd, model.TypeCRIO:
		b, ok, err := r.ReadBundle(m.FullID, "moby")
		if ok {
			if err != nil {
				return info, err
			}
			b.ID = m.ID
			return b, nil
		}
		if m.Type != model.TypeDocker {
			return info, ErrNoRuntime
		}
		cli = "docker"
	default:
		return info, ErrNoRuntime
	}
	path, err := exec.LookPath(cli)
	if err != nil {
		return info, ErrNoRuntime
	}
	ctx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "inspect", "--type", "container", m.FullID)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return info, &InspectError{Runtime: cli, ID: m.FullID, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	if err := parseInspect(out, info); err != nil {
		return info, &InspectError{Runtime: cli, ID: m.FullID, Err: err}
	}
	return info, nil
}

// inspectJSON is the part of podman/docker inspect output retrace reads.
type inspectJSON struct {
	ID          string    `json:"Id"`
	Name        string    `json:"Name"`
	Image       string    `json:"Image"`
	ImageName   string    `json:"ImageName"`
	ImageDigest string    `json:"ImageDigest"`
	Created     time.Time `json:"Created"`
	Config      struct {
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

// parseInspect fills info from inspect's output: the image is podman's
// ImageName (docker: Config.Image), split by [model.ParseImage]; the
// digest is the runtime's image digest when it reports one (podman),
// else the reference's.
func parseInspect(out []byte, info *model.Info) error {
	var all []inspectJSON
	if err := json.Unmarshal(out, &all); err != nil {
		return fmt.Errorf("parse inspect output: %w", err)
	}
	if len(all) == 0 {
		return fmt.Errorf("parse inspect output: no container %s", info.ID)
	}
	c := all[0]
	info.Name = strings.TrimPrefix(c.Name, "/")
	info.Image = c.ImageName
	if info.Image == "" {
		info.Image = c.Config.Image
	}
	ref := model.ParseImage(info.Image)
	info.ImageRepo, info.ImageTag, info.ImageDigest = ref.Repository, ref.Tag, ref.Digest
	if c.ImageDigest != "" {
		info.ImageDigest = c.ImageDigest
	}
	info.ImageID = strings.TrimPrefix(c.Image, "sha256:")
	info.Privileged, info.PrivilegedKnown = c.HostConfig.Privileged, true
	if !c.Created.IsZero() {
		info.CreatedTime = c.Created.Unix()
	}
	info.Labels = c.Config.Labels
	info.Mounts = nil
	for _, mt := range c.Mounts {
		info.Mounts = append(info.Mounts, model.Mount{Source: mt.Source, Dest: mt.Destination, Mode: mt.Mode, RW: mt.RW, Propagation: mt.Propagation})
	}
	info.Finish()
	return nil
}
