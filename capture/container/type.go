package container

// Type is a container runtime, numbered as libsinsp's sinsp_container_type:
// the "type" of the container JSON event.
type Type uint8

// Container types, with libsinsp's numbering (CT_DOCKER = 0 ...).
const (
	TypeDocker     Type = 0
	TypeLXC        Type = 1
	TypeLibvirtLXC Type = 2
	TypeMesos      Type = 3
	TypeRkt        Type = 4
	TypeCustom     Type = 5
	TypeCRI        Type = 6
	TypeContainerd Type = 7
	TypeCRIO       Type = 8
	TypeBPM        Type = 9
	TypeStatic     Type = 10
	TypePodman     Type = 11
	// TypeHost is not a container: the thread runs on the host.
	TypeHost Type = 255
)

// typeNames are the names container.type prints, indexed by Type.
var typeNames = [...]string{
	TypeDocker: "docker", TypeLXC: "lxc", TypeLibvirtLXC: "libvirt-lxc", TypeMesos: "mesos",
	TypeRkt: "rkt", TypeCustom: "custom", TypeCRI: "cri", TypeContainerd: "containerd",
	TypeCRIO: "cri-o", TypeBPM: "bpm", TypeStatic: "static", TypePodman: "podman",
}

// String returns the name container.type prints ("docker", "cri-o", "host").
func (t Type) String() string {
	if t == TypeHost {
		return "host"
	}
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType returns the Type a name from [Type.String] stands for ("crio"
// is accepted for cri-o); ok is false for other names.
func ParseType(name string) (t Type, ok bool) {
	switch name {
	case "host":
		return TypeHost, true
	case "crio":
		return TypeCRIO, true
	}
	for i, n := range typeNames {
		if n == name {
			return Type(i), true
		}
	}
	return TypeDocker, false
}
