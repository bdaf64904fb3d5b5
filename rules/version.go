package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a semantic version, as rules files state engine and plugin
// requirements.
type Version struct {
	Major, Minor, Patch uint64
}

// String returns "x.y.z".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// CompatibleWith reports whether something at version v satisfies a
// requirement for version req: same major version, and not older.
func (v Version) CompatibleWith(req Version) bool {
	return v.Major == req.Major && !v.Less(req)
}

// ParseVersion parses "x.y.z", ignoring a "-pre" or "+build" suffix.
func ParseVersion(s string) (Version, error) {
	core := s
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("parse version %q: want x.y.z", s)
	}
	var n [3]uint64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return Version{}, fmt.Errorf("parse version %q: %w", s, err)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// EngineVersion returns the version of Falco's rule engine whose language
// retrace implements. Files that require a newer engine are refused; the
// upstream files require at most 0.57.0 (the stable, incubating and sandbox
// files) or an old integer version (9, 13, 17 for the 0.32, 0.33 and 1.0.1
// files; integer N means 0.N.0).
func EngineVersion() Version { return Version{0, 57, 0} }

// Plugin is a plugin retrace stands in for: its fields are built in.
type Plugin struct {
	Name    string
	Version Version
}

// ProvidedPlugins returns the plugins whose fields retrace provides
// itself. Falco's stable rules require the container plugin (>= 0.4.0),
// which defines the container.* fields; retrace reads those from the
// capture and satisfies the requirement with its built-in container fields.
func ProvidedPlugins() []Plugin {
	return []Plugin{{Name: "container", Version: Version{0, 4, 0}}}
}

// PluginRequirement is one entry of a required_plugin_versions item: a
// plugin and the alternatives that also satisfy it.
type PluginRequirement struct {
	Pos          Position
	Alternatives []PluginVersion // the first is the named plugin itself
	Satisfied    bool            // some alternative is provided at a compatible version
}

// PluginVersion names a plugin and the minimum version a file requires.
type PluginVersion struct {
	Name    string
	Version Version
}

// satisfiedBy reports whether one of the provided plugins meets the requirement.
func (r *PluginRequirement) satisfiedBy(provided []Plugin) bool {
	for _, alt := range r.Alternatives {
		for _, p := range provided {
			if p.Name == alt.Name && p.Version.CompatibleWith(alt.Version) {
				return true
			}
		}
	}
	return false
}
