package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
)

var (
	testTypes = enginetest.Default()
	testReg   = enginetest.NewRegistry(enginetest.DefaultFields)
	testOpts  = engine.CompileOptions{Registry: testReg, EventTypes: testTypes}
)

// compile parses and compiles text with the test registry.
func compile(t testing.TB, text string) (*engine.Condition, []engine.Warning, error) {
	t.Helper()
	n, err := engine.Parse(text, engine.ParseOptions{})
	if err != nil {
		return nil, nil, err
	}
	return engine.Compile(n, text, testOpts)
}

// sampleEvent is an openat exit by cat whose ancestors are bash, sshd, systemd.
func sampleEvent() *enginetest.Event {
	S, I, U := enginetest.Str, enginetest.Int, enginetest.Uint
	ev := &enginetest.Event{ID: testTypes.IDs("openat")[1]}
	return ev.Set("evt.type", S("openat")).
		Set("evt.num", U(42)).
		Set("evt.rawres", I(-2)).
		Set("evt.res", S("ENOENT")).
		Set("evt.buffer", engine.Value{Bytes: []byte("GET /HTTP\x00\x01")}).
		Set("evt.is_open_read", enginetest.Bool(true)).
		Set("evt.arg.flags", S("O_RDONLY|O_CLOEXEC")).
		Set("evt.arg[0]", S("AT_FDCWD")).
		Set("proc.name", S("cat")).
		Set("proc.pname", S("bash")).
		Set("proc.cmdline", S("cat /etc/Shadow")).
		Set("proc.exepath", S("/usr/bin/cat")).
		Set("proc.pid", I(1234)).
		Set("proc.tty", U(34816)).
		Set("proc.aname", S("bash"), S("sshd"), S("systemd")).
		Set("proc.aname[1]", S("bash")).
		Set("proc.aname[2]", S("sshd")).
		Set("proc.args", S("/etc/Shadow")).
		Set("proc.env[HOME]", S("/root")).
		Set("thread.cpu", enginetest.Double(0.25)).
		Set("user.uid", U(0)).
		Set("user.name", S("root")).
		Set("fd.name", S("/etc/shadow")).
		Set("fd.num", I(3)).
		Set("fd.sip", enginetest.IP("10.1.2.3")).
		Set("fd.net", enginetest.IP("10.1.2.3")).
		Set("fd.sport", U(443)).
		Set("fd.types", S("file"), S("ipv4")).
		Set("container.id", S("host"))
}

func TestEval(t *testing.T) {
	tests := []struct {
		cond string
		want bool
	}{
		// equality and ordering on strings
		{"proc.name = cat", true},
		{"proc.name == cat", true},
		{"proc.name=cat", true},
		{"proc.name != cat", false},
		{"proc.name = \"cat\"", true},
		{"proc.name < 5", false},
		{"proc.name >= 5", true},
		{"proc.name > val(proc.pname)", true},
		{"proc.name <= val(proc.pname)", false},
		// substring operators
		{"proc.cmdline contains shadow", false},
		{"proc.cmdline icontains shadow", true},
		{"proc.cmdline icontains SHADOW", true},
		{"proc.cmdline startswith \"cat \"", true},
		{"proc.cmdline endswith Shadow", true},
		{"proc.exepath glob /usr/*", true},
		{"proc.exepath glob /usr/?in/*", true},
		{"proc.exepath glob /usr/?bin/*", false},
		{"proc.exepath glob '/usr/[a-c]in/cat'", true},
		{"proc.cmdline iglob '*SHADOW'", true},
		{"proc.cmdline glob '*SHADOW'", false},
		{"proc.name regex 'c.t'", true},
		{"proc.name regex 'c'", false},
		{"proc.name regex '[a-z]+'", true},
		{"evt.buffer bcontains 2f48545450", true},
		{"evt.buffer bcontains 0001", true},
		{"evt.buffer bstartswith 474554", true},
		{"evt.buffer bstartswith 4854", false},
		{"evt.buffer contains HTTP", true},
		{"fd.name bcontains 736861646f77", true},
		// lists
		{"proc.name in (ls, cat)", true},
		{"proc.name in (ls,cat)", true},
		{"proc.name in(ls, \"cat\")", true},
		{"proc.name in (ls, dog)", false},
		{"proc.name in ()", false},
		{"proc.name in (a, b, c, d, e, f, g, h, i, j, cat)", true},
		{"proc.name in (a, b, c, d, e, f, g, h, i, j, k)", false},
		{"proc.name intersects (cat)", true},
		{"proc.name in cat", true},
		{"fd.name pmatch (/etc, /var/run)", true},
		{"fd.name pmatch (/et)", false},
		{"fd.name pmatch (/etc/shadow)", true},
		{"fd.name pmatch (/etc/)", true},
		{"fd.name pmatch (/)", true},
		{"fd.name pmatch (/usr)", false},
		{"fd.name pmatch (/etc/shadow/x)", false},
		{"fd.name pmatch (/etc/sha)", false},
		{"fd.name pmatch (/*)", true},
		{"fd.name pmatch (/e?c/shadow)", true},
		{"fd.name pmatch (/e[s-u]c)", true},
		{"fd.name pmatch (/e[!t]c)", false},
		{"fd.name pmatch (/*/*)", true},
		{"fd.name pmatch (/*/*/*)", false},
		{"fd.name pmatch (/*/shadow)", true},
		{"fd.name pmatch (/*/passwd)", false},
		// operator modifiers
		{"proc.cmdline startswith oneof (cat, ca, dog)", false},
		{"proc.cmdline startswith oneof (cat, dog)", true},
		{"proc.cmdline startswith anyof (cat, ca, dog)", true},
		{"proc.cmdline contains allof (cat, etc, Shadow)", true},
		{"proc.cmdline contains allof (cat, etc, shadow)", false},
		{"proc.name = anyof (ls, cat)", true},
		{"proc.name != allof (ls, dog)", true},
		{"proc.pid = anyof (5000, 1234)", true},
		{"fd.sip = anyof (10.0.0.0/8, 10.1.0.0/16)", true},
		{"fd.sip = oneof (10.0.0.0/8, 10.1.0.0/16)", false},
		{"proc.name = oneof", false},
		{"proc.name contains anyof ()", false},
		{"evt.arg.mode startswith anyof (a)", false},
		// numbers
		{"proc.pid = 1234", true},
		{"proc.pid > 1000", true},
		{"proc.pid < 1000", false},
		{"proc.pid in (1, 2, 1234)", true},
		{"proc.pid in (1, 2, 3, 4, 5, 6, 7, 8, 9, 1234)", true},
		{"proc.pid != 0x4d2", false},
		{"evt.rawres < 0", true},
		{"evt.rawres >= -2", true},
		{"evt.rawres > -2", false},
		{"proc.tty != 0", true},
		{"user.uid = 0", true},
		{"fd.num >= 0", true},
		{"fd.sport = 443", true},
		{"fd.sport in (80, 443)", true},
		{"thread.cpu > 0.2", true},
		{"thread.cpu < 0.2", false},
		{"evt.num = 42", true},
		// booleans
		{"evt.is_open_read = true", true},
		{"evt.is_open_read = false", false},
		{"evt.is_open_read != false", true},
		// addresses and networks
		{"fd.sip = 10.1.2.3", true},
		{"fd.sip = 10.1.2.4", false},
		{"fd.sip != 10.1.2.4", true},
		{"fd.sip in (192.168.0.1, 10.1.2.3)", true},
		{"fd.sip = 10.0.0.0/8", true},
		{"fd.net = 10.0.0.0/8", true},
		{"fd.net = 192.168.0.0/16", false},
		{"fd.net in (192.168.0.0/16, 10.1.0.0/16)", true},
		{"fd.net != 192.168.0.0/16", true},
		// list fields
		{"fd.types in (file, ipv4, ipv6)", true},
		{"fd.types in (file)", false},
		{"fd.types intersects (ipv4)", true},
		{"fd.types intersects (unix)", false},
		{"fd.types exists", true},
		// ancestors: any ancestor matches without index
		{"proc.aname = sshd", true},
		{"proc.aname = init", false},
		{"proc.aname in (init, systemd)", true},
		{"proc.aname[2] = sshd", true},
		{"proc.aname[1] = sshd", false},
		{"proc.aname[3] = systemd", false},
		// arguments
		{"evt.arg.flags contains O_RDONLY", true},
		{"evt.arg[0] = AT_FDCWD", true},
		{"evt.arg.mode exists", false},
		{"proc.env[HOME] = /root", true},
		// missing values: false for every operator, true under not
		{"proc.aname[3] != systemd", false},
		{"evt.arg.mode != 0", false},
		{"not evt.arg.mode = 0", true},
		{"evt.arg.mode in (a, b)", false},
		{"evt.arg.mode exists", false},
		{"not evt.arg.mode exists", true},
		{"proc.env[PATH] startswith /", false},
		{"not proc.env[PATH] startswith /", true},
		// evt.type
		{"evt.type = openat", true},
		{"evt.type = open", false},
		{"evt.type != open", true},
		{"evt.type in (open, openat)", true},
		{"evt.type exists", true},
		{"evt.type startswith open", true},
		// boolean structure and precedence
		{"proc.name = cat and proc.pid = 1234", true},
		{"proc.name = cat and proc.pid = 1", false},
		{"proc.name = ls or proc.pid = 1234", true},
		{"proc.name = ls or proc.name = cat and proc.pid = 1", false},
		{"(proc.name = ls or proc.name = cat) and proc.pid = 1234", true},
		{"proc.name = cat or proc.name = ls and proc.pid = 1", true},
		{"not proc.name = ls and proc.pid = 1234", true},
		{"not (proc.name = cat and proc.pid = 1)", true},
		{"not not proc.name = cat", true},
		{"not not not proc.name = cat", false},
		{"not(proc.name = cat)", false},
		{"proc.name = cat and(proc.pid = 1234)", true},
		{"proc.name = ls or(proc.pid = 1234)", true},
		{"((proc.name = cat))", true},
		{"proc.name = x or proc.name = y or proc.name = cat", true},
		{"proc.name = cat and proc.pid = 1234 and user.uid = 0", true},
		// transformers
		{"tolower(proc.cmdline) contains shadow", true},
		{"toupper(proc.name) = CAT", true},
		{"basename(proc.exepath) = cat", true},
		{"len(proc.name) = 3", true},
		{"len(proc.name) > 3", false},
		{"len(fd.types) = 2", true},
		{"tolower(toupper(proc.name)) = cat", true},
		{"b64(proc.name) exists", false},
		{"len(b64(user.name)) = 3", true},
		// field-to-field comparisons
		{"proc.name = val(proc.pname)", false},
		{"proc.name != val(proc.pname)", true},
		{"proc.pname = val(proc.pname)", true},
		{"proc.aname = val(proc.pname)", true},
		{"proc.pid > val(fd.num)", true},
		{"proc.name = val(evt.arg.mode)", false},
		{"proc.cmdline icontains val(proc.name)", true},
		{"proc.cmdline startswith tolower(proc.name)", true},
		{"fd.sip = val(fd.sip)", true},
	}
	ev := sampleEvent()
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			c, _, err := compile(t, tc.cond)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := c.Eval(ev); got != tc.want {
				t.Errorf("Eval = %v, want %v", got, tc.want)
			}
		})
	}
}
