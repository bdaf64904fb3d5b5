package replay

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

const cloneThreadFlags = 1<<13 | 1<<0 | 1<<1 | 1<<15 // CLONE_THREAD|FILES|FS|VM

// exitReaped is the procexit of tid naming reaper as reaper_tid.
func exitReaped(tid, reaper int64) step { return ev(scap.ProcexitV1E, tid, 0, 0, 0, 0, reaper) }

// TestParentLineage checks the parent and ancestor fields of threads and
// orphans against current libs' rules (docs/COMPATIBILITY.md,
// REPLAY-THREAD-PARENT-029 and REPLAY-REPARENT-029), on the snapshot
// init (1) -> sshd (100) -> bash (200).
func TestParentLineage(t *testing.T) {
	for _, id := range []string{"REPLAY-THREAD-PARENT-029", "REPLAY-REPARENT-029"} {
		if _, err := compatKnown(id); err != nil {
			t.Fatal(err)
		}
	}
	// A container: its init 400 (vpid 1, a reaper) under a runtime
	// (sshd stands in), and 401 (vpid 2) under it.
	container := []capture.Process{
		{TID: 400, PID: 400, PTID: 100, Comm: "tini", Exe: "tini", VTID: 1, VPID: 1, LoginUID: noID},
		{TID: 401, PID: 401, PTID: 400, Comm: "app", Exe: "app", VTID: 2, VPID: 2, LoginUID: noID},
	}
	tests := []struct {
		name  string
		extra []capture.Process
		steps []step
		want  map[string]string
	}{
		{
			name:  "thread created by its process names the process's parent",
			steps: []step{cloneX(200, 201, cloneThreadFlags), ev(scap.SyscallCloseE, 201, 3)},
			want: map[string]string{"thread.tid": "201", "proc.pid": "200", "proc.ppid": "100", "proc.pname": "sshd",
				"proc.pcmdline": "sshd -D", "proc.pexe": "/usr/sbin/sshd", "proc.pvpid": "100", "proc.aname[1]": "sshd",
				"proc.aname[2]": "systemd", "proc.apid[2]": "1"},
		},
		{
			name:  "thread whose own clone exit comes first",
			steps: []step{cloneX(201, 0, cloneThreadFlags), ev(scap.SyscallCloseE, 201, 3)},
			want:  map[string]string{"thread.tid": "201", "proc.pid": "200", "proc.ppid": "100", "proc.pname": "sshd", "proc.pvpid": "100"},
		},
		{
			name: "main thread of a child forked by a thread names the process",
			steps: []step{cloneX(200, 201, cloneThreadFlags), cloneX(201, 300, 0),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.pid": "300", "proc.ppid": "200", "proc.pname": "bash", "proc.aname[1]": "bash",
				"proc.aname[2]": "sshd", "proc.apid[1]": "200"},
		},
		{
			name: "orphan goes to the reaper the procexit names",
			steps: []step{cloneX(200, 300, 0), exitReaped(200, 100),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.pid": "300", "proc.ppid": "100", "proc.pname": "sshd", "proc.aname[1]": "sshd",
				"proc.aname[2]": "systemd"},
		},
		{
			name: "orphan without a named reaper goes to init",
			steps: []step{cloneX(200, 300, 0), exitReaped(200, 0),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.ppid": "1", "proc.pname": "systemd", "proc.aname[2]": "<NA>", "proc.apid[1]": "1"},
		},
		{
			name: "unknown reaper_tid falls back to init",
			steps: []step{cloneX(200, 300, 0), exitReaped(200, 999),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.ppid": "1", "proc.pname": "systemd"},
		},
		{
			name: "child subreaper set by prctl adopts its descendants",
			steps: []step{ev(scap.SyscallPrctlX, 100, 0, prSetChildSubreaper, "", 1), cloneX(200, 300, 0), exitReaped(200, 0),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.ppid": "100", "proc.pname": "sshd"},
		},
		{
			name: "prctl clearing the subreaper flag",
			steps: []step{ev(scap.SyscallPrctlX, 100, 0, prSetChildSubreaper, "", 1), ev(scap.SyscallPrctlX, 100, 0, prSetChildSubreaper, "", 0),
				cloneX(200, 300, 0), exitReaped(200, 0), ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.ppid": "1", "proc.pname": "systemd"},
		},
		{
			name: "a process named as reaper stays one",
			steps: []step{cloneX(200, 300, 0), exitReaped(200, 100), ev(scap.SyscallCloseE, 300, 3),
				cloneX(300, 301, 0), exitReaped(300, 0), ev(scap.SyscallCloseE, 301, 3)},
			want: map[string]string{"proc.pid": "301", "proc.ppid": "100", "proc.pname": "sshd"},
		},
		{
			name: "children of an exiting thread go to its process",
			steps: []step{cloneX(200, 201, cloneThreadFlags), cloneX(201, 300, 0), exitReaped(201, 0),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.ppid": "200", "proc.pname": "bash", "proc.aname[2]": "sshd"},
		},
		{
			name: "main thread exiting before its threads leaves children to a live thread",
			steps: []step{cloneX(200, 201, cloneThreadFlags), cloneX(200, 300, 0), exitReaped(200, 0),
				ev(scap.SyscallCloseE, 300, 3)},
			want: map[string]string{"proc.ppid": "200", "proc.pname": "bash"},
		},
		{
			name:  "orphan in a container goes to the container's init",
			extra: container,
			steps: []step{
				// The child's own clone exit (the caller's, in a pid
				// namespace, does not create it).
				ev(scap.SyscallCloneV20X, 402, 0, "app", list{}, 402, 402, 401, "/", 1024, 0, 0, 0, 0, 0,
					"app", list{"cpu=/"}, 0, 0, 0, 3, 3, 0),
				exitReaped(401, 0), ev(scap.SyscallCloseE, 402, 3)},
			want: map[string]string{"proc.pid": "402", "proc.ppid": "400", "proc.pname": "tini", "proc.pvpid": "1"},
		},
		{
			name: "orphan of an unknown process has no parent",
			steps: []step{ev(scap.SyscallCloseE, 500, 3), cloneX(500, 501, 0), exitReaped(500, 0),
				ev(scap.SyscallCloseE, 501, 3)},
			want: map[string]string{"proc.pid": "501", "proc.ppid": "<NA>", "proc.pname": "<NA>", "proc.aname[1]": "<NA>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := baseHeader()
			h.Processes = append(h.Processes, tc.extra...)
			s := NewState(Options{})
			s.LoadHeader(h)
			e := replaySteps(t, s, tc.steps)
			got := map[string]string{}
			for k := range tc.want {
				got[k] = field(t, e, k)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
		})
	}
}

// TestReparentKeepsChildIndex checks that the parent index follows tid
// reuse and removal: a reused tid's children are not the old thread's.
func TestReparentKeepsChildIndex(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	replaySteps(t, s, []step{cloneX(200, 300, 0), exitReaped(300, 0), ev(scap.SyscallCloseE, 200, 3),
		cloneX(200, 300, 0), cloneX(300, 301, 0), ev(scap.SyscallCloseE, 301, 3)})
	for ptid, kids := range s.children {
		for i, c := range kids {
			if c.childIdx != i {
				t.Errorf("children[%d][%d] is tid %d, which says it is at %d", ptid, i, c.Tid, c.childIdx)
			}
			if s.threads[c.Tid] != c || c.PTid != ptid {
				t.Errorf("children[%d] lists tid %d (ptid %d, in table %v)", ptid, c.Tid, c.PTid, s.threads[c.Tid] == c)
			}
		}
	}
	n := 0
	for _, kids := range s.children {
		n += len(kids)
	}
	want := 0
	s.Threads(func(t *Thread) bool {
		if t.PTid >= 0 && t.PTid != t.Tid {
			want++
		}
		return true
	})
	if n != want {
		t.Errorf("index lists %d threads, the table has %d with a parent", n, want)
	}
}

// TestRecordedLineage shows the changed parent fields on a real recording
// (credentials-read: a bash script runs podman, which runs containers):
// podman's non-main threads name podman's parent (bash), and a container's
// shell, whose creator (runc's init) exited, names conmon, the container's
// subreaper. Real sysdig 0.29.3 prints the old values on the same events,
// which the lineage029 model reproduces (REPLAY-THREAD-PARENT-029,
// REPLAY-REPARENT-029).
func TestRecordedLineage(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "credentials-read.scap.zst")
	tests := []struct {
		name, filter, field string
		want, want029       string
		id                  string
	}{
		{"podman thread", "proc.name=podman and thread.ismain=false", "proc.pname", "bash", "podman", "REPLAY-THREAD-PARENT-029"},
		{"podman thread ppid", "proc.name=podman and thread.ismain=false", "proc.ppid", "9924", "9924", ""},
		{"container shell", "evt.type=execve and evt.dir=< and proc.name=sh and container.id!=host", "proc.pname", "conmon", "<NA>", "REPLAY-REPARENT-029"},
		{"container shell ppid", "evt.type=execve and evt.dir=< and proc.name=sh and container.id!=host", "proc.ppid", "9949", "9959", "REPLAY-REPARENT-029"},
		// conmon's own parent, init, is not in the recording: its
		// snapshot holds only the recorder and the command's parent.
		{"container shell grandparent", "evt.type=execve and evt.dir=< and proc.name=sh and container.id!=host", "proc.aname[2]", "<NA>", "<NA>", ""},
	}
	type seen struct {
		key, got, id string
		ok           bool
	}
	res := make([]seen, len(tests))
	conds := make([]*engine.Condition, len(tests))
	reg := NewFieldRegistry()
	for i, tc := range tests {
		root, err := engine.Parse(tc.filter, engine.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		conds[i], _, err = engine.Compile(root, tc.filter, engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}})
		if err != nil {
			t.Fatal(err)
		}
	}
	lin := newLineage029()
	if _, err := ReplayFile(context.Background(), path, Options{}, func(e *Event) error {
		lin.observe(e)
		for i, tc := range tests {
			if res[i].key != "" || !conds[i].Eval(e) {
				continue
			}
			res[i] = seen{key: sysdigKey(e), got: field(t, e, tc.field)}
			id, ok := lin.known(e, tc.field, tc.want029)
			res[i].id, res[i].ok = id, ok
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		r := res[i]
		if r.key == "" {
			t.Errorf("%s: no event matches %q", tc.name, tc.filter)
			continue
		}
		if r.got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.name, tc.field, r.got, tc.want)
		}
		if tc.id != "" && (!r.ok || r.id != tc.id) {
			t.Errorf("%s: the 0.29.3 model does not give %q (%s, %v)", tc.name, tc.want029, r.id, r.ok)
		}
	}
	// Real sysdig 0.29.3 on the same events.
	testutil.NeedTool(t, "sysdig")
	plain := plainCapture(t, path, t.TempDir())
	fields := make([]string, len(tests))
	for i, tc := range tests {
		fields[i] = tc.field
	}
	want := sysdigLines(t, plain, fields)
	for i, tc := range tests {
		w, ok := want[res[i].key]
		if !ok {
			t.Errorf("%s: sysdig has no event %s", tc.name, res[i].key)
			continue
		}
		if w[i] != tc.want029 {
			t.Errorf("%s: sysdig 0.29.3 prints %s = %q, want %q", tc.name, tc.field, w[i], tc.want029)
		}
	}
}
