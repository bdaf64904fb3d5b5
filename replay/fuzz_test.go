package replay

import (
	"encoding/binary"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// FuzzApply feeds arbitrary event records to a State and extracts every
// registered field from each: nothing may panic, whatever the capture says.
func FuzzApply(f *testing.F) {
	var seed []byte
	seed = scap.AppendEvent(seed, 1, 200, scap.SyscallCloneV20X, scap.EncInt64(300), scap.EncString("sh"), scap.EncList("-c", "x"),
		scap.EncInt64(200), scap.EncInt64(200), scap.EncInt64(1), scap.EncString("/"))
	seed = scap.AppendEvent(seed, 2, 300, scap.SyscallOpenatV2X, scap.EncInt64(3), scap.EncInt64(-100), scap.EncString("../x"),
		scap.EncUint32(6), scap.EncUint32(0o755))
	seed = scap.AppendEvent(seed, 3, 300, scap.ContainerJsonV2E, scap.EncString(`{"container":{"id":"abc","Mounts":[{"Source":"/"}]}}`))
	seed = scap.AppendEvent(seed, 4, 300, scap.ProcexitV1E)
	f.Add(seed)
	reg := NewFieldRegistry()
	var binds []engine.Binding
	for _, fi := range reg.Fields() {
		arg := engine.Arg{Index: -1}
		switch {
		case fi.Arg == engine.ArgRequired && fi.ArgSyntax&engine.ArgIndex != 0:
			arg = engine.Arg{Present: true, Text: "1", Index: 1}
		case fi.Arg == engine.ArgRequired:
			arg = engine.Arg{Present: true, Text: "fd", Index: -1, Dotted: fi.ArgSyntax&engine.ArgDotted != 0}
		}
		b, err := reg.Bind(fi.Name, arg)
		if err != nil {
			f.Fatalf("bind %s: %v", fi.Name, err)
		}
		binds = append(binds, b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewState(Options{MaxThreads: 64})
		var ev scap.Event
		var vals []engine.Value
		for len(data) >= scap.HeaderLenV2 {
			n := int(binary.LittleEndian.Uint32(data[16:]))
			if n < scap.HeaderLenV2 || n > len(data) {
				return
			}
			if err := ev.Decode(data[:n], false); err == nil && ev.Info() != nil {
				e := s.Apply(&ev, false)
				for _, b := range binds {
					vals = b.Extractor.Extract(e, vals[:0])
				}
			}
			data = data[n:]
		}
	})
}
