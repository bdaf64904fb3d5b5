// Package glob matches names against shell patterns the way fnmatch(3)
// does, which is how libsinsp evaluates Falco's glob and iglob operators
// and looks container mounts up by pattern.
package glob
