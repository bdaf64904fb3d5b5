package replay

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestLineageIsShell checks which images count as shells.
func TestLineageIsShell(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Lineage
		want bool
	}{
		{"bash", Lineage{Comm: "bash", Exe: "bash", ExePath: "/usr/bin/bash", Cmdline: "bash -i"}, true},
		{"login shell", Lineage{Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cmdline: "bash"}, true},
		{"busybox applet by argv[0]", Lineage{Comm: "sh", Exe: "sh", ExePath: "/bin/busybox", Cmdline: "sh -c id"}, true},
		{"busybox running its sh applet", Lineage{Comm: "busybox", Exe: "busybox", ExePath: "/bin/busybox", Cmdline: "busybox sh -i"}, true},
		{"busybox re-executing itself as exe", Lineage{Comm: "exe", Exe: "/proc/self/exe", ExePath: "/bin/busybox", Cmdline: "exe ash"}, true},
		{"renamed copy", Lineage{Comm: "kworker", Exe: "bash", ExePath: "/tmp/kworker", Cmdline: "kworker -p"}, true},
		{"busybox nc", Lineage{Comm: "busybox", Exe: "busybox", ExePath: "/bin/busybox", Cmdline: "busybox nc -l -p 4444"}, false},
		{"runc re-executing itself", Lineage{Comm: "exe", Exe: "/usr/bin/runc", ExePath: "/usr/sbin/runc", Cmdline: "exe init"}, false},
		{"cat", Lineage{Comm: "cat", Exe: "cat", ExePath: "/usr/bin/cat", Cmdline: "cat /etc/shadow"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.IsShell(); got != tc.want {
				t.Errorf("IsShell() = %v, want %v", got, tc.want)
			}
		})
	}
}

// chainText renders a chain as "name[pid]/origin < ...".
func chainText(l *Lineage) string {
	var parts []string
	for _, a := range l.Chain(0) {
		parts = append(parts, a.Comm+"["+strconv.FormatInt(a.Pid, 10)+"]/"+a.Origin.String())
	}
	return strings.Join(parts, " < ")
}

// TestLineageChains checks the creation chains of a recorded attack:
// exited ancestors stay in the chain, forks and execs are told apart, and
// the container shell's chain joins runc, conmon and podman on the host.
func TestLineageChains(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "container-terminal-shell.scap.zst")
	chains := map[int64]string{}
	_, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
		if info := e.Ev.Info(); info != nil && info.Dir == 'X' && e.Ev.TypeName() == "execve" && e.Thread != nil {
			chains[e.Thread.Pid] = chainText(e.Lineage())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pid  int64
		want string // the chain's start
	}{
		{9605, "podman[9605]/exec < script[9604]/exec < bash[9602]/exec < retrace[9578]/snapshot"},
		{9652, "sh[9652]/exec < runc:[0:PARENT][9651]/fork < runc[9650]/exec < runc[9640]/exec < conmon[9639]/fork < " +
			"conmon[9634]/exec < podman[9605]/exec < script[9604]/exec < bash[9602]/exec"},
	} {
		if got := chains[tc.pid]; !strings.HasPrefix(got, tc.want) {
			t.Errorf("chain of %d:\n got %s\nwant %s ...", tc.pid, got, tc.want)
		}
	}
}
