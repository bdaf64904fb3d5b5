package compat

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Entry is one known difference.
type Entry struct {
	ID         string
	Judge      string
	Area       string
	Difference string
	Line       int
}

// Judges accepted in the judge column.
var judges = map[string]bool{"sysdig-0.29.3": true, "falco": true, "falco-0.32": true}

// Parse reads the differences table of a COMPATIBILITY.md file.
func Parse(path string) (map[string]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]Entry{}
	sc := bufio.NewScanner(f)
	inTable := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "| id |") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 4 {
			return nil, fmt.Errorf("%s:%d: want 4 cells, got %d", path, n, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		e := Entry{ID: strings.Trim(cells[0], "`"), Judge: strings.Trim(cells[1], "`"), Area: cells[2],
			Difference: strings.Join(cells[3:], "|"), Line: n}
		if !judges[e.Judge] {
			return nil, fmt.Errorf("%s:%d: unknown judge %q", path, n, e.Judge)
		}
		if _, dup := out[e.ID]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate id %q", path, n, e.ID)
		}
		out[e.ID] = e
	}
	return out, sc.Err()
}

// DocPath returns the path of the repository's docs/COMPATIBILITY.md.
func DocPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "COMPATIBILITY.md")
}

// Known returns the entry with id from the repository's COMPATIBILITY.md, or
// an error when no such row exists. Tests call it before tolerating a
// difference, so every tolerated difference is documented.
func Known(id string) (Entry, error) {
	all, err := Parse(DocPath())
	if err != nil {
		return Entry{}, err
	}
	e, ok := all[id]
	if !ok {
		return Entry{}, fmt.Errorf("difference %q is not listed in docs/COMPATIBILITY.md", id)
	}
	return e, nil
}
