package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
)

func BenchmarkEval(b *testing.B) {
	ev := sampleEvent().Set("fd.typechar", enginetest.Str("f"))
	conds := []struct{ name, cond string }{
		{"eq", "proc.name = cat"},
		{"in-small", "proc.name in (ls, cat, dog)"},
		{"in-large", "proc.name in (a, b, c, d, e, f, g, h, i, j, k, l, cat)"},
		{"contains", "proc.cmdline contains shadow"},
		{"icontains", "proc.cmdline icontains SHADOW"},
		{"startswith", "fd.name startswith /etc/"},
		{"glob", "proc.exepath glob '/usr/*/cat'"},
		{"regex", "proc.name regex 'c[a-z]t'"},
		{"pmatch", "fd.name pmatch (/var, /etc)"},
		{"num", "proc.pid > 1000"},
		{"ip-net", "fd.net in (192.168.0.0/16, 10.0.0.0/8)"},
		{"ancestors", "proc.aname = systemd"},
		{"transformer", "tolower(proc.cmdline) contains shadow"},
		{"val", "proc.name != val(proc.pname)"},
		{"evt.type", "evt.type in (open, openat)"},
		{"missing", "not evt.arg.mode exists"},
		{"stable-like", benchCondition},
	}
	for _, tc := range conds {
		n, err := engine.Parse(tc.cond, engine.ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		c, _, err := engine.Compile(n, tc.cond, benchOpts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Eval(ev)
			}
		})
	}
}
