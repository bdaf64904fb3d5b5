package container

import "strings"

// layout is a (prefix, suffix) pair around a container id in a cgroup path.
type layout struct {
	prefix, suffix string
	runtime        string
}

// layouts are the cgroup path patterns of container runtimes, most
// specific first (see reference SCAP.md §6).
var layouts = []layout{
	{"/libpod-", ".scope/container", "podman"},
	{"/libpod-", ".scope", "podman"},
	{"/libpod-payload-", "", "podman"},
	{"/libpod-", "", "podman"},
	{"/docker-", ".scope", "docker"},
	{"/cri-containerd-", ".scope", "containerd"},
	{":cri-containerd:", "", "containerd"},
	{"/crio-", ".scope", "cri-o"},
	{"/crio-", "", "cri-o"},
	{"/nerdctl-", ".scope", "containerd"},
	{"/docker/", "", "docker"},
	{"/lxc.payload.", "", "lxc"},
	{"/lxc.payload/", "", "lxc"},
	{"/lxc/", "", "lxc"},
	{"/", "", "docker"},
}

// Match is a container found in a thread's cgroups.
type Match struct {
	// ID is the full id (64 hex digits for most runtimes).
	ID string
	// Runtime is the runtime the path pattern belongs to; "docker" also
	// stands for any runtime using plain /<id> paths.
	Runtime string
}

// ShortID returns the first 12 characters of the id, as Falco prints it.
func (m Match) ShortID() string {
	if len(m.ID) > 12 {
		return m.ID[:12]
	}
	return m.ID
}

// FromCgroups returns the container of a thread with these cgroups
// ("subsys=path" entries, or bare paths), ok false for the host.
func FromCgroups(cgroups []string) (Match, bool) {
	for _, cg := range cgroups {
		path := cg
		if _, p, ok := strings.Cut(cg, "="); ok {
			path = p
		}
		if m, ok := fromPath(path); ok {
			return m, true
		}
	}
	return Match{}, false
}

func fromPath(path string) (Match, bool) {
	for _, l := range layouts {
		i := strings.LastIndex(path, l.prefix)
		if i < 0 {
			continue
		}
		rest := path[i+len(l.prefix):]
		if l.suffix != "" {
			j := strings.LastIndex(rest, l.suffix)
			if j < 0 {
				continue
			}
			rest = rest[:j]
		}
		if isHexID(rest) {
			return Match{ID: strings.ToLower(rest), Runtime: l.runtime}, true
		}
	}
	return Match{}, false
}

func isHexID(s string) bool {
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
