//go:build linux && amd64

package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/rules"
)

// uffdChildEnv makes the test binary drop to uid and gid 65534 and create a
// userfaultfd (user-mode faults only, which unprivileged users may do even
// with vm.unprivileged_userfaultfd = 0), printing its fd.
const uffdChildEnv = "RETRACE_TEST_UFFD_CHILD"

const uffdUserModeOnly = 1 // UFFD_USER_MODE_ONLY

func uffdChild() {
	if err := unix.Setresgid(65534, 65534, 65534); err != nil {
		fmt.Fprintln(os.Stderr, "setresgid:", err)
		os.Exit(1)
	}
	if err := unix.Setresuid(65534, 65534, 65534); err != nil {
		fmt.Fprintln(os.Stderr, "setresuid:", err)
		os.Exit(1)
	}
	fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|uffdUserModeOnly, 0, 0)
	if e != 0 {
		fmt.Fprintln(os.Stderr, "userfaultfd:", e)
		os.Exit(1)
	}
	fmt.Println(fd)
	os.Exit(0)
}

// TestRecordUserfaultfd records an unprivileged userfaultfd and replays the
// capture with the upstream sandbox rules: "Unprivileged Delegation of Page
// Faults Handling to a Userspace Process" must fire on it.
func TestRecordUserfaultfd(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-rules")
	t.Setenv(uffdChildEnv, "1")
	c := recordRun(t, Options{OnlyCommand: true}, os.Args[0], "-test.run=^$")
	evs := c.find("userfaultfd", true, func(e event) bool { return e.int("res") >= 0 })
	if len(evs) != 1 {
		t.Fatalf("%d successful userfaultfd exits, want 1", len(evs))
	}
	if f := evs[0].uint("flags"); f != unix.O_CLOEXEC|uffdUserModeOnly {
		t.Errorf("userfaultfd flags %#x, want %#x", f, unix.O_CLOEXEC|uffdUserModeOnly)
	}

	const rule = "Unprivileged Delegation of Page Faults Handling to a Userspace Process"
	rs, err := rules.Load([]string{filepath.Join(dir, "falco_rules.yaml"), filepath.Join(dir, "falco-sandbox_rules.yaml")},
		rules.Options{Fields: replay.NewFieldRegistry(), EventTypes: scap.EventTypeIndex{}})
	if err != nil {
		t.Fatal(err)
	}
	ruleset, err := rs.Ruleset(engine.Selection{}, engine.MatchAll)
	if err != nil {
		t.Fatal(err)
	}
	fired := 0
	_, err = replay.ReplayFile(context.Background(), c.path, replay.Options{}, func(e *replay.Event) error {
		for _, r := range ruleset.Match(e) {
			if r.Name == rule {
				fired++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fired != 1 {
		t.Errorf("%q fired %d times, want 1", rule, fired)
	}
}
