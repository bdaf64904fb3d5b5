package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
)

func BenchmarkFormat(b *testing.B) {
	const text = "Sensitive file opened (user=%user.name command=%proc.cmdline file=%fd.name parent=%proc.pname " +
		"gparent=%proc.aname[2] pid=%proc.pid flags=%evt.arg.flags ip=%fd.sip port=%fd.sport mode=%evt.arg.mode)"
	f, err := engine.CompileFormat(text, benchOpts)
	if err != nil {
		b.Fatal(err)
	}
	ev := sampleEvent()
	buf := make([]byte, 0, 1024)
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = f.Append(buf[:0], ev)
		}
	})
	b.Run("json-fields", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = f.AppendJSONFields(buf[:0], ev)
		}
	})
}
