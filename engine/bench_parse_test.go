package engine_test

import (
	"fmt"
	"strings"
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

// ipList returns `fd.sip in (...)` with n IPv4 addresses, an IOC list.
func ipList(n int) string {
	var b strings.Builder
	b.WriteString("fd.sip in (")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	b.WriteString(")")
	return b.String()
}

// hostList returns `fd.sip.name in (...)` with n host names.
func hostList(n int) string {
	var b strings.Builder
	b.WriteString("fd.sip.name in (")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "host-%d.example.com", i)
	}
	b.WriteString(")")
	return b.String()
}

// orChain returns n copies of benchCondition joined by "or", each in
// parentheses.
func orChain(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "(" + benchCondition + ")"
	}
	return strings.Join(parts, " or\n")
}

// BenchmarkParseScaling parses conditions at 1x, 10x and 100x a base size:
// a list of IP addresses (2,000 to 200,000 items) and an or of copies of
// benchCondition (10 to 1,000). Linear parsing shows as a constant ns/B
// across the sizes of a kind.
func BenchmarkParseScaling(b *testing.B) {
	var cases []struct{ name, text string }
	for _, n := range []int{2000, 20000, 200000} {
		cases = append(cases, struct{ name, text string }{fmt.Sprintf("list/items=%d", n), ipList(n)})
	}
	for _, n := range []int{10, 100, 1000} {
		cases = append(cases, struct{ name, text string }{fmt.Sprintf("or/conditions=%d", n), orChain(n)})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := engine.Parse(tc.text, engine.ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tc.text)), "ns/B")
		})
	}
}
