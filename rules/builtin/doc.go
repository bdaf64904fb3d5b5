// Package builtin holds retrace's default rule set: rules written for
// retrace in Falco's rule language, embedded in the binary and loaded by
// `retrace replay` when no -r is given. They cover the steps of common
// intrusions as they appear in a syscall capture: interactive and reverse
// shells, reads of credentials and other sensitive files, changes below
// binary directories, log tampering, dropped-and-executed binaries,
// privilege and namespace changes, kernel module loading and package
// managers in containers.
//
// The rules are data (the *.yaml files of this directory); [Files] returns
// them in load order for rules.LoadFiles.
package builtin
