//go:build linux && amd64

package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// PPM_EXE_* bits of the execve exit's flags parameter.
const (
	ppmExeWritable   = 1 << 0
	ppmExeUpperLayer = 1 << 1
	ppmExeFromMemfd  = 1 << 2
)

// TestRecordExeWritable runs copies of true with different owners and modes
// as root and as nobody (with and without a supplementary group), and checks
// the PPM_EXE_WRITABLE bit of each execve exit.
func TestRecordExeWritable(t *testing.T) {
	needBPF(t)
	setpriv := testutil.NeedTool(t, "setpriv")
	src, err := os.ReadFile("/usr/bin/true")
	if err != nil {
		testutil.SkipMissing(t, "no /usr/bin/true to copy: %v", err)
	}
	dir, err := os.MkdirTemp("", "retrace-exew-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const nobody, nogroup, extra = 65534, 65534, 4242
	asNobody := []string{setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups"}
	asNobodyExtra := []string{setpriv, "--reuid", "65534", "--regid", "65534", "--groups", "4242"}
	tests := []struct {
		name     string
		uid, gid int
		mode     os.FileMode
		runAs    []string
		writable bool
	}{
		{"root-owned run by root", 0, 0, 0o555, nil, true},
		{"root-owned run by nobody", 0, 0, 0o755, asNobody, false},
		{"other-writable run by nobody", 0, 0, 0o757, asNobody, true},
		{"group-writable, nobody's group", 0, nogroup, 0o775, asNobody, true},
		{"group-writable, other group", 0, extra, 0o775, asNobody, false},
		{"group-writable, supplementary group", 0, extra, 0o775, asNobodyExtra, true},
		{"owned by nobody, read-only mode", nobody, nogroup, 0o555, asNobody, true},
	}
	var script []string
	for i, tc := range tests {
		p := filepath.Join(dir, "true"+string(rune('a'+i)))
		if err := os.WriteFile(p, src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, tc.uid, tc.gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		script = append(script, strings.Join(append(append([]string(nil), tc.runAs...), p, tc.name[:4]), " "))
	}
	c := recordRun(t, Options{}, "/bin/sh", "-c", strings.Join(script, "; "))
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := c.execOf(t, "true"+string(rune('a'+i)), tc.name[:4])
			f := e.uint("flags")
			if got := f&ppmExeWritable != 0; got != tc.writable {
				t.Errorf("exe writable = %v (flags %#x), want %v", got, f, tc.writable)
			}
			if f&(ppmExeUpperLayer|ppmExeFromMemfd) != 0 {
				t.Errorf("flags %#x: upper-layer or memfd bit set for a file in %s", f, dir)
			}
		})
	}
}
