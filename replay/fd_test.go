package replay

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// Open flags used below (PPM_O_*).
const (
	fRDONLY  = 1
	fWRONLY  = 2
	fCREAT   = 4
	fCLOEXEC = 1 << 12
)

func tuple(src string, sport uint16, dst string, dport uint16) raw {
	return scap.EncSockTuple(netip.MustParseAddr(src), sport, netip.MustParseAddr(dst), dport)
}

func TestStateFDs(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  map[string]string
	}{
		{
			name: "old open pair resolves the relative name against the cwd",
			steps: []step{
				ev(scap.SyscallOpenE, 200, "notes/../secret.txt", fRDONLY|fCLOEXEC, 0),
				ev(scap.SyscallOpenX, 200, 4),
			},
			want: map[string]string{
				"fd.name": "/home/u/secret.txt", "fd.nameraw": "notes/../secret.txt", "fd.num": "4", "fd.typechar": "f",
				"fd.directory": "/home/u", "fd.filename": "secret.txt", "evt.is_open_read": "true", "evt.is_open_write": "false",
				"evt.arg.flags": "O_RDONLY|O_CLOEXEC", "evt.arg.name": "/home/u/secret.txt", "evt.args": "fd=4(<f>/home/u/secret.txt) ",
				"fd.name_changed": "true", "evt.res": "SUCCESS",
			},
		},
		{
			name: "exit-only openat relative to a directory fd",
			steps: []step{
				ev(scap.SyscallOpenatV2X, 200, 5, 3, "shadow", fWRONLY|fCREAT, 0o755, 0, 0),
			},
			want: map[string]string{
				"fd.name": "/etc/shadow", "fd.num": "5", "evt.is_open_write": "true", "evt.is_open_exec": "true",
				"evt.arg.dirfd": "<d>/etc", "evt.args": "fd=5(<f>/etc/shadow) dirfd=3(<d>/etc) name=shadow(/etc/shadow) flags=6(O_CREAT|O_WRONLY) mode=0755 dev=0 ino=0 ",
				"fs.path.name": "/etc/shadow", "fs.path.nameraw": "shadow",
			},
		},
		{
			name: "failed open names the path without creating an fd",
			steps: []step{
				ev(scap.SyscallOpenE, 200, "/etc/sudoers", fRDONLY, 0),
				ev(scap.SyscallOpenX, 200, -13, "/etc/sudoers", fRDONLY, 0),
			},
			want: map[string]string{
				"fd.name": "/etc/sudoers", "fd.typechar": "f", "evt.res": "EACCES", "evt.rawres": "-13", "evt.failed": "true",
				"fd.num": "-1", "fd.type": "<NA>",
			},
		},
		{
			name: "close of a missing enter keeps the last fd like sysdig",
			steps: []step{
				ev(scap.SyscallCloseE, 200, 3),
				ev(scap.SyscallCloseX, 200, 0),
				ev(scap.SyscallCloseE, 200, 3),
			},
			want: map[string]string{"fd.name": "<NA>", "fd.num": "3"},
		},
		{
			name: "dup2 copies the fd",
			steps: []step{
				ev(scap.SyscallDup2E, 200, 3),
				ev(scap.SyscallDup2X, 200, 7, 3, 7),
				ev(scap.SyscallCloseE, 200, 7),
			},
			want: map[string]string{"fd.name": "/etc", "fd.typechar": "d"},
		},
		{
			// libsinsp clones the source fdinfo with its old name.
			name: "dup2 does not change the name of its fd",
			steps: []step{
				ev(scap.SyscallDup2E, 200, 3),
				ev(scap.SyscallDup2X, 200, 7, 3, 7),
			},
			want: map[string]string{"fd.name": "/etc", "fd.num": "7", "fd.name_changed": "false"},
		},
		{
			name: "exit-only dup2 of a socket onto stdin (reverse shell)",
			steps: []step{
				ev(scap.SyscallReadE, 200, 0, 1),
				ev(scap.SyscallReadX, 200, 1, "x"),
				ev(scap.SocketSocketE, 200, 2, 1, 0),
				ev(scap.SocketSocketX, 200, 1),
				ev(scap.SocketConnectE, 200, 1),
				ev(scap.SocketConnectX, 200, 0, tuple("127.0.0.1", 46144, "127.0.0.1", 44444)),
				ev(scap.SyscallDup2X, 200, 0, 1, 0),
			},
			want: map[string]string{"fd.name": "127.0.0.1:46144->127.0.0.1:44444", "fd.typechar": "4", "fd.num": "0",
				"evt.rawres": "0", "proc.stdin.type": "ipv4"},
		},
		{
			name: "fcntl F_DUPFD_CLOEXEC copies a directory fd that unlinkat then uses (rm -rf)",
			steps: []step{
				ev(scap.SyscallOpenatV2X, 200, 4, -100, "/tmp/pkg", fRDONLY|1<<10, 0, 0, 0),
				ev(scap.SyscallFcntlX, 200, 5, 4, 26, uint64(3)),
				ev(scap.SyscallCloseX, 200, 0, 4),
				ev(scap.SyscallUnlinkatV2X, 200, 0, 5, "bin", 0x200),
			},
			want: map[string]string{"evt.arg.dirfd": "<d>/tmp/pkg", "evt.arg.name": "/tmp/pkg/bin", "fs.path.name": "/tmp/pkg/bin"},
		},
		{
			name: "fcntl F_DUPFD copies the fd",
			steps: []step{
				ev(scap.SyscallFcntlX, 200, 9, 3, 1, uint64(9)),
			},
			want: map[string]string{"fd.name": "/etc", "fd.num": "9", "fd.typechar": "d", "evt.arg.cmd": "F_DUPFD",
				"fd.name_changed": "false"},
		},
		{
			name: "fcntl F_GETFL creates no fd",
			steps: []step{
				ev(scap.SyscallFcntlX, 200, 0x8002, 3, 4, uint64(0)),
				ev(scap.SyscallCloseE, 200, 0x8002),
			},
			want: map[string]string{"fd.name": "<NA>"},
		},
		{
			name: "chdir changes where relative paths resolve",
			steps: []step{
				ev(scap.SyscallChdirE, 200),
				ev(scap.SyscallChdirX, 200, 0, "/tmp/x/.."),
				ev(scap.SyscallOpenatV2X, 200, 6, -100, "drop.sh", fWRONLY|fCREAT, 0o700, 0, 0),
			},
			want: map[string]string{"fd.name": "/tmp/drop.sh", "proc.cwd": "/tmp/", "evt.arg.dirfd": "AT_FDCWD"},
		},
		{
			name: "tcp client connect",
			steps: []step{
				ev(scap.SocketSocketE, 200, 2, 1, 0),
				ev(scap.SocketSocketX, 200, 8),
				ev(scap.SocketConnectE, 200, 8, raw(scap.EncSockAddr(netip.MustParseAddr("93.184.216.34"), 443))),
				ev(scap.SocketConnectX, 200, 0, tuple("10.0.0.5", 40000, "93.184.216.34", 443)),
			},
			want: map[string]string{
				"fd.name": "10.0.0.5:40000->93.184.216.34:443", "fd.typechar": "4", "fd.type": "ipv4", "fd.l4proto": "tcp",
				"fd.cip": "10.0.0.5", "fd.sip": "93.184.216.34", "fd.cport": "40000", "fd.sport": "443",
				"fd.lip": "10.0.0.5", "fd.rip": "93.184.216.34", "fd.lport": "40000", "fd.rport": "443",
				"fd.connected": "true", "fd.is_server": "false", "fd.sockfamily": "ip", "fd.name_changed": "true",
				"fd.sip.name": "<NA>", "evt.arg.tuple": "10.0.0.5:40000->93.184.216.34:443",
			},
		},
		{
			name: "server accept",
			steps: []step{
				ev(scap.SocketSocketE, 200, 2, 1, 6),
				ev(scap.SocketSocketX, 200, 8),
				ev(scap.SocketBindE, 200, 8),
				ev(scap.SocketBindX, 200, 0, raw(scap.EncSockAddr(netip.MustParseAddr("0.0.0.0"), 8080))),
				ev(scap.SocketAccept4V6E, 200, 0),
				ev(scap.SocketAccept4V6X, 200, 9, tuple("203.0.113.9", 51000, "10.0.0.5", 8080), 0, 0, 0, 0),
			},
			want: map[string]string{
				"fd.name": "203.0.113.9:51000->10.0.0.5:8080", "fd.num": "9", "fd.is_server": "true", "fd.cip": "203.0.113.9",
				"fd.sport": "8080", "fd.lport": "8080", "fd.rip": "203.0.113.9", "fd.l4proto": "tcp", "fd.typechar": "4",
			},
		},
		{
			// sinsp_utils::is_ipv4_mapped_ipv6 takes :: for IPv4, so
			// libsinsp and sysdig 0.29.3 see an IPv4 server on 0.0.0.0
			// (nc -l -p 44445 in reverse-shell-container.scap.zst).
			name: "bind of an IPv6 socket to :: is an IPv4 server socket",
			steps: []step{
				ev(scap.SocketSocketE, 200, 10, 1, 0),
				ev(scap.SocketSocketX, 200, 8),
				ev(scap.SocketBindE, 200, 8),
				ev(scap.SocketBindX, 200, 0, raw(scap.EncSockAddr(netip.IPv6Unspecified(), 44445))),
			},
			want: map[string]string{"fd.name": ":::44445", "fd.sip": "0.0.0.0", "fd.sport": "44445", "fd.type": "ipv4",
				"fd.typechar": "4", "fd.is_server": "true", "fd.l4proto": "tcp"},
		},
		{
			name: "udp sendto names an unconnected socket",
			steps: []step{
				ev(scap.SocketSocketE, 200, 10, 2, 0),
				ev(scap.SocketSocketX, 200, 8),
				ev(scap.SocketSendtoE, 200, 8, 6, tuple("::", 0, "::1", 53)),
				ev(scap.SocketSendtoX, 200, 6, "query!"),
			},
			want: map[string]string{"fd.name": "::1:0->::1:53", "fd.l4proto": "udp", "fd.name_changed": "true", "fd.typechar": "6",
				"evt.buffer": "query!", "evt.buflen": "6", "evt.is_io_write": "true"},
		},
		{
			name: "setuid changes the user",
			steps: []step{
				ev(scap.SyscallSetuidE, 200, 0),
				ev(scap.SyscallSetuidX, 200, 0, 0),
			},
			want: map[string]string{"user.name": "root", "user.uid": "0", "user.loginuid": "1000", "user.loginname": "u"},
		},
		{
			name: "renameat2 and symlinkat arguments",
			steps: []step{
				ev(scap.SyscallRenameat2X, 200, 0, -100, "a.txt", 3, "passwd", 0),
			},
			want: map[string]string{"evt.arg.oldpath": "/home/u/a.txt", "evt.arg.newpath": "/etc/passwd",
				"fs.path.source": "/home/u/a.txt", "fs.path.target": "/etc/passwd", "fs.path.sourceraw": "a.txt"},
		},
		{
			name:  "symlinkat target and link",
			steps: []step{ev(scap.SyscallSymlinkatX, 200, 0, "/etc/shadow", -100, "s")},
			want:  map[string]string{"evt.arg.target": "/etc/shadow", "evt.arg.linkpath": "/home/u/s", "fs.path.target": "/home/u/s"},
		},
		{
			name: "exit-only syscalls apply in a capture that writes enter events for others",
			steps: []step{
				ev(scap.SyscallCloseE, 200, 3),
				ev(scap.SyscallCloseX, 200, 0),
				ev(scap.SyscallOpenatV2X, 200, 3, -100, "/etc/hosts", fRDONLY, 0, 0, 0),
				ev(scap.SyscallReadE, 200, 3, 10),
			},
			want: map[string]string{"fd.name": "/etc/hosts", "fd.num": "3"},
		},
		{
			name: "a paired syscall's exit without its enter is ignored",
			steps: []step{
				ev(scap.SyscallOpenE, 200, "/a", fRDONLY, 0),
				ev(scap.SyscallOpenX, 200, 8, "/a", fRDONLY, 0),
				ev(scap.SyscallOpenX, 200, 9, "/b", fRDONLY, 0),
				ev(scap.SyscallCloseE, 200, 9),
			},
			want: map[string]string{"fd.name": "<NA>", "fd.num": "9"},
		},
		{
			name:  "old bpf exit with the fd in a dynamic parameter",
			steps: []step{ev(scap.SyscallBpfX, 200, raw{0, 7, 0, 0, 0, 0, 0, 0, 0})},
			want:  map[string]string{"fd.typechar": "b", "fd.type": "bpf", "fd.num": "7"},
		},
		{
			name:  "old bpf exit with an errno in a dynamic parameter",
			steps: []step{ev(scap.SyscallBpfX, 200, raw{1, 0xf3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
			want:  map[string]string{"fd.typechar": "o", "fd.type": "<NA>"},
		},
		{
			name: "fd.types lists each type once, in the order of the types",
			steps: []step{
				ev(scap.SyscallMemfdCreateX, 200, 9, "payload", 1),
				ev(scap.SocketSocketE, 200, 2, 1, 0),
				ev(scap.SocketSocketX, 200, 10),
				ev(scap.SyscallOpenatV2X, 200, 11, -100, "/etc/hosts", fRDONLY, 0, 0, 0),
				ev(scap.SyscallMemfdCreateX, 200, 12, "other", 1),
				ev(scap.SyscallOpenatV2X, 200, 13, -100, "/etc/passwd", fRDONLY, 0, 0, 0),
			},
			want: map[string]string{"fd.types": "file,directory,ipv4,memfd", "fd.types[10]": "ipv4"},
		},
		{
			name:  "memfd",
			steps: []step{ev(scap.SyscallMemfdCreateX, 200, 9, "payload", 1)},
			want:  map[string]string{"fd.name": "memfd:payload", "fd.typechar": "m", "fd.type": "memfd"},
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

// TestPPMFlagValues checks the flag values the state reads from the scap
// tables against the driver's numbers (ppm_events_public.h).
func TestPPMFlagValues(t *testing.T) {
	tests := []struct {
		name string
		got  uint32
		want uint32
	}{
		{"PPM_O_DIRECTORY", oDIRECTORY, 1 << 10},
		{"PPM_O_CLOEXEC", oCLOEXEC, 1 << 12},
		{"PPM_O_F_CREATED", oFCreated, 1 << 14},
		{"PPM_FD_UPPER_LAYER", fdUpper, 1 << 15},
		{"PPM_FD_LOWER_LAYER", fdLower, 1 << 16},
		{"PPM_FCNTL_F_DUPFD", fcntlDupFD, 1},
		{"PPM_FCNTL_F_SETFD", fcntlSetFD, 3},
		{"PPM_FCNTL_F_DUPFD_CLOEXEC", fcntlDupFDCloexec, 26},
		{"PPM_EPOLL_CLOEXEC", epollCLOEXEC, 1},
		{"PPM_MFD_CLOEXEC", mfdCLOEXEC, 1},
		{"PPM_CLOSE_RANGE_CLOEXEC", closeRangeCLOEXEC, 4},
		{"PPM_CL_CLONE_THREAD", clCloneThread, 1 << 13},
		{"PPM_CL_CHILD_IN_PIDNS", clChildInPidNS, 1 << 29},
		{"PPM_EXE_LOWER_LAYER", exeLowerLayer, 8},
		{"PPM_AF_INET6", uint32(afInet6), 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
			}
		})
	}
}

// TestCloseOnExec checks that a successful execve closes the fds marked
// close-on-exec however they got the mark, as libsinsp does.
func TestCloseOnExec(t *testing.T) {
	exec := execveX(200, "cat", "/usr/bin/cat", list{"x"}, list{"cpu=/user.slice"})
	tests := []struct {
		name  string
		steps []step
		fd    int64
		want  string // fd.name after execve
	}{
		{"open O_CLOEXEC is closed", []step{
			ev(scap.SyscallOpenatV2X, 200, 5, -100, "/etc/hosts", fRDONLY|fCLOEXEC, 0, 0, 0), exec}, 5, "<NA>"},
		{"open without O_CLOEXEC stays", []step{
			ev(scap.SyscallOpenatV2X, 200, 5, -100, "/etc/hosts", fRDONLY, 0, 0, 0), exec}, 5, "/etc/hosts"},
		{"failed execve closes nothing", []step{
			ev(scap.SyscallOpenatV2X, 200, 5, -100, "/etc/hosts", fRDONLY|fCLOEXEC, 0, 0, 0),
			ev(scap.SyscallExecveV19X, 200, -2, "/usr/bin/cat")}, 5, "/etc/hosts"},
		{"snapshot fd with O_CLOEXEC is closed", []step{exec}, 4, "<NA>"},
		{"snapshot fd without O_CLOEXEC stays", []step{exec}, 3, "/etc"},
		{"fcntl F_SETFD FD_CLOEXEC marks", []step{
			ev(scap.SyscallFcntlX, 200, 0, 3, 3, uint64(1)), exec}, 3, "<NA>"},
		{"fcntl F_SETFD 0 clears", []step{
			ev(scap.SyscallFcntlX, 200, 0, 4, 3, uint64(0)), exec}, 4, "/var/log/app.log"},
		{"fcntl F_DUPFD_CLOEXEC copy is closed", []step{
			ev(scap.SyscallFcntlX, 200, 9, 3, 26, uint64(3)), exec}, 9, "<NA>"},
		{"fcntl F_DUPFD copy of a close-on-exec fd stays", []step{
			ev(scap.SyscallFcntlX, 200, 9, 4, 1, uint64(3)), exec}, 9, "/var/log/app.log"},
		{"the original of F_DUPFD_CLOEXEC stays", []step{
			ev(scap.SyscallFcntlX, 200, 9, 3, 26, uint64(3)), exec}, 3, "/etc"},
		{"dup3 O_CLOEXEC is closed", []step{
			ev(scap.SyscallDup3X, 200, 7, 3, 7, fCLOEXEC), exec}, 7, "<NA>"},
		{"dup2 copy stays", []step{
			ev(scap.SyscallDup2X, 200, 7, 4, 7), exec}, 7, "/var/log/app.log"},
		{"socket SOCK_CLOEXEC is closed", []step{
			ev(scap.SocketSocketX, 200, 6, 2, 1, 0, fCLOEXEC), exec}, 6, "<NA>"},
		{"accept4 SOCK_CLOEXEC is closed", []step{
			ev(scap.SocketAccept4V6X, 200, 9, tuple("203.0.113.9", 51000, "10.0.0.5", 8080), 0, 0, 0, fCLOEXEC), exec}, 9, "<NA>"},
		{"pipe2 O_CLOEXEC is closed", []step{
			ev(scap.SyscallPipe2X, 200, 0, 5, 6, 77, fCLOEXEC), exec}, 6, "<NA>"},
		{"epoll_create1 EPOLL_CLOEXEC is closed", []step{
			ev(scap.SyscallEpollCreate1X, 200, 8, 1), exec}, 8, "<NA>"},
		{"memfd MFD_CLOEXEC is closed", []step{
			ev(scap.SyscallMemfdCreateX, 200, 9, "payload", 1), exec}, 9, "<NA>"},
		{"close_range CLOSE_RANGE_CLOEXEC marks", []step{
			ev(scap.SyscallCloseRangeX, 200, 0, 3, 3, 4), exec}, 3, "<NA>"},
		{"close_range closes", []step{
			ev(scap.SyscallCloseRangeX, 200, 0, 3, 10, 0)}, 3, "<NA>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState(Options{})
			h := baseHeader()
			h.FDs[0].FDs = append(h.FDs[0].FDs, capture.FD{Num: 4, Type: capture.FDFileV2, Name: "/var/log/app.log", OpenFlags: fWRONLY | fCLOEXEC})
			s.LoadHeader(h)
			steps := append(tc.steps, ev(scap.SyscallCloseE, 200, tc.fd))
			e := replaySteps(t, s, steps)
			if got := field(t, e, "fd.name"); got != tc.want {
				t.Errorf("fd %d after the steps: fd.name = %q, want %q", tc.fd, got, tc.want)
			}
		})
	}
}
