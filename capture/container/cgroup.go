package container

import (
	"strings"
	"unsafe"
)

// Match is the container a thread's cgroups name.
type Match struct {
	// ID is the id libsinsp gives the container: the first 12 characters
	// of a 64-hex-digit runtime id, the first 12 characters of a short id
	// in containerd's default namespace, or the name (lxc, libvirt-lxc,
	// bpm).
	ID string
	// FullID is the whole id as the cgroup path spells it (64 hex digits
	// for docker, podman, containerd and cri-o); the runtime knows the
	// container by it.
	FullID string
	// Type is the runtime whose cgroup layout matched.
	Type Type
}

// MatchCgroups returns the container of a thread with these cgroups, ok
// false for a host thread. cgroups holds NUL-separated entries, each
// "subsystem=/path" (scap's cgroups parameter and process list) or
// "N:controllers:/path" (a line of /proc/PID/cgroup).
//
// The layouts are libsinsp's, tried engine by engine in the order libsinsp
// creates its engines (podman, docker, CRI, lxc, libvirt-lxc, bpm), each
// engine over all entries, so that, as in libsinsp, an engine earlier in
// the order wins whichever entry names it:
//
//   - podman: .../libpod-<id>.scope[/container][/...], .../libpod-<id>
//     (cgroupfs, e.g. /libpod_parent/libpod-<id>), the same with
//     libpod-payload-<id> (cgroup mode split); then the rootless layouts
//     .../podman-<pid>.scope/<id> and /user.slice/user-<uid>.slice/.../<id>
//     (libsinsp reads these from the live name=systemd cgroup, which a
//     capture does not have, so they are tried on every entry);
//   - docker: .../<id> (this also takes kubepods' cgroupfs paths
//     /kubepods/<qos>/pod<uid>/<id> and containerd's /default/<id>, as
//     libsinsp's docker engine comes first) and .../docker-<id>.scope;
//   - CRI: .../crio-<id>[.scope] (cri-o), .../cri-containerd-<id>.scope,
//     ...:cri-containerd:<id> and .../nerdctl-<id>.scope (containerd);
//   - lxc: /lxc/<name>, /lxc.payload/<name>, /lxc.payload.<name>;
//   - libvirt-lxc: .../<name>.libvirt-lxc,
//     machine-lxc\x2d<n>\x2d<name>.scope[/libvirt] (its legacy
//     /libvirt/lxc/<name> is taken by lxc's /lxc/ first, as in libsinsp);
//   - bpm: bpm-<id>[.scope].
//
// An id between a layout's prefix and suffix must be 64 hex digits, except
// under /default/ (containerd's default namespace) where any id of 1 to 64
// characters counts unless the path ends in .service, .slice or .scope
// (systemd units). libsinsp's mesos and rkt engines need the process's
// environment, not its cgroups, and are not matched.
func MatchCgroups(cgroups []byte) (Match, bool) {
	if len(cgroups) == 0 {
		return Match{}, false
	}
	// A read-only view: nothing below keeps a substring of it (results are
	// cloned), so the caller's buffer may be reused afterwards.
	s := unsafe.String(unsafe.SliceData(cgroups), len(cgroups))
	for _, e := range engines {
		for rest := s; rest != ""; {
			var entry string
			entry, rest, _ = strings.Cut(rest, "\x00")
			slash := strings.IndexByte(entry, '/')
			if slash < 0 {
				continue
			}
			if m, ok := e(entry[slash:]); ok {
				m.ID, m.FullID = strings.Clone(m.ID), strings.Clone(m.FullID)
				return m, true
			}
		}
	}
	return Match{}, false
}

// IDFromCgroups returns the id and type of [MatchCgroups]' container, for
// callers that need no more.
func IDFromCgroups(cgroups []byte) (id string, typ Type, ok bool) {
	m, ok := MatchCgroups(cgroups)
	if !ok {
		return "", TypeHost, false
	}
	return m.ID, m.Type, true
}

// engine matches one cgroup path for one runtime.
type engine func(path string) (Match, bool)

// engines are tried in libsinsp's engine order.
var engines = []engine{
	layoutEngine(podmanLayouts), matchRootlessPodman,
	layoutEngine(dockerLayouts),
	layoutEngine(criLayouts),
	matchLXC, matchLibvirtLXC, matchBPM,
}

// layout is a prefix and suffix around a container id in a cgroup path, and
// the runtime it stands for (libsinsp's CRI engine serves cri-o and
// containerd, told apart by the prefix).
type layout struct {
	prefix, suffix string
	typ            Type
}

var (
	podmanLayouts = []layout{
		{"/libpod-", ".scope", TypePodman},
		{"/libpod-", ".scope/container", TypePodman},
		{"/libpod-", "", TypePodman},
		{"/libpod-payload-", ".scope", TypePodman},
		{"/libpod-payload-", ".scope/container", TypePodman},
		{"/libpod-payload-", "", TypePodman},
	}
	dockerLayouts = []layout{
		{"/", "", TypeDocker},
		{"/docker-", ".scope", TypeDocker},
	}
	criLayouts = []layout{
		{"/crio-", "", TypeCRIO},
		{"/cri-containerd-", ".scope", TypeContainerd},
		{"/crio-", ".scope", TypeCRIO},
		{":cri-containerd:", "", TypeContainerd},
		{"/nerdctl-", ".scope", TypeContainerd},
	}
)

// layoutEngine matches path against layouts in order.
func layoutEngine(layouts []layout) engine {
	return func(path string) (Match, bool) {
		for _, l := range layouts {
			if id, full, ok := matchLayout(path, l.prefix, l.suffix); ok {
				return Match{ID: id, FullID: full, Type: l.typ}, true
			}
		}
		return Match{}, false
	}
}

// matchLayout finds an id between the last prefix and the last suffix of
// path (the end of the path for an empty suffix). A 64-hex-digit id is
// reported by its first 12 digits; under /default/ a shorter id of any
// characters is too, by at most 12 of them, unless the path is a systemd
// unit.
func matchLayout(path, prefix, suffix string) (id, full string, ok bool) {
	start := strings.LastIndex(path, prefix)
	if start < 0 {
		return "", "", false
	}
	start += len(prefix)
	end := strings.LastIndex(path, suffix)
	if end < start {
		return "", "", false
	}
	full = path[start:end]
	switch {
	case isHex64(full):
		return full[:12], full, true
	case len(full) == 0 || len(full) > 64:
		return "", "", false
	case strings.HasPrefix(path, "/default/") && !strings.HasSuffix(path, ".service") &&
		!strings.HasSuffix(path, ".slice") && !strings.HasSuffix(path, ".scope"):
		return full[:min(len(full), 12)], full, true
	}
	return "", "", false
}

// matchRootlessPodman matches the layouts of rootless podman:
// .../podman-<pid>.scope/<id> and /user.slice/user-<uid>.slice/.../<id>
// (podman run as a user service, where nothing else names podman).
func matchRootlessPodman(path string) (Match, bool) {
	if i := strings.Index(path, "podman-"); i >= 0 {
		rest := path[i+len("podman-"):]
		digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
		if digits == 0 || !strings.HasPrefix(rest[digits:], ".scope/") || len(rest) == digits+len(".scope/") {
			return Match{}, false
		}
		if id, full, ok := matchLayout(path, ".scope/", ""); ok {
			return Match{ID: id, FullID: full, Type: TypePodman}, true
		}
		return Match{}, false
	}
	rest, ok := strings.CutPrefix(path, "/user.slice/user-")
	if !ok {
		return Match{}, false
	}
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	if digits == 0 || !strings.HasPrefix(rest[digits:], ".slice/") {
		return Match{}, false
	}
	if id, full, ok := matchLayout(path, "/", ""); ok {
		return Match{ID: id, FullID: full, Type: TypePodman}, true
	}
	return Match{}, false
}

// lxcLayouts are the prefixes before an lxc container's name.
var lxcLayouts = []string{"/lxc/", "/lxc.payload/", "/lxc.payload."}

// matchLXC matches lxc's layouts: the name runs from the first prefix to
// the next '/'.
func matchLXC(path string) (Match, bool) {
	for _, pre := range lxcLayouts {
		i := strings.Index(path, pre)
		if i < 0 {
			continue
		}
		name, _, _ := strings.Cut(path[i+len(pre):], "/")
		if name == "" {
			return Match{}, false // libsinsp's empty id is the host
		}
		return Match{ID: name, FullID: name, Type: TypeLXC}, true
	}
	return Match{}, false
}

// matchLibvirtLXC matches libvirt-lxc's layouts: .../<name>.libvirt-lxc
// (without systemd) and machine-lxc\x2d<n>\x2d<name>.scope[/libvirt]
// (systemd; the id is what follows "-lxc\x2d"). Its legacy layout
// /libvirt/lxc/<name> is lxc's: libsinsp tries the lxc engine first.
func matchLibvirtLXC(path string) (Match, bool) {
	found := func(name string) (Match, bool) {
		if name == "" {
			return Match{}, false
		}
		return Match{ID: name, FullID: name, Type: TypeLibvirtLXC}, true
	}
	if i := strings.Index(path, ".libvirt-lxc"); i >= 0 && i == len(path)-len(".libvirt-lxc") {
		return found(path[strings.LastIndexByte(path, '/')+1 : i])
	}
	if i := strings.Index(path, `-lxc\x2`); i >= 0 {
		delim := ".scope"
		if strings.Contains(path, ".scope/libvirt") {
			delim = ".scope/libvirt"
		}
		// The id starts after "-lxc\x2d": one character past the pattern.
		start := i + len(`-lxc\x2`) + 1
		if j := strings.Index(path, delim); j >= start && j == len(path)-len(delim) {
			return found(path[start:j])
		}
	}
	return Match{}, false
}

// matchBPM matches Cloud Foundry BPM's bpm-<id>[.scope], whose ids are
// letters, digits, '.', '_' and '-'.
func matchBPM(path string) (Match, bool) {
	i := strings.Index(path, "bpm-")
	if i < 0 {
		return Match{}, false
	}
	id := path[i+len("bpm-"):]
	if j := strings.Index(id, ".scope"); j >= 0 {
		id = id[:j]
	}
	if id == "" || strings.TrimLeft(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return Match{}, false
	}
	return Match{ID: id, FullID: id, Type: TypeBPM}, true
}

// isHex64 reports whether s is exactly 64 hexadecimal digits.
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ShortID returns the id libsinsp knows a container by: the first 12
// digits of a 64-hex-digit runtime id, any other id (already short, or a
// name) unchanged.
func ShortID(id string) string {
	if isHex64(id) {
		return id[:12]
	}
	return id
}
