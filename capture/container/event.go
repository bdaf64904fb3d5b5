package container

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/retrace-dev/retrace/capture/scap"
)

// eventJSON is the "container" object of a container JSON event, with
// libsinsp's keys (sinsp_container_manager::container_to_json). Pointers
// tell a missing value from a zero one where libsinsp does.
type eventJSON struct {
	ID           string            `json:"id"`
	FullID       string            `json:"full_id,omitempty"`
	Type         *uint32           `json:"type"`
	Name         string            `json:"name"`
	Image        string            `json:"image"`
	ImageID      string            `json:"imageid"`
	ImageRepo    string            `json:"imagerepo"`
	ImageTag     string            `json:"imagetag"`
	ImageDigest  string            `json:"imagedigest"`
	Privileged   *bool             `json:"privileged,omitempty"`
	CreatedTime  int64             `json:"created_time,omitempty"`
	IP           string            `json:"ip,omitempty"`
	IsPodSandbox bool              `json:"is_pod_sandbox,omitempty"`
	Labels       map[string]string `json:"labels"`
	Mounts       []eventMount      `json:"Mounts"`
}

// eventMount is one element of the event's "Mounts" array.
type eventMount struct {
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

// AppendJSON appends the payload of the container's JSON event to dst:
// {"container":{...}} with libsinsp's keys, without the terminating NUL.
// The id is written short and the full id beside it; "privileged" is left
// out when unknown, "created_time", "ip" and "is_pod_sandbox" when zero.
func (c *Info) AppendJSON(dst []byte) []byte {
	typ := uint32(c.Type)
	v := eventJSON{
		ID: ShortID(c.ID), FullID: c.FullID, Type: &typ, Name: c.Name,
		Image: c.Image, ImageID: c.ImageID, ImageRepo: c.ImageRepo, ImageTag: c.ImageTag, ImageDigest: c.ImageDigest,
		CreatedTime: c.CreatedTime, IP: c.IP, IsPodSandbox: c.IsPodSandbox,
		Labels: c.Labels, Mounts: make([]eventMount, len(c.Mounts)),
	}
	if v.FullID == "" && v.ID != c.ID {
		v.FullID = c.ID
	}
	if c.PrivilegedKnown {
		v.Privileged = &c.Privileged
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	for i, m := range c.Mounts {
		v.Mounts[i] = eventMount{Source: m.Source, Destination: m.Dest, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation}
	}
	b, err := json.Marshal(struct {
		Container *eventJSON `json:"container"`
	}{&v})
	if err != nil {
		// Only strings, numbers, bools and a string map: never fails.
		panic(fmt.Sprintf("container: marshal event JSON: %v", err))
	}
	return append(dst, b...)
}

// AppendEvent appends the container's JSON event, PPME_CONTAINER_JSON_2_E
// at ts with thread id -1, as libsinsp writes it, to dst.
func (c *Info) AppendEvent(dst []byte, ts uint64) []byte {
	payload := append(c.AppendJSON(nil), 0)
	return scap.AppendEvent(dst, ts, -1, scap.ContainerJsonV2E, payload)
}

// ParseJSON parses the payload of a container JSON event
// ({"container":{...}}, NUL-terminated or not), as libsinsp's container
// manager and [Info.AppendJSON] write it. A missing "type" is docker's, a
// missing "privileged" unknown; no labels are a nil map.
func ParseJSON(b []byte) (*Info, error) {
	if n := len(b); n > 0 && b[n-1] == 0 {
		b = b[:n-1]
	}
	var doc struct {
		Container *eventJSON `json:"container"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse container json: %w", err)
	}
	c := doc.Container
	if c == nil {
		return nil, errors.New(`parse container json: no "container" object`)
	}
	if c.ID == "" {
		return nil, errors.New("parse container json: no container id")
	}
	info := &Info{
		ID: c.ID, FullID: c.FullID, Name: c.Name, Image: c.Image, ImageID: c.ImageID,
		ImageRepo: c.ImageRepo, ImageTag: c.ImageTag, ImageDigest: c.ImageDigest,
		CreatedTime: c.CreatedTime, IP: c.IP, IsPodSandbox: c.IsPodSandbox,
		Type: TypeDocker,
	}
	if len(c.Labels) > 0 {
		info.Labels = c.Labels
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
	info.Finish()
	return info, nil
}

// FromEvent returns the container a container event describes: the JSON
// of PPME_CONTAINER_JSON_E and PPME_CONTAINER_JSON_2_E, or the id, type,
// name and image parameters of the older PPME_CONTAINER_E. ok is false for
// other events and for container events without an id or with bad JSON.
func FromEvent(ev *scap.Event) (info *Info, ok bool) {
	switch ev.Type() {
	case scap.ContainerE:
		id := scap.TrimNUL(ev.Param(0))
		if len(id) == 0 {
			return nil, false
		}
		typ, _ := ev.ParamUint64(1)
		info = &Info{ID: string(id), Type: Type(typ),
			Name: string(scap.TrimNUL(ev.Param(2))), Image: string(scap.TrimNUL(ev.Param(3)))}
		info.Finish()
		return info, true
	case scap.ContainerJsonE, scap.ContainerJsonV2E:
		info, err := ParseJSON(ev.Param(0))
		return info, err == nil
	}
	return nil, false
}
