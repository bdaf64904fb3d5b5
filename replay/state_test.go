package replay

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// list marks a BYTEBUF parameter given as NUL-terminated items.
type list []string

// raw is a parameter value given as bytes.
type raw []byte

// enc encodes v as a value of parameter type t.
func enc(t scap.ParamType, v any) []byte {
	switch x := v.(type) {
	case raw:
		return x
	case list:
		return scap.EncList(x...)
	case string:
		if t == scap.PTByteBuf {
			return []byte(x)
		}
		return scap.EncString(x)
	case int:
		n := t.Size()
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, uint64(int64(x)))
		if n == 0 {
			n = 8
		}
		return b[:n]
	case int64:
		return enc(t, int(x))
	case uint64:
		return binary.LittleEndian.AppendUint64(nil, x)
	}
	panic(fmt.Sprintf("enc: unsupported %T", v))
}

// step is one synthetic event: type, thread, parameters in table order.
type step struct {
	typ    scap.Type
	tid    int64
	params []any
}

// ev builds a step.
func ev(typ scap.Type, tid int64, params ...any) step { return step{typ, tid, params} }

// replaySteps applies steps to s, returning the Event of the last one
// (decoded into its own buffer so it stays valid).
func replaySteps(t *testing.T, s *State, steps []step) *Event {
	t.Helper()
	var last *Event
	for i, st := range steps {
		info, ok := scap.Lookup(st.typ)
		if !ok {
			t.Fatalf("step %d: unknown type %d", i, st.typ)
		}
		if len(st.params) > len(info.Params) {
			t.Fatalf("step %d: %s has %d params, got %d", i, info.Enum, len(info.Params), len(st.params))
		}
		ps := make([][]byte, len(st.params))
		for k, p := range st.params {
			ps[k] = enc(info.Params[k].Type, p)
		}
		b := scap.AppendEvent(nil, uint64(1000+i)*1e6, st.tid, st.typ, ps...)
		var e scap.Event
		if err := e.Decode(b, false); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		last = s.Apply(&e, false)
	}
	return last
}

// field extracts one field from e and renders it like sysdig.
func field(t *testing.T, e *Event, name string) string {
	t.Helper()
	b := bindAll(t, []string{name})[0].b
	vals := b.Extractor.Extract(e, nil)
	if b.Values != engine.Single && len(vals) > 1 {
		s := ""
		for i, v := range vals {
			if i > 0 {
				s += ","
			}
			s += renderForSysdig(b.Type, []engine.Value{v})
		}
		return s
	}
	return renderForSysdig(b.Type, vals)
}

// baseHeader is a snapshot: init (1) -> sshd (100) -> bash (200, tty,
// loginuid 1000, in /home/u), users root/u and groups.
func baseHeader() *capture.Header {
	return &capture.Header{
		Machine: &capture.MachineInfo{Hostname: "host1"},
		Users: []capture.User{{UID: 0, GID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"},
			{UID: 1000, GID: 1000, Name: "u", HomeDir: "/home/u", Shell: "/bin/zsh"}},
		Groups: []capture.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "u"}},
		Processes: []capture.Process{
			{TID: 1, PID: 1, PTID: 0, SID: 1, VPGID: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cwd: "/", VTID: 1, VPID: 1, LoginUID: noID},
			{TID: 100, PID: 100, PTID: 1, SID: 100, VPGID: 100, Comm: "sshd", Exe: "/usr/sbin/sshd", ExePath: "/usr/sbin/sshd", Args: []string{"-D"}, Cwd: "/", VTID: 100, VPID: 100, LoginUID: noID},
			{TID: 200, PID: 200, PTID: 100, SID: 200, VPGID: 200, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cwd: "/home/u", UID: 1000, GID: 1000,
				VTID: 200, VPID: 200, TTY: 34816, LoginUID: 1000, Env: []string{"HOME=/home/u", "TERM=xterm"},
				CapEffective: 1 << 21, CapPermitted: 1<<21 | 1, CapInheritable: 0},
		},
		FDs: []capture.FDList{{TID: 200, FDs: []capture.FD{
			{Num: 0, Type: capture.FDFile, Name: "/dev/pts/0"},
			{Num: 3, Type: capture.FDDirectory, Name: "/etc"},
		}}},
		Interfaces: []capture.Interface{{Type: capture.InterfaceIPv4, Name: "eth0", Addr: netip.MustParseAddr("10.0.0.5")}},
	}
}

// cloneX is a CLONE_20 exit of parent 200 creating child 300 (parent side,
// res=300) or the child side (res=0).
func cloneX(tid, res int64, flags int) step {
	pid, ptid := tid, int64(200)
	if flags&(1<<13) != 0 || tid == 200 {
		pid, ptid = 200, 100
	}
	return ev(scap.SyscallCloneV20X, tid, res, "/usr/bin/bash", list{}, tid, pid, ptid, "/home/u", 1024, 0, 0, 0, 0, 0,
		"bash", list{"cpu=/user.slice"}, flags, 1000, 1000, tid, pid, 0)
}

// execveX is an EXECVE_19 exit of tid running cat with args.
func execveX(tid int64, comm, exe string, args list, cgroups list) step {
	return ev(scap.SyscallExecveV19X, tid, 0, exe, args, int(tid), int(tid), 200, "/home/u", 1024, 0, 0, 0, 0, 0,
		comm, cgroups, list{"HOME=/home/u", "X=1"}, 34816, int(tid), 1000)
}

func TestStateProcessTree(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  map[string]string
	}{
		{
			name:  "snapshot process",
			steps: []step{ev(scap.SyscallCloseE, 200, 0)},
			want: map[string]string{
				"proc.name": "bash", "proc.pid": "200", "proc.ppid": "100", "proc.pname": "sshd", "proc.aname[2]": "systemd",
				"proc.aname[3]": "<NA>", "proc.aname": "sshd,systemd", "proc.apid": "100,1", "proc.exe": "-bash",
				"proc.exepath": "/usr/bin/bash", "proc.pexepath": "/usr/sbin/sshd", "proc.cwd": "/home/u/", "proc.tty": "34816",
				"user.name": "u", "user.uid": "1000", "user.loginuid": "1000", "user.loginname": "u", "user.homedir": "/home/u",
				"user.shell": "/bin/zsh", "group.name": "u", "group.gid": "1000", "proc.sname": "bash", "proc.is_sid_leader": "true",
				"proc.env": "HOME=/home/u TERM=xterm", "proc.env[TERM]": "xterm", "proc.pcmdline": "sshd -D",
				"thread.cap_effective": "CAP_SYS_ADMIN", "thread.cap_permitted": "CAP_CHOWN CAP_SYS_ADMIN",
				"container.id": "host", "container.name": "host", "container.image": "<NA>", "evt.hostname": "host1",
				"fd.name": "/dev/pts/0", "fd.num": "0", "fd.typechar": "f", "fd.type": "file", "fd.directory": "/dev/pts", "fd.filename": "0",
			},
		},
		{
			name: "fork then exec",
			steps: []step{
				ev(scap.SyscallCloneV20E, 200),
				cloneX(200, 300, 0),
				cloneX(300, 0, 0),
				ev(scap.SyscallExecveV19E, 300, "/bin/cat"),
				execveX(300, "cat", "cat", list{"/etc/shadow"}, list{"cpu=/user.slice"}),
			},
			want: map[string]string{
				"proc.name": "cat", "proc.cmdline": "cat /etc/shadow", "proc.args": "/etc/shadow", "proc.args[1]": "/etc/shadow",
				"proc.pid": "300", "proc.ppid": "200", "proc.pname": "bash", "proc.aname[2]": "sshd", "proc.pexe": "-bash",
				"proc.exepath": "/bin/cat", "proc.cwd": "/home/u/", "user.name": "u", "proc.tty": "34816", "proc.vpgid": "300",
				"evt.type": "execve", "evt.dir": "<", "evt.res": "SUCCESS", "evt.rawres": "0", "evt.failed": "false",
				"proc.sname": "bash", "proc.is_vpgid_leader": "true", "proc.cmdnargs": "1",
			},
		},
		{
			name: "thread shares fds and reports the process parent",
			steps: []step{
				cloneX(200, 201, 1<<13|1<<0|1<<1|1<<15),
				ev(scap.SyscallCloseE, 201, 3),
			},
			want: map[string]string{
				"proc.pid": "200", "thread.tid": "201", "thread.ismain": "false", "proc.pname": "sshd",
				"proc.aname[1]": "sshd", "fd.name": "/etc", "fd.typechar": "d", "fd.directory": "/etc", "fd.filename": "<NA>",
			},
		},
		{
			name: "prctl(PR_SET_NAME) does not rename the process",
			steps: []step{
				cloneX(200, 300, 0),
				ev(scap.SyscallPrctlX, 300, 0, 15, "chmod", 0),
			},
			want: map[string]string{"proc.name": "bash", "proc.cmdline": "bash"},
		},
		{
			name: "procexit frees the thread after the next event",
			steps: []step{
				cloneX(200, 300, 0),
				ev(scap.ProcexitV1E, 300, 0, 0, 0, 0, 1),
			},
			want: map[string]string{"proc.name": "bash", "proc.pid": "300", "evt.type": "procexit"},
		},
		{
			name:  "unknown thread gets a placeholder",
			steps: []step{ev(scap.SyscallCloseE, 999, 5)},
			want: map[string]string{"proc.name": "<NA>", "proc.pid": "999", "proc.pname": "<NA>", "user.uid": "4294967295",
				"user.name": "<NA>", "fd.name": "<NA>", "fd.num": "5", "proc.vpid": "<NA>", "proc.sid": "-1"},
		},
		{
			name: "old container event and its synthetic thread",
			steps: []step{
				ev(scap.ContainerE, -1, "0123456789ab", 6, "k8s_web", "registry.local/web:2"),
			},
			want: map[string]string{
				"container.id": "0123456789ab", "container.name": "k8s_web", "container.image": "registry.local/web:2",
				"container.type": "cri", "proc.name": "container:0123456789ab", "user.name": "root", "evt.type": "container",
			},
		},
		{
			name: "podman container from libpod_parent cgroups",
			steps: []step{
				cloneX(200, 300, 0),
				execveX(300, "sh", "/bin/sh", list{}, list{"cpu=/libpod_parent/libpod-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"}),
			},
			want: map[string]string{"container.id": "fedcba987654", "container.type": "podman", "container.name": "<NA>",
				"container.image": "<NA>", "container.privileged": "<NA>"},
		},
		{
			name: "container from cgroups and json",
			steps: []step{
				ev(scap.ContainerJsonV2E, -1, `{"container":{"id":"abcdef012345","name":"web","image":"nginx:1.25","imagerepo":"nginx","imagetag":"1.25","privileged":true,"type":0,"created_time":1700000000,"labels":{"io.kubernetes.pod.name":"web-1","io.kubernetes.pod.namespace":"prod"},"Mounts":[{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","Mode":"","RW":true,"Propagation":"rprivate"}]}}`),
				cloneX(200, 300, 0),
				execveX(300, "sh", "/bin/sh", list{"-c", "id"}, list{"cpu=/docker/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}),
			},
			want: map[string]string{
				"container.id": "abcdef012345", "container.name": "web", "container.image": "nginx:1.25",
				"container.image.repository": "nginx", "container.image.tag": "1.25", "container.privileged": "true",
				"container.type": "docker", "container.start_ts": "1700000000000000000", "k8s.pod.name": "web-1", "k8s.ns.name": "prod",
				"container.mounts":                           "/var/run/docker.sock:/var/run/docker.sock::true:rprivate",
				"container.mount.dest[/var/run/docker.sock]": "/var/run/docker.sock", "container.mount.dest[/proc*]": "<NA>",
				"container.info": "web (id=abcdef012345)", "proc.cmdline": "sh -c id",
			},
		},
		{
			name: "container json with the full 64-hex id matches the thread's short id",
			steps: []step{
				ev(scap.ContainerJsonV2E, -1, `{"container":{"id":"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789","name":"web","image":"nginx:1.25","type":0}}`),
				cloneX(200, 300, 0),
				execveX(300, "sh", "/bin/sh", list{"-c", "id"}, list{"cpu=/docker/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}),
			},
			want: map[string]string{
				"container.id": "abcdef012345", "container.name": "web", "container.image": "nginx:1.25",
				"container.full_id": "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
			},
		},
		{
			name: "old container event with the full id",
			steps: []step{
				ev(scap.ContainerE, -1, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", 0, "db", "postgres:16"),
				cloneX(200, 300, 0),
				execveX(300, "sh", "/bin/sh", list{}, list{"cpu=/docker/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}),
			},
			want: map[string]string{"container.id": "abcdef012345", "container.name": "db", "container.image": "postgres:16"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState(Options{})
			s.LoadHeader(baseHeader())
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

// TestStateExecveCurrentVersion applies a full 31-parameter EXECVE_19 exit
// (current libs producers): exe flags, capabilities, inode times, trusted
// exepath and the login uid.
func TestStateExecveCurrentVersion(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	steps := []step{
		cloneX(200, 300, 0),
		ev(scap.SyscallExecveV19X, 300, 0, "/tmp/x", list{"-v"}, 300, 300, 200, "/tmp", 1024, 0, 0, 0, 0, 0,
			"x", list{"cpu=/"}, list{"A=1"}, 0, 300, 1000,
			1<<0|1<<1|1<<2, // writable, upper layer, from memfd
			uint64(0), uint64(1<<21), uint64(1<<21),
			uint64(4242), uint64(1_700_000_000_000_000_000), uint64(1_699_999_999_000_000_000),
			0, "/memfd:x (deleted)", 300, 0, "/proc/self/fd/3"),
	}
	e := replaySteps(t, s, steps)
	// The clone at step 0 happened at 1000 ms; the inode changed 1 s
	// before the epoch value above, far earlier.
	want := map[string]string{
		"proc.exepath": "/memfd:x (deleted)", "proc.is_exe_writable": "true", "proc.is_exe_upper_layer": "true",
		"proc.is_exe_from_memfd": "true", "proc.is_exe_lower_layer": "false", "thread.cap_effective": "CAP_SYS_ADMIN",
		"proc.exe_ino": "4242", "proc.exe_ino.ctime": "1700000000000000000", "proc.exe_ino.mtime": "1699999999000000000",
		"user.uid": "0", "user.name": "root", "user.loginuid": "1000", "proc.pgid": "300", "proc.cmdline": "x -v",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = field(t, e, k)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	// The inode changed after the process started: no duration.
	if v := field(t, e, "proc.exe_ino.ctime_duration_proc_start"); v != "<NA>" {
		t.Errorf("proc.exe_ino.ctime_duration_proc_start = %s, want <NA>", v)
	}
}

// TestStateExeCtimeBeforeStart covers proc.exe_ino.ctime_duration_proc_start.
func TestStateExeCtimeBeforeStart(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	e := replaySteps(t, s, []step{
		cloneX(200, 300, 0),
		ev(scap.SyscallExecveV19X, 300, 0, "/tmp/x", list{}, 300, 300, 200, "/tmp", 1024, 0, 0, 0, 0, 0,
			"x", list{"cpu=/"}, list{}, 0, 300, 1000, 0, uint64(0), uint64(0), uint64(0),
			uint64(7), uint64(400_000_000), uint64(400_000_000)),
	})
	// Clone at 1000 ms, inode changed at 400 ms: 600 ms before.
	if v := field(t, e, "proc.exe_ino.ctime_duration_proc_start"); v != "600000000" {
		t.Errorf("proc.exe_ino.ctime_duration_proc_start = %s, want 600000000", v)
	}
}

func TestStateDeferredRemoval(t *testing.T) {
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	replaySteps(t, s, []step{cloneX(200, 300, 0), ev(scap.ProcexitV1E, 300, 0, 0, 0, 0, 1)})
	if _, ok := s.Thread(300); !ok {
		t.Fatal("thread 300 removed before the next event")
	}
	replaySteps(t, s, []step{ev(scap.SyscallCloseE, 200, 0)})
	if _, ok := s.Thread(300); ok {
		t.Fatal("thread 300 still present after the event following its procexit")
	}
}

// TestK8sFieldsOffline checks the k8s.* fields retrace can fill offline
// (from CRI labels) and that the others are not registered.
func TestK8sFieldsOffline(t *testing.T) {
	if _, err := compatKnown("REPLAY-K8S-OFFLINE"); err != nil {
		t.Fatal(err)
	}
	reg := NewFieldRegistry()
	for _, name := range []string{"k8s.pod.name", "k8s.ns.name", "k8s.pod.uid", "k8s.pod.id", "k8s.pod.label"} {
		if _, ok := reg.Info(name); !ok {
			t.Errorf("%s not registered", name)
		}
	}
	for _, name := range []string{"k8s.deployment.name", "k8s.svc.name", "k8s.rs.name"} {
		if _, ok := reg.Info(name); ok {
			t.Errorf("%s registered, but nothing offline can give it a value", name)
		}
	}
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	e := replaySteps(t, s, []step{
		ev(scap.ContainerJsonV2E, -1, `{"container":{"id":"abcdef012345","type":6,"labels":{"io.kubernetes.pod.name":"api-7","io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.uid":"u-1","app":"api"}}}`),
	})
	for name, want := range map[string]string{"k8s.pod.name": "api-7", "k8s.ns.name": "prod", "k8s.pod.uid": "u-1", "k8s.pod.label[io.kubernetes.pod.name]": "api-7"} {
		if got := field(t, e, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
