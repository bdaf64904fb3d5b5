package replay

import (
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// TestConditionsOnState compiles Falco conditions with the registry and
// evaluates them on synthetic events: field types, list fields, missing
// values and networks behave as in libsinsp.
func TestConditionsOnState(t *testing.T) {
	connect := []step{
		ev(scap.SocketSocketE, 200, 2, 1, 0),
		ev(scap.SocketSocketX, 200, 8),
		ev(scap.SocketConnectE, 200, 8),
		ev(scap.SocketConnectX, 200, 0, tuple("10.0.0.5", 40000, "93.184.216.34", 443)),
	}
	openShadow := []step{
		ev(scap.SyscallOpenE, 200, "/etc/shadow", fRDONLY, 0),
		ev(scap.SyscallOpenX, 200, 4),
	}
	tests := []struct {
		name  string
		steps []step
		cond  string
		want  bool
	}{
		{"sensitive read", openShadow, "evt.type = open and evt.is_open_read = true and fd.name = /etc/shadow", true},
		{"fd.directory in list", openShadow, "fd.directory in (/etc, /usr/bin)", true},
		{"ancestor any", openShadow, "proc.aname = systemd", true},
		{"ancestor indexed", openShadow, "proc.aname[1] = sshd and proc.aname[2] = systemd", true},
		{"ancestor any negative", openShadow, "proc.aname = nginx", false},
		{"apid any", openShadow, "proc.apid = 1", true},
		{"missing never matches !=", openShadow, "proc.aname[5] != foo", false},
		{"not exists on missing", openShadow, "not proc.aname[5] exists", true},
		{"tty numeric", openShadow, "proc.tty != 0 and user.loginuid >= 1000", true},
		{"user", openShadow, "user.name = u and group.name = u", true},
		{"cmdline contains", openShadow, "proc.cmdline startswith bash and proc.pname in (sshd, login)", true},
		{"host container", openShadow, "container.id = host and not container.image.repository exists", true},
		{"capabilities", openShadow, "thread.cap_effective contains CAP_SYS_ADMIN", true},
		{"network cidr", connect, "fd.net = 93.184.216.0/24 and fd.snet = 93.184.0.0/16 and not fd.cnet = 192.168.0.0/16", true},
		{"server port", connect, "fd.sport = 443 and fd.l4proto = tcp and fd.typechar = 4", true},
		{"ip equality", connect, "fd.sip = 93.184.216.34 and fd.ip = 10.0.0.5", true},
		{"connected", connect, "fd.connected = true and evt.type = connect and evt.dir = <", true},
		{"rawres", connect, "evt.rawres >= 0 and evt.res = SUCCESS", true},
		{"evt.arg flags on exit", openShadow, "evt.arg.flags contains O_RDONLY", true},
		{"glob", openShadow, "fd.name glob '/etc/sha*'", true},
		{"pmatch", openShadow, "fd.name pmatch (/etc, /var)", true},
	}
	reg := NewFieldRegistry()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, err := engine.Parse(tc.cond, engine.ParseOptions{})
			if err != nil {
				t.Fatalf("parse %q: %v", tc.cond, err)
			}
			c, _, err := engine.Compile(root, tc.cond, engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}})
			if err != nil {
				t.Fatalf("compile %q: %v", tc.cond, err)
			}
			s := NewState(Options{})
			s.LoadHeader(baseHeader())
			e := replaySteps(t, s, tc.steps)
			if got := c.Eval(e); got != tc.want {
				t.Errorf("%q = %v, want %v", tc.cond, got, tc.want)
			}
		})
	}
}

// TestOutputFormat renders a Falco output with the registry.
func TestOutputFormat(t *testing.T) {
	const out = "user=%user.name command=%proc.cmdline parent=%proc.pname file=%fd.name gparent=%proc.aname[2] container=%container.id image=%container.image.repository"
	f, err := engine.CompileFormat(out, engine.CompileOptions{Registry: NewFieldRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	s := NewState(Options{})
	s.LoadHeader(baseHeader())
	e := replaySteps(t, s, []step{
		ev(scap.SyscallOpenE, 200, "/etc/shadow", fRDONLY, 0),
		ev(scap.SyscallOpenX, 200, 4),
	})
	got := string(f.Append(nil, e))
	want := "user=u command=bash parent=sshd file=/etc/shadow gparent=systemd container=host image=<NA>"
	if got != want {
		t.Errorf("output\n got %q\nwant %q", got, want)
	}
}
