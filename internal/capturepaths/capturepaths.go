// Package capturepaths expands the capture arguments of retrace's commands:
// files as given, directories into the capture files they hold, following
// symlinks (Kubernetes mounts and hand-made links) with loop protection.
package capturepaths

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Suffixes are the file names a directory argument contributes.
var Suffixes = []string{".scap", ".scap.gz", ".scap.zst"}

// Expand returns the capture files named by args: a file as given, a
// directory's files ending in one of [Suffixes] (regular files, or
// symlinks to them), in directory order. A directory without any is an
// error naming it, as is a symlink that loops.
func Expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("open capture: %w", err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("read capture directory: %w", err)
		}
		n := len(out)
		for _, e := range entries {
			if !hasSuffix(e.Name()) {
				continue
			}
			path := filepath.Join(a, e.Name())
			if e.Type()&os.ModeSymlink != 0 {
				// os.Stat follows the link; a loop fails with ELOOP.
				st, err := os.Stat(path)
				if err != nil {
					return nil, fmt.Errorf("read capture directory %s: %w", a, err)
				}
				if st.Mode().IsRegular() {
					out = append(out, path)
				}
				continue
			}
			if e.Type().IsRegular() {
				out = append(out, path)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("read capture directory %s: no .scap, .scap.gz or .scap.zst files", a)
		}
	}
	return out, nil
}

func hasSuffix(name string) bool {
	for _, suf := range Suffixes {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}
