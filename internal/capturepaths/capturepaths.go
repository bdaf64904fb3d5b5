// Package capturepaths expands the capture arguments of retrace's commands:
// files as given, directories into the capture files they hold (following
// symlinks, as Kubernetes mounts and hand-made links need, with loop
// protection), shell patterns, and lists of paths in a file or on stdin.
package capturepaths

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Suffixes are the file names a directory argument contributes.
var Suffixes = []string{".scap", ".scap.gz", ".scap.zst"}

// Stdin is the argument that reads a list of paths from standard input.
const Stdin = "-"

// ListPrefix starts an argument naming a list file: "@hosts.txt" reads
// the paths listed in hosts.txt (write "./@x" for a file named "@x").
const ListPrefix = "@"

// Expand returns the capture files named by args, in order, each once:
//
//   - a file as given;
//   - a directory: its files ending in one of [Suffixes] (regular files,
//     or symlinks to them), in directory order; a directory without any is
//     an error naming it, as is a symlink that loops;
//   - a pattern ('*', '?', '[…]', '{a,b}', and '**' for any depth) that
//     names no existing file: the paths it matches, each as if typed; a
//     pattern that matches nothing is an error naming it;
//   - "@FILE": the paths listed in FILE, one a line (blank lines and lines
//     starting with '#' are skipped), each a file, directory or pattern;
//   - "-": the same list read from stdin (once).
//
// Errors name the argument, and for lists the list and the line.
func Expand(args []string, stdin io.Reader) ([]string, error) {
	e := expander{stdin: stdin, seen: map[string]bool{}}
	for _, a := range args {
		var err error
		switch {
		case a == Stdin:
			err = e.stdinList()
		case strings.HasPrefix(a, ListPrefix) && len(a) > len(ListPrefix):
			err = e.listFile(a[len(ListPrefix):])
		default:
			err = e.path(a)
		}
		if err != nil {
			return nil, err
		}
	}
	return e.out, nil
}

// expander accumulates the files of one Expand call.
type expander struct {
	stdin     io.Reader
	stdinRead bool
	seen      map[string]bool
	out       []string
}

func (e *expander) add(path string) {
	key := filepath.Clean(path)
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	e.out = append(e.out, path)
}

func (e *expander) stdinList() error {
	if e.stdin == nil {
		return errors.New("read capture list from stdin: no stdin")
	}
	if e.stdinRead {
		return errors.New(`read capture list from stdin: "-" given twice`)
	}
	e.stdinRead = true
	return e.list("stdin", e.stdin)
}

func (e *expander) listFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("read capture list: %w", err)
	}
	defer f.Close()
	return e.list(name, f)
}

// list reads one path a line from r (named name in errors).
func (e *expander) list(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line, paths := 0, 0
	for sc.Scan() {
		line++
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		paths++
		if err := e.path(p); err != nil {
			return fmt.Errorf("capture list %s line %d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read capture list %s line %d: %w", name, line+1, err)
	}
	if paths == 0 {
		return fmt.Errorf("read capture list %s: no path in it", name)
	}
	return nil
}

// path expands one file, directory or pattern.
func (e *expander) path(a string) error {
	st, err := os.Stat(a)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && IsPattern(a) {
			return e.pattern(a)
		}
		return fmt.Errorf("open capture: %w", err)
	}
	if !st.IsDir() {
		e.add(a)
		return nil
	}
	return e.dir(a)
}

// pattern adds the paths the shell pattern a matches.
func (e *expander) pattern(a string) error {
	if !doublestar.ValidatePathPattern(filepath.ToSlash(a)) {
		return fmt.Errorf("capture pattern %q: malformed", a)
	}
	matches, err := doublestar.FilepathGlob(a)
	if err != nil {
		return fmt.Errorf("capture pattern %q: %w", a, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("capture pattern %q matches no file", a)
	}
	for _, m := range matches {
		if err := e.path(m); err != nil {
			return err
		}
	}
	return nil
}

// dir adds the capture files of directory a.
func (e *expander) dir(a string) error {
	entries, err := os.ReadDir(a)
	if err != nil {
		return fmt.Errorf("read capture directory: %w", err)
	}
	found := false
	for _, ent := range entries {
		if !hasSuffix(ent.Name()) {
			continue
		}
		path := filepath.Join(a, ent.Name())
		if ent.Type()&os.ModeSymlink != 0 {
			// os.Stat follows the link; a loop fails with ELOOP.
			st, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("read capture directory %s: %w", a, err)
			}
			if st.Mode().IsRegular() {
				e.add(path)
				found = true
			}
			continue
		}
		if ent.Type().IsRegular() {
			e.add(path)
			found = true
		}
	}
	if !found {
		return fmt.Errorf("read capture directory %s: no .scap, .scap.gz or .scap.zst files", a)
	}
	return nil
}

// IsPattern reports whether a holds a shell pattern's special characters.
func IsPattern(a string) bool { return strings.ContainsAny(a, "*?[{") }

func hasSuffix(name string) bool {
	for _, suf := range Suffixes {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// Names reports whether the argument a names captures for [Expand]: an
// existing file or directory, "-", "@" and an existing list file, or a
// pattern that matches a path. Commands whose captures are followed by
// other words (a filter) use it to find where the captures end.
func Names(a string) bool {
	if a == Stdin {
		return true
	}
	if _, err := os.Stat(a); err == nil {
		return true
	}
	if name, ok := strings.CutPrefix(a, ListPrefix); ok && name != "" {
		st, err := os.Stat(name)
		return err == nil && st.Mode().IsRegular()
	}
	if !IsPattern(a) || !doublestar.ValidatePathPattern(filepath.ToSlash(a)) {
		return false
	}
	m, err := doublestar.FilepathGlob(a)
	return err == nil && len(m) > 0
}
