// Package clobber keeps retrace's commands from overwriting what they
// read: an output file that is one of the command's inputs (the same
// file, whether named by the same path, another path, a symlink or a
// hard link) is refused before anything is written, with a message that
// names both.
package clobber
