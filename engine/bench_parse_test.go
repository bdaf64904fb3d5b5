package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
)

// benchCondition is a condition shaped like the upstream stable rules:
// macros inlined, a type restriction, lists, ancestor checks and negations.
const benchCondition = `evt.type in (open, openat) and evt.is_open_read = true and fd.typechar = f and
 (fd.name startswith /etc/shadow or fd.name pmatch (/etc/sudoers.d, /etc/pam.d) or fd.name in (/etc/passwd, /etc/group))
 and not proc.name in (sshd, sudo, su, login, passwd, useradd, usermod, groupadd, chpasswd, unix_chkpwd, systemd, cron)
 and not proc.aname[2] in (ansible, puppet, chef-client) and not (proc.pname = bash and proc.cmdline contains "--check")
 and not user.name = nobody and proc.exepath glob '/usr/*' and not container.id = ""`

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.Parse(benchCondition, engine.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(benchCondition))*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
}
