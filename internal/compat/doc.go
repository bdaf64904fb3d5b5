// Package compat reads docs/COMPATIBILITY.md, the list of known differences
// between retrace and its judges (sysdig 0.29.3, current Falco, Falco 0.32),
// so that tests tolerate only differences that are written down.
package compat
