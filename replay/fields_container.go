package replay

import (
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/engine"
)

// ctr wraps an extractor that needs the container of a containerized
// thread; host threads and unknown containers give a missing value.
func ctr(f func(e *Event, c *container.Info, d []engine.Value) []engine.Value) extractFn {
	return thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
		if t.ContainerID == "" {
			return d
		}
		c, ok := e.state.Containers.Get(t.ContainerID)
		if !ok {
			return d
		}
		return f(e, c, d)
	})
}

// ctrString is a container string attribute; empty means missing.
func ctrString(get func(c *container.Info) string) extractFn {
	return ctr(func(e *Event, c *container.Info, d []engine.Value) []engine.Value {
		if s := get(c); s != "" {
			return str(d, sb(s))
		}
		return d
	})
}

// containerFields returns the container.* and k8s.* fields.
func containerFields() []def {
	mountField := func(name, desc string, byDest bool, get func(m *container.Mount) string) def {
		return def{name: name, typ: engine.TypeString, arg: engine.ArgRequired, syntax: engine.ArgIndex | engine.ArgKey, desc: desc,
			bind: func(arg engine.Arg) (engine.Binding, error) {
				idx, pat := arg.Index, arg.Text
				return engine.Binding{Type: engine.TypeString, Extractor: fn(ctr(func(e *Event, c *container.Info, d []engine.Value) []engine.Value {
					var m *container.Mount
					switch {
					case idx >= 0:
						if idx < len(c.Mounts) {
							m = &c.Mounts[idx]
						}
					case byDest:
						m, _ = c.MountByDest(pat)
					default:
						m, _ = c.MountBySource(pat)
					}
					if m == nil {
						return d
					}
					return str(d, sb(get(m)))
				}))}, nil
			}}
	}
	label := func(key string) extractFn {
		return ctrString(func(c *container.Info) string { return c.Labels[key] })
	}
	return []def{
		{name: "container.id", typ: engine.TypeString, desc: "Container id (12 hex digits), or host for processes outside containers.",
			ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return str(d, sb(containerIDOf(t))) })},
		{name: "container.full_id", typ: engine.TypeString, desc: "Full container id, or host.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ContainerID == "" {
				return str(d, sb("host"))
			}
			if c, ok := e.state.Containers.Get(t.ContainerID); ok && c.FullID != "" {
				return str(d, sb(c.FullID))
			}
			return str(d, sb(t.ContainerID))
		})},
		{name: "container.name", typ: engine.TypeString, desc: "Container name, or host.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ContainerID == "" {
				return str(d, sb("host"))
			}
			if c, ok := e.state.Containers.Get(t.ContainerID); ok && c.Name != "" {
				return str(d, sb(c.Name))
			}
			return d
		})},
		{name: "container.image", typ: engine.TypeString, desc: "Container image name, e.g. nginx:latest.", ex: ctrString(func(c *container.Info) string { return c.Image })},
		{name: "container.image.id", typ: engine.TypeString, desc: "Container image id.", ex: ctrString(func(c *container.Info) string { return c.ImageID })},
		{name: "container.image.repository", typ: engine.TypeString, desc: "Repository of the container image.", ex: ctrString(func(c *container.Info) string { return c.ImageRepo })},
		{name: "container.image.tag", typ: engine.TypeString, desc: "Tag of the container image.", ex: ctrString(func(c *container.Info) string { return c.ImageTag })},
		{name: "container.image.digest", typ: engine.TypeString, desc: "Digest of the container image.", ex: ctrString(func(c *container.Info) string { return c.ImageDigest })},
		{name: "container.type", typ: engine.TypeString, desc: "Container runtime: docker, cri, containerd, cri-o, podman, lxc..., or host.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ContainerID == "" {
				return str(d, sb("host"))
			}
			if c, ok := e.state.Containers.Get(t.ContainerID); ok {
				return str(d, sb(c.Type.String()))
			}
			return d
		})},
		{name: "container.privileged", typ: engine.TypeBool, desc: "True for containers running privileged (docker-compatible runtimes only).", ex: ctr(func(e *Event, c *container.Info, d []engine.Value) []engine.Value {
			if !c.PrivilegedKnown || !c.DockerCompatible() {
				return d
			}
			return boolean(d, c.Privileged)
		})},
		{name: "container.mounts", typ: engine.TypeString, desc: "Mounts of the container as source:dest:mode:rw:propagation, comma-separated.",
			ex: ctr(func(e *Event, c *container.Info, d []engine.Value) []engine.Value { return str(d, sb(c.MountsText)) })},
		mountField("container.mount", "One mount of the container, by index or source pattern.", false, func(m *container.Mount) string { return m.String() }),
		mountField("container.mount.source", "Source of a mount, by index or destination pattern.", true, func(m *container.Mount) string { return m.Source }),
		mountField("container.mount.dest", "Destination of a mount, by index or source pattern.", false, func(m *container.Mount) string { return m.Dest }),
		mountField("container.mount.mode", "Mode of a mount, by index or source pattern.", false, func(m *container.Mount) string { return m.Mode }),
		mountField("container.mount.rdwr", "Read-write flag of a mount, by index or source pattern.", false, func(m *container.Mount) string {
			if m.RW {
				return "true"
			}
			return "false"
		}),
		mountField("container.mount.propagation", "Propagation of a mount, by index or source pattern.", false, func(m *container.Mount) string { return m.Propagation }),
		{name: "container.start_ts", typ: engine.TypeAbsTime, desc: "Container creation time, ns since the epoch.", ex: ctr(func(e *Event, c *container.Info, d []engine.Value) []engine.Value {
			if c.CreatedTime <= 0 {
				return d
			}
			return num(d, uint64(c.CreatedTime)*1e9)
		})},
		{name: "container.duration", typ: engine.TypeRelTime, desc: "Nanoseconds since the container was created.", ex: ctr(func(e *Event, c *container.Info, d []engine.Value) []engine.Value {
			start := uint64(c.CreatedTime) * 1e9
			if c.CreatedTime <= 0 || e.Ev.Ts() < start {
				return d
			}
			return num(d, e.Ev.Ts()-start)
		})},
		{name: "container.ip", typ: engine.TypeString, desc: "IP address of the container.", ex: ctrString(func(c *container.Info) string { return c.IP })},
		{name: "container.info", typ: engine.TypeString, desc: "Container name and id as 'name (id=ID)', as Falco 0.32 expanded %container.info.",
			bind: func(engine.Arg) (engine.Binding, error) {
				var buf []byte
				return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
					name := "<NA>"
					if t.ContainerID == "" {
						name = "host"
					} else if c, ok := e.state.Containers.Get(t.ContainerID); ok && c.Name != "" {
						name = c.Name
					}
					buf = append(append(append(append(buf[:0], name...), " (id="...), containerIDOf(t)...), ')')
					return str(d, buf)
				}))}, nil
			}},
		{name: "k8s.pod.name", typ: engine.TypeString, desc: "Kubernetes pod name, from the container's io.kubernetes.pod.name label.", ex: label("io.kubernetes.pod.name")},
		{name: "k8s.ns.name", typ: engine.TypeString, desc: "Kubernetes namespace, from the container's io.kubernetes.pod.namespace label.", ex: label("io.kubernetes.pod.namespace")},
		{name: "k8s.pod.uid", typ: engine.TypeString, desc: "Kubernetes pod uid, from the container's io.kubernetes.pod.uid label.", ex: label("io.kubernetes.pod.uid")},
		{name: "k8s.pod.id", typ: engine.TypeString, desc: "Kubernetes pod uid (legacy name).", ex: label("io.kubernetes.pod.uid")},
		{name: "k8s.pod.label", typ: engine.TypeString, arg: engine.ArgRequired, syntax: engine.ArgKey | engine.ArgDotted, desc: "A label of the container's pod, when the runtime copied it to the container.",
			bind: func(arg engine.Arg) (engine.Binding, error) {
				return engine.Binding{Type: engine.TypeString, Extractor: fn(label(arg.Text))}, nil
			}},
	}
}
