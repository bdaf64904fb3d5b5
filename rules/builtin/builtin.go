package builtin

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/retrace-dev/retrace/rules"
)

//go:embed *.yaml
var files embed.FS

// Files returns the built-in rules files in load order (by name), with
// names prefixed "builtin/" so that diagnostics point at them.
func Files() ([]rules.File, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("read built-in rules: %w", err)
	}
	out := make([]rules.File, 0, len(entries))
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("read built-in rules: %w", err)
		}
		out = append(out, rules.File{Name: path.Join("builtin", e.Name()), Data: data})
	}
	slices.SortFunc(out, func(a, b rules.File) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}
