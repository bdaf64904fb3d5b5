package hostsnap

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/retrace-dev/retrace/capture/container"
)

// Containers returns the containers the processes under proc (empty:
// /proc) run in, once each, as their cgroups name them.
func Containers(proc string) []container.Match {
	if proc == "" {
		proc = "/proc"
	}
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []container.Match
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cg := readCgroups(filepath.Join(proc, e.Name(), "cgroup"))
		m, ok := container.MatchCgroups([]byte(strings.Join(cg, "\x00")))
		if ok && !seen[m.FullID] {
			seen[m.FullID] = true
			out = append(out, m)
		}
	}
	return out
}
