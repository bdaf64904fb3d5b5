package container

import "github.com/retrace-dev/retrace/internal/glob"

// Glob reports whether name matches the shell pattern as fnmatch(3)
// without flags does (libsinsp's glob_match, which looks mounts up by
// pattern); see glob.Match.
func Glob(pattern, name string) bool {
	return glob.Match(pattern, name, false)
}
