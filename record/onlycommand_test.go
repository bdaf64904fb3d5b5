//go:build linux && amd64

package record

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
)

// TestRecordOnlyCommand records, with --only-command, a command whose
// processes create grandchildren, an orphan and a podman container, while
// a host process and another container keep running programs of their
// own: every written event must come from a task created in the capture
// (the command's creation descendants), the grandchildren, the orphan and
// the container's process must be there, the others not, and the
// snapshot must list only the recorder.
func TestRecordOnlyCommand(t *testing.T) {
	podman := ensureImage(t)
	// Unrelated activity, started before the recording: a host loop and a
	// container loop, each running a program every 50 ms.
	host := exec.Command("/bin/sh", "-c", "while :; do cat /proc/version >/dev/null; sleep 0.05; done")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Process.Kill(); host.Wait() })
	other := fmt.Sprintf("retrace-only-other-%d", os.Getpid())
	out, err := exec.Command(podman, "--runtime", "runc", "run", "-d", "--name", other,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", testImage,
		"/bin/sh", "-c", "while :; do cat /etc/passwd >/dev/null; sleep 0.05; done").CombinedOutput()
	if err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(podman, "rm", "-f", "-t", "0", other).Run() })
	otherID := strings.TrimSpace(string(out))
	time.Sleep(200 * time.Millisecond)

	script := `sh -c 'cat /etc/hostname >/dev/null'; (sleep 0.3 &); ` +
		podman + ` --runtime runc run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 ` + testImage + ` /bin/cat /etc/shadow >/dev/null; sleep 0.4`
	c := recordRun(t, Options{OnlyCommand: true}, "/bin/sh", "-c", script)

	c.execOf(t, "cat", "/etc/hostname") // a grandchild
	c.execOf(t, "sleep", "0.3")         // an orphan
	cat := c.execOf(t, "cat", "/etc/shadow")
	if m, ok := container.MatchCgroups(cat.params["cgroups"]); !ok || m.FullID == otherID {
		t.Errorf("the command's container cat: cgroups %q, want a container of its own", cat.list("cgroups"))
	}
	created := map[int64]bool{}
	leaks := map[string]int{}
	for _, e := range c.events {
		if e.tid < 0 {
			continue
		}
		switch e.typ {
		case scap.SyscallCloneV20X, scap.SyscallClone3X, scap.SyscallForkV20X, scap.SyscallVforkV20X:
			if e.int("res") == 0 {
				created[e.tid] = true
			}
		}
		if !created[e.tid] {
			leaks[fmt.Sprintf("%s of tid %d", e.name, e.tid)]++
		}
		if e.name == "execve" && e.int("res") == 0 {
			args := strings.Join(e.list("args"), " ")
			if args == "/proc/version" || args == "/etc/passwd" || strings.HasPrefix(args, "inspect ") || strings.HasPrefix(args, "events ") {
				t.Errorf("execve of %s %s (not the command's) recorded", e.str("exe"), args)
			}
		}
	}
	if len(leaks) > 0 {
		t.Errorf("events of tasks not created by the command's tree: %v", leaks)
	}
	for _, p := range c.header.Processes {
		if p.PID != uint64(os.Getpid()) {
			t.Errorf("snapshot lists process %d (%s); want only the recorder %d", p.PID, p.Comm, os.Getpid())
			break
		}
	}
	if len(c.header.Processes) == 0 {
		t.Error("snapshot lists no process; want the recorder")
	}
	if evs := c.containerEvents(t); len(evs[otherID]) > 0 {
		t.Errorf("container event for the unrelated container %s", otherID[:12])
	}
}
