package container

import "encoding/json"

// metadataJSON is the container record of retrace's capture metadata (the
// RTCT frames and the "containers" of the metadata frames, docs/FORMAT.md).
type metadataJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name,omitempty"`
	Image      string            `json:"image,omitempty"`
	ImageID    string            `json:"image_id,omitempty"`
	Runtime    string            `json:"runtime,omitempty"`
	Privileged bool              `json:"privileged,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// MarshalJSON encodes the container as a record of retrace's capture
// metadata: id (the full id when known), name, image, image_id, runtime
// (the [Type]'s name), privileged and labels. The container JSON event has
// another layout: see [Info.AppendJSON].
func (c Info) MarshalJSON() ([]byte, error) {
	id := c.FullID
	if id == "" {
		id = c.ID
	}
	return json.Marshal(metadataJSON{
		ID: id, Name: c.Name, Image: c.Image, ImageID: c.ImageID,
		Runtime: c.Type.String(), Privileged: c.Privileged, Labels: c.Labels,
	})
}

// UnmarshalJSON decodes a record of retrace's capture metadata, as
// written: a missing or unknown runtime is docker's. Nothing is derived
// (short id, image parts); the recorder always knows whether a container
// is privileged, so readers may take Privileged as known.
func (c *Info) UnmarshalJSON(b []byte) error {
	var m metadataJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	typ, _ := ParseType(m.Runtime)
	if typ == TypeHost {
		typ = TypeDocker
	}
	*c = Info{ID: m.ID, Type: typ, Name: m.Name, Image: m.Image, ImageID: m.ImageID,
		Privileged: m.Privileged, Labels: m.Labels}
	return nil
}
