package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
)

// benchRuleset builds a ruleset shaped like the stable Falco rules: 25
// rules, most restricted to a few event types, each with a handful of
// checks.
func benchRuleset(tb testing.TB, mode engine.MatchMode) *engine.Ruleset {
	tb.Helper()
	conds := []string{
		benchCondition,
		"evt.type = execve and evt.dir = < and proc.name in (nc, ncat, netcat) and proc.args contains -e",
		"evt.type = execve and proc.name in (bash, sh, zsh) and proc.pname in (nginx, httpd, apache2) and not user.name = root",
		"evt.type in (execve) and proc.exepath startswith /tmp/ and not proc.aname in (make, gcc)",
		"evt.type = connect and fd.sip != 127.0.0.1 and fd.sport in (4444, 1337, 6667) and not proc.name = ssh",
		"evt.type = connect and fd.net = 169.254.169.254/32 and not proc.name in (cloud-init, google_guest_ag)",
		"evt.type in (open, openat) and evt.is_open_read = true and fd.name pmatch (/root/.ssh, /home) and fd.name endswith id_rsa",
		"evt.type in (open, openat) and fd.name startswith /dev/ and not fd.name in (/dev/null, /dev/tty, /dev/urandom, /dev/zero)",
		"evt.type in (chmod) and evt.arg.mode contains S_IXUSR and fd.name startswith /tmp",
		"evt.type = unlink and fd.name in (/var/log/auth.log, /var/log/syslog, /var/log/secure)",
		"evt.type = ptrace and not proc.name in (gdb, strace, ltrace)",
		"evt.type = clone and proc.name = runc and proc.pname = containerd-shim",
		"evt.type = execve and proc.cmdline contains base64 and proc.cmdline icontains curl",
		"evt.type = execve and proc.name = sudo and proc.args contains -s",
		"evt.type = execve and proc.tty != 0 and container.id != host and proc.name in (bash, sh)",
		"evt.type in (accept) and fd.sport = 22 and not proc.name = sshd",
		"evt.type in (open, openat) and fd.name glob '/proc/*/mem' and not proc.name = gdb",
		"evt.type = userfaultfd and not proc.name in (qemu, criu)",
		"evt.type = execve and proc.exepath glob '/dev/shm/*'",
		"evt.type = madvise and proc.name = cat",
		"evt.type = execve and proc.aname[2] = sshd and proc.name = wget",
		"evt.type in (open, openat) and evt.rawres < 0 and fd.name startswith /etc/kubernetes",
		"evt.type = mlock and proc.pid > 100000",
		"evt.type in (connect, accept) and fd.types intersects (ipv6) and proc.name = nc",
		"evt.type = execve and len(proc.cmdline) > 4096",
	}
	var rules []*engine.Rule
	for i, cond := range conds {
		n, err := engine.Parse(cond, engine.ParseOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		c, _, err := engine.Compile(n, cond, benchOpts)
		if err != nil {
			tb.Fatalf("rule %d: %v", i, err)
		}
		rules = append(rules, &engine.Rule{Name: cond, Priority: engine.PriorityWarning, Enabled: true, Condition: c})
	}
	rs, err := engine.NewRuleset(testTypes, rules, engine.Selection{}, mode)
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

// benchEvents is a realistic mix: mostly reads, writes and closes, some
// opens, a few execs and connects.
func benchEvents() []engine.Event {
	mix := []struct {
		name  string
		count int
	}{
		{"read", 30}, {"write", 25}, {"close", 15}, {"openat", 14}, {"open", 2}, {"connect", 3},
		{"accept", 2}, {"execve", 3}, {"clone", 3}, {"madvise", 2}, {"chmod", 1},
	}
	var evs []engine.Event
	for _, m := range mix {
		for i := range m.count {
			ev := sampleEvent().Set("fd.typechar", enginetest.Str("f"))
			ev.ID = testTypes.IDs(m.name)[i%len(testTypes.IDs(m.name))]
			ev.Set("evt.type", enginetest.Str(m.name))
			evs = append(evs, ev)
		}
	}
	// Interleave deterministically so consecutive events differ in type.
	out := make([]engine.Event, 0, len(evs))
	for stride := range 7 {
		for i := stride; i < len(evs); i += 7 {
			out = append(out, evs[i])
		}
	}
	return out
}

func BenchmarkRulesetMatch(b *testing.B) {
	events := benchEvents()
	for _, mode := range []engine.MatchMode{engine.MatchFirst, engine.MatchAll} {
		b.Run(mode.String(), func(b *testing.B) {
			enginetest.BenchmarkMatch(b, benchRuleset(b, mode), events)
		})
	}
}

// TestNoAllocations asserts the zero-allocation contract of evaluation,
// matching and formatting.
func TestNoAllocations(t *testing.T) {
	rs := benchRuleset(t, engine.MatchAll)
	events := benchEvents()
	for _, ev := range events {
		rs.Match(ev) // warm the fake events' lookup caches
	}
	i := 0
	if n := testing.AllocsPerRun(200, func() {
		rs.Match(events[i%len(events)])
		i++
	}); n != 0 {
		t.Errorf("Ruleset.Match allocates %v times per event, want 0", n)
	}
	f, err := engine.CompileFormat("%proc.name %proc.aname %tolower(proc.cmdline) %fd.sip %proc.pid %evt.arg.mode", benchOpts)
	if err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent()
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() {
		buf = f.Append(buf[:0], ev)
		buf = f.AppendJSONFields(buf[:0], ev)
	}); n != 0 {
		t.Errorf("Format allocates %v times per event, want 0", n)
	}
}
