package capture_test

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// Facts about sysdig 0.29.3 the cross-check relies on, each backed by a row
// of docs/COMPATIBILITY.md.
const (
	// sysdig029MaxType: 0.29.3 knows event codes below this (its table ends
	// with clone3, 334/335); it skips higher codes without numbering them.
	sysdig029MaxType = 336
)

// sysdig029Names maps retrace's evt.type to the name sysdig 0.29.3 prints
// for the same event (COMPATIBILITY.md row CAPTURE-NAMES-029).
var sysdig029Names = map[string]string{
	"rt_sigreturn": "sigreturn",
	"scapevent":    "sysdigevent",
	"unknown":      "<unknown>",
}

// isContainerEvent reports the container metadata events. sysdig 0.29.3
// (libsinsp) consumes those at the start of a capture, before the first
// other event, while it opens the file, and never prints them
// (COMPATIBILITY.md row CAPTURE-HIDDEN-029). procinfo events are internal;
// the comparison drops them on both sides.
func isContainerEvent(t scap.Type) bool {
	switch t {
	case scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E:
		return true
	}
	return false
}

// eachNumbered calls fn for every event of the capture at path that
// sysdig 0.29.3 numbers, with the number its %evt.num prints: it skips
// event codes it does not know without numbering them.
func eachNumbered(t *testing.T, path string, fn func(num int, ev *scap.Event, r *capture.Reader)) {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	num := 0
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if ev.Type() >= sysdig029MaxType {
			continue
		}
		num++
		fn(num, ev, r)
	}
}

// eventLines renders every event of a capture the way the sysdig format
// '%evt.num %evt.type %evt.dir %thread.tid %evt.cpu %evt.rawtime' does.
func eventLines(t *testing.T, path string) []string {
	t.Helper()
	var lines []string
	leading := true
	eachNumbered(t, path, func(num int, ev *scap.Event, r *capture.Reader) {
		if leading && isContainerEvent(ev.Type()) {
			return
		}
		leading = false
		if ev.Type() == scap.ProcinfoE {
			return
		}
		name := ev.TypeName()
		if n, ok := sysdig029Names[name]; ok {
			name = n
		}
		if scap.IsGeneric(ev.Type()) && len(ev.Param(0)) == 2 && ev.Param(0)[0] == 0 && ev.Param(0)[1] == 0 {
			// An ID of 0: retrace names it by its nativeID, sysdig
			// 0.29.3 cannot (SCAP-GENERIC-UNKNOWN-029).
			name = "<unknown>"
		}
		dir := ">"
		if ev.Info().Dir == 'X' {
			dir = "<"
		}
		lines = append(lines, fmt.Sprintf("%d %s %s %d %d %d", num, name, dir, ev.Tid(), r.CPU(), ev.Ts()))
	})
	return lines
}

func needCompat(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := compat.Known(id); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSysdigEvents checks, for every shared capture, that the reader yields
// the same events as sysdig 0.29.3: number, type, direction, thread, CPU and
// timestamp of each.
func TestSysdigEvents(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	needCompat(t, "CAPTURE-NAMES-029", "CAPTURE-HIDDEN-029", "SCAP-UNKNOWN-029", "SCAP-GENERIC-UNKNOWN-029")
	for _, path := range testutil.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			got := eventLines(t, path)
			var want []string
			for _, l := range testutil.SysdigLines(t, path, "-D", "-p", "%evt.num %evt.type %evt.dir %thread.tid %evt.cpu %evt.rawtime") {
				// -D adds sysdig's own log lines (they start with a date) and procinfo.
				if f := strings.Fields(l); len(f) == 6 && f[1] != "procinfo" {
					want = append(want, l)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events differ from sysdig (-sysdig +retrace):\n%s", diff)
			}
		})
	}
}

// TestSysdigOpenNames checks the file names of open events against
// sysdig's %evt.arg.name for absolute paths (relative ones sysdig resolves
// against the thread's cwd, which needs replay's state).
func TestSysdigOpenNames(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	for _, path := range testutil.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			got := map[string]string{}
			eachNumbered(t, path, func(num int, ev *scap.Event, _ *capture.Reader) {
				switch ev.TypeName() {
				case "open", "openat", "openat2", "creat":
				default:
					return
				}
				if p, ok := ev.ParamByName("name"); ok {
					if name := string(scap.TrimNUL(p)); strings.HasPrefix(name, "/") {
						got[fmt.Sprint(num)] = name
					}
				}
			})
			want := map[string]string{}
			for _, l := range testutil.SysdigLines(t, path, "-p", "%evt.num %evt.arg.name", "evt.type in (open, openat, openat2, creat)") {
				if num, name, ok := strings.Cut(l, " "); ok && strings.HasPrefix(name, "/") {
					if _, mine := got[num]; mine {
						want[num] = name
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("open names differ from sysdig (-sysdig +retrace):\n%s", diff)
			}
		})
	}
}

// TestSharedCapturesDecode reads every shared capture completely and checks
// its header against a golden summary.
func TestSharedCapturesDecode(t *testing.T) {
	for _, path := range testutil.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			r, err := capture.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			golden(t, filepath.Join("testdata", "golden", filepath.Base(path)+".txt"), headerSummary(r))
		})
	}
}

// headerSummary renders what the reader learned about a capture.
func headerSummary(r *capture.Reader) string {
	h := r.Header()
	st := r.Stats()
	var b strings.Builder
	fmt.Fprintf(&b, "format %s, scap version %s\n", h.Format, h.Version)
	fmt.Fprintf(&b, "events %d, skipped %d, blocks %d, scap bytes %d\n", st.Events, st.SkippedEvents, st.Blocks, st.RawBytes)
	fmt.Fprintf(&b, "header blocks %v\n", h.BlockCounts)
	if m := h.Machine; m != nil {
		fmt.Fprintf(&b, "machine %q cpus %d memory %d max_pid %d boot %d\n", m.Hostname, m.NumCPUs, m.MemoryBytes, m.MaxPID, m.BootTime)
	}
	for _, it := range h.Interfaces {
		fmt.Fprintf(&b, "interface %s type %d %s/%s\n", it.Name, it.Type, it.Addr, it.Netmask)
	}
	fmt.Fprintf(&b, "users %d groups %d processes %d fd lists %d\n", len(h.Users), len(h.Groups), len(h.Processes), len(h.FDs))
	for i, p := range h.Processes {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "process tid %d pid %d ptid %d comm %q exe %q args %q cwd %q uid %d sid %d vpgid %d vtid %d cgroups %d loginuid %d\n",
			p.TID, p.PID, p.PTID, p.Comm, p.Exe, p.Args, p.Cwd, p.UID, p.SID, p.VPGID, p.VTID, len(p.Cgroups), p.LoginUID)
	}
	types := map[uint8]int{}
	fds := 0
	for _, l := range h.FDs {
		for _, f := range l.FDs {
			types[f.Type]++
			fds++
		}
	}
	fmt.Fprintf(&b, "fds %d by type %v\n", fds, types)
	return b.String()
}
