package scap

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzDecode seeds from the repository's own recordings")

func FuzzDecode(f *testing.F) {
	openX := AppendEvent(nil, 10, 20, SyscallOpenX, EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0), EncUint64(99))
	f.Add(openX, false)
	f.Add(v1Event(openX), true)
	f.Add(AppendEvent(nil, 1, 2, PlugineventE, EncUint32(1), []byte("payload")), false)
	f.Add(AppendEvent(nil, 1, 2, GenericX, EncUint16(139), EncUint16(28)), false)
	f.Add(openX[:30], false)
	f.Fuzz(func(t *testing.T, b []byte, v1 bool) {
		var e Event
		if err := e.Decode(b, v1); err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error %T is not *DecodeError", err)
			}
			return
		}
		raw := e.Raw()
		if int(e.Len()) != len(raw) || len(raw) > len(b) || len(raw) < e.HeaderLen() {
			t.Fatalf("len %d raw %d input %d", e.Len(), len(raw), len(b))
		}
		var params [][]byte
		for i := 0; i < e.NumParams(); i++ {
			p := e.Param(i)
			if p == nil {
				t.Fatalf("param %d nil", i)
			}
			params = append(params, p)
			_, _ = e.ParamInt64(i)
			_, _ = e.ParamUint64(i)
			_ = e.ParamString(i)
			if pi, ok := e.ParamInfo(i); ok {
				_ = FormatParam(pi, p)
			}
		}
		_ = AppendArgs(nil, &e)
		_ = e.TypeName()
		if id := e.DispatchID(); id < 0 {
			t.Fatalf("dispatch id %d", id)
		}
		// A version 2 event re-encodes to the same bytes, except for
		// unused bytes after its last parameter (which Decode tolerates,
		// as libscap does): those only change the len field.
		if !v1 {
			again := AppendEvent(nil, e.Ts(), e.Tid(), e.Type(), params...)
			if len(again) > len(raw) || !bytes.Equal(again[:16], raw[:16]) || !bytes.Equal(again[20:], raw[20:len(again)]) {
				t.Fatalf("re-encoding differs:\n%x\n%x", again, raw)
			}
			if len(again) == len(raw) && !bytes.Equal(again, raw) {
				t.Fatalf("re-encoding differs in len:\n%x\n%x", again, raw)
			}
		}
	})
}

// TestUpdateFuzzSeeds writes one seed per distinct event type found in the
// repository's own recordings (testdata/attacks, testdata/benign,
// testdata/demo; never the shared reference captures, which stay outside
// the repository), each as a version 2 event and, where it decodes as one,
// the same event with a version 1 header (go test -run UpdateFuzzSeeds
// -update-seeds).
func TestUpdateFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, pattern := range []string{"attacks/*.scap.zst", "benign/*.scap.zst", "demo/*.scap.zst"} {
		m, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", pattern))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	seen := map[Type]bool{}
	write := func(name string, raw []byte, v1 bool) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", raw, v1)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range paths {
		for _, ce := range walkCapture(t, path) {
			var e Event
			if err := e.Decode(ce.raw, ce.v1); err != nil {
				t.Fatal(err)
			}
			if seen[e.Type()] || len(e.Raw()) > 4096 {
				continue
			}
			seen[e.Type()] = true
			write(fmt.Sprintf("trace-%s-v2", e.Type()), e.Raw(), false)
			if old := v1Event(e.Raw()); e.Decode(old, true) == nil {
				write(fmt.Sprintf("trace-%s-v1", e.Type()), old, true)
			}
		}
	}
	t.Logf("wrote seeds for %d event types", len(seen))
}

// FuzzFormatParam renders arbitrary bytes as every parameter type, with
// each flag and dynamic table, and a print format: it must never panic.
func FuzzFormatParam(f *testing.F) {
	f.Add(uint8(PTFlags32), uint8(0), uint8(PFHex), []byte{1, 0, 0, 0})
	f.Add(uint8(PTSockTuple), uint8(0), uint8(PFNA), EncSockTupleUnix(1, 2, "/x"))
	f.Add(uint8(PTFDList), uint8(0), uint8(PFNA), []byte{2, 0, 3, 0})
	f.Add(uint8(PTDyn), uint8(200), uint8(PFDec), []byte{1, 2})
	f.Add(uint8(PTInt8), uint8(0), uint8(PF10PaddedDec), []byte{0x80})
	names := FlagTableNames()
	dyns := []string{"sockopt_dynamic_param", "ptrace_dynamic_param", "bpf_dynamic_param", "keyctl_dynamic_param"}
	f.Fuzz(func(t *testing.T, typ, table, format uint8, raw []byte) {
		p := Param{Name: "x", Type: ParamType(typ % 50), Format: PrintFormat(format % 7), DirFD: -1}
		if p.Type == PTDyn {
			p.Table = dyns[int(table)%len(dyns)]
		} else if table < 200 {
			p.Table = names[int(table)%len(names)]
		}
		a := FormatParam(p, raw)
		b := string(AppendParamArg(nil, p, raw))
		if a == "" && b != "" {
			t.Fatalf("empty %%evt.args rendering but %%evt.arg %q", b)
		}
	})
}
