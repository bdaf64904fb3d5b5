package clobber

import (
	"fmt"
	"os"
	"path/filepath"
)

// Path is a file a command reads or writes, with what it is to the
// command ("capture", "rules file", "--out"), for messages.
type Path struct {
	Role string
	Name string
}

// Error reports an output that is one of the command's inputs, or that
// another output also names.
type Error struct {
	Output Path
	// Input is the input (or, when Outputs is true, the earlier output)
	// that Output resolves to.
	Input Path
	// Outputs is true when Input is another output of the same command.
	Outputs bool
}

func (e *Error) Error() string {
	how := "the same file"
	if filepath.Clean(e.Output.Name) != filepath.Clean(e.Input.Name) {
		how = "the same file, through a symlink or hard link"
	}
	if e.Outputs {
		return fmt.Sprintf("%s %s and %s %s are %s: name two different files",
			e.Output.Role, e.Output.Name, e.Input.Role, e.Input.Name, how)
	}
	return fmt.Sprintf("%s %s is the %s %s (%s): refusing to overwrite an input; write the output elsewhere",
		e.Output.Role, e.Output.Name, e.Input.Role, e.Input.Name, how)
}

// Check returns an *[Error] for the first output that is one of inputs
// or one of the outputs before it. Files are compared by identity
// ([os.SameFile], following symlinks) when both exist, and by cleaned
// path otherwise, so an output that does not exist yet is never an input
// that does. Empty names are ignored; an input that cannot be read is left
// to the command to report when it opens it.
func Check(outputs, inputs []Path) error {
	type known struct {
		p  Path
		st os.FileInfo // nil when it cannot be read
	}
	stat := func(p Path) known {
		st, err := os.Stat(p.Name)
		if err != nil {
			st = nil
		}
		return known{p, st}
	}
	same := func(a, b known) bool {
		if a.st != nil && b.st != nil {
			return os.SameFile(a.st, b.st)
		}
		return filepath.Clean(a.p.Name) == filepath.Clean(b.p.Name)
	}
	var ins []known
	for _, in := range inputs {
		if in.Name != "" {
			ins = append(ins, stat(in))
		}
	}
	var outs []known
	for _, o := range outputs {
		if o.Name == "" {
			continue
		}
		out := stat(o)
		for _, in := range ins {
			if same(out, in) {
				return &Error{Output: o, Input: in.p}
			}
		}
		for _, prev := range outs {
			if same(out, prev) {
				return &Error{Output: o, Input: prev.p, Outputs: true}
			}
		}
		outs = append(outs, out)
	}
	return nil
}

// Paths returns a Path of role for each name.
func Paths(role string, names ...string) []Path {
	ps := make([]Path, 0, len(names))
	for _, n := range names {
		ps = append(ps, Path{Role: role, Name: n})
	}
	return ps
}
