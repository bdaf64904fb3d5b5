//go:build linux && amd64

package record

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestAttackRecordings checks that the committed recordings of
// testdata/attacks (made by `make traces`) hold the events their scenario
// is about. It needs no root: it only reads the files.
func TestAttackRecordings(t *testing.T) {
	dir := filepath.Join("..", "testdata", "attacks")
	inContainer := func(e event) bool {
		_, ok := container.MatchCgroups(e.params["cgroups"])
		return ok
	}
	tests := []struct {
		file  string
		check func(t *testing.T, c *captured)
	}{
		{"shadow-read-host.scap.zst", func(t *testing.T, c *captured) {
			cat := c.execOf(t, "cat", "/etc/shadow")
			if inContainer(cat) {
				t.Error("host cat runs in a container")
			}
			if len(c.find("openat", true, func(e event) bool { return e.tid == cat.tid && e.str("name") == "/etc/shadow" && e.int("fd") >= 0 })) != 1 {
				t.Error("no open of /etc/shadow")
			}
		}},
		{"shadow-read-container.scap.zst", func(t *testing.T, c *captured) {
			cat := c.execOf(t, "cat", "/etc/shadow")
			if !inContainer(cat) {
				t.Error("cat does not run in a container")
			}
			if len(c.find("openat", true, func(e event) bool { return e.tid == cat.tid && e.str("name") == "/etc/shadow" && e.int("fd") >= 0 })) != 1 {
				t.Error("no open of /etc/shadow")
			}
			if len(c.find("container", true, nil)) == 0 {
				t.Error("no container event")
			}
		}},
		{"container-terminal-shell.scap.zst", func(t *testing.T, c *captured) {
			sh := c.execOf(t, "sh", "-c", "id; ls /; tty")
			if !inContainer(sh) || sh.uint("tty") == 0 {
				t.Errorf("shell: in container %v, tty %d; want a container shell with a tty", inContainer(sh), sh.uint("tty"))
			}
		}},
		{"write-below-bin.scap.zst", func(t *testing.T, c *captured) {
			if len(c.find("openat", true, func(e event) bool {
				return e.str("name") == "/bin/retrace-attack-dropped" && e.uint("flags")&ppmOWronly != 0 && e.int("fd") >= 0
			})) == 0 {
				t.Error("no write-open below /bin")
			}
		}},
		{"reverse-shell.scap.zst", func(t *testing.T, c *captured) {
			conns := c.find("connect", true, func(e event) bool {
				tu := e.params["tuple"]
				return e.int("res") == 0 && len(tu) == 13 && tu[0] == 2 && tu[11] == 44444&0xff && tu[12] == 44444>>8
			})
			if len(conns) == 0 {
				t.Fatal("no connect to 127.0.0.1:44444")
			}
			c.execOf(t, "sh", "-i")
			c.execOf(t, "id")
		}},
		{"drop-and-exec-container.scap.zst", func(t *testing.T, c *captured) {
			e := c.execOf(t, "dropped", "id")
			const upperLayer = 1 << 1
			if !inContainer(e) || e.uint("flags")&upperLayer == 0 {
				t.Errorf("dropped: in container %v, flags %#x; want the upper-layer flag", inContainer(e), e.uint("flags"))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".scap.zst"), func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("recording missing (make traces): %v", err)
			}
			tc.check(t, readCapture(t, path))
			sysdigReads(t, path)
		})
	}
}

// sysdigReads checks that real sysdig 0.29.3 reads the whole recording
// (zstd -d, then sysdig -r), when both are installed.
func sysdigReads(t *testing.T, path string) {
	t.Helper()
	sysdig, ok1 := testutil.OptionalTool(t, "sysdig")
	zstd, ok2 := testutil.OptionalTool(t, "zstd")
	if !ok1 || !ok2 {
		return
	}
	plain := filepath.Join(t.TempDir(), "plain.scap")
	if out, err := exec.Command(zstd, "-q", "-d", path, "-o", plain).CombinedOutput(); err != nil {
		t.Fatalf("zstd -d %s: %v\n%s", path, err, out)
	}
	out, err := exec.Command(sysdig, "-r", plain, "-p", "%evt.num").CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig -r %s: %v\n%s", path, err, lastLines(out, 3))
	}
	if n := strings.Count(string(out), "\n"); n == 0 {
		t.Errorf("sysdig -r %s printed no events", path)
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
