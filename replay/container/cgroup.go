package container

import "bytes"

// Type is a container runtime, numbered as libsinsp's sinsp_container_type.
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

var typeNames = map[Type]string{
	TypeDocker: "docker", TypeLXC: "lxc", TypeLibvirtLXC: "libvirt-lxc", TypeMesos: "mesos",
	TypeRkt: "rkt", TypeCustom: "custom", TypeCRI: "cri", TypeContainerd: "containerd",
	TypeCRIO: "cri-o", TypeBPM: "bpm", TypeStatic: "static", TypePodman: "podman", TypeHost: "host",
}

// String returns the name container.type prints ("docker", "cri-o", "host").
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "unknown"
}

// layout is one way a runtime spells a container id inside a cgroup path:
// the id follows the last occurrence of prefix and ends at the last
// occurrence of suffix (or at the end of the path when suffix is empty).
type layout struct {
	prefix, suffix string
	typ            Type
}

// layouts are tried in order; the first that yields a valid id wins.
var layouts = []layout{
	{"/docker-", ".scope", TypeDocker},
	{"/crio-", ".scope", TypeCRIO},
	{"/crio-", "", TypeCRIO},
	{"/cri-containerd-", ".scope", TypeContainerd},
	{":cri-containerd:", "", TypeContainerd},
	{"/nerdctl-", ".scope", TypeContainerd},
	{"/libpod-", ".scope/container", TypePodman},
	{"/libpod-", ".scope", TypePodman},
	{"/libpod-payload-", "", TypePodman},
	{"/libpod-", "", TypePodman},
}

// IDFromCgroups returns the container id (12 hex digits for runtimes with
// 64-hex ids) and runtime for a thread's cgroups: NUL-separated
// "subsystem=path" entries as found in execve/clone events and the process
// list ("N:controllers:path" lines of /proc/PID/cgroup are accepted too).
// ok is false for host threads.
func IDFromCgroups(cgroups []byte) (id string, typ Type, ok bool) {
	for len(cgroups) > 0 {
		var entry []byte
		if i := bytes.IndexByte(cgroups, 0); i >= 0 {
			entry, cgroups = cgroups[:i], cgroups[i+1:]
		} else {
			entry, cgroups = cgroups, nil
		}
		// "subsys=/path" (scap) or "N:controllers:/path" (/proc/PID/cgroup).
		slash := bytes.IndexByte(entry, '/')
		if slash < 0 {
			continue
		}
		if id, typ, ok := idFromPath(entry[slash:]); ok {
			return id, typ, true
		}
	}
	return "", TypeHost, false
}

// idFromPath matches one cgroup path.
func idFromPath(p []byte) (string, Type, bool) {
	if len(p) <= 1 {
		return "", TypeHost, false
	}
	for _, l := range layouts {
		i := bytes.LastIndex(p, []byte(l.prefix))
		if i < 0 {
			continue
		}
		rest := p[i+len(l.prefix):]
		if l.suffix != "" {
			j := bytes.LastIndex(rest, []byte(l.suffix))
			if j < 0 || j+len(l.suffix) != len(rest) {
				continue
			}
			rest = rest[:j]
		}
		if isHex64(rest) {
			return string(rest[:12]), l.typ, true
		}
	}
	// libvirt-lxc: /libvirt/lxc/<name> or machine-lxc\x2d<n>\x2d<name>.scope
	if i := bytes.Index(p, []byte("/libvirt/lxc/")); i >= 0 {
		name := p[i+len("/libvirt/lxc/"):]
		if j := bytes.IndexByte(name, '/'); j >= 0 {
			name = name[:j]
		}
		if len(name) > 0 {
			return string(name), TypeLibvirtLXC, true
		}
	}
	// lxc: /lxc/<name>, /lxc.payload/<name>, /lxc.payload.<name>
	for _, pre := range []string{"/lxc/", "/lxc.payload/", "/lxc.payload."} {
		if i := bytes.Index(p, []byte(pre)); i >= 0 {
			name := p[i+len(pre):]
			if j := bytes.IndexByte(name, '/'); j >= 0 {
				name = name[:j]
			}
			if len(name) > 0 {
				return string(name), TypeLXC, true
			}
		}
	}
	// docker / cri / containerd without systemd: the id is the last path
	// element (/docker/<id>, /kubepods/.../<id>, /default/<id>, rootless
	// podman .../podman-<pid>.scope/<id>).
	last := p
	if i := bytes.LastIndexByte(p, '/'); i >= 0 {
		last = p[i+1:]
	}
	if isHex64(last) {
		typ := TypeDocker
		switch {
		case bytes.Contains(p, []byte("/kubepods")):
			typ = TypeCRI
		case bytes.Contains(p, []byte("/libpod")) || bytes.Contains(p, []byte("/podman-")) || bytes.Contains(p, []byte("/user.slice/")):
			typ = TypePodman
		case bytes.HasPrefix(p, []byte("/default/")):
			typ = TypeContainerd
		}
		return string(last[:12]), typ, true
	}
	return "", TypeHost, false
}

// isHex64 reports whether b is exactly 64 hexadecimal digits.
func isHex64(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
