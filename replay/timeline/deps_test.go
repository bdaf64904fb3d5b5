package timeline_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestBinaryLacksGopacket checks that the retrace binary does not link
// gopacket: its layers package puts 5 MB of pointer-bearing arrays in .bss,
// which the garbage collector scans on every cycle of every command. The
// tests may use it, to decode WritePcap's output.
func TestBinaryLacksGopacket(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		testutil.SkipMissing(t, "the go tool is not in PATH, so the binary's dependencies cannot be listed")
	}
	cmd := exec.Command(goTool, "list", "-deps", "github.com/retrace-dev/retrace/cmd/retrace")
	cmd.Dir = testutil.RepoRoot()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/google/gopacket") {
			t.Errorf("cmd/retrace depends on %s", pkg)
		}
	}
}
