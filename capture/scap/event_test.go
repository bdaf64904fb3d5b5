package scap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// v1Event builds an event record with the 22-byte version 1 header (no
// nparams field) from a version 2 record.
func v1Event(v2 []byte) []byte {
	out := append([]byte(nil), v2[:22]...)
	out = append(out, v2[26:]...)
	binary.LittleEndian.PutUint32(out[16:], uint32(len(out)))
	return out
}

// decoded is what a test expects Decode to find.
type decoded struct {
	Ts     uint64
	Tid    int64
	Len    uint32
	Type   Type
	Params [][]byte
}

func view(e *Event) decoded {
	d := decoded{Ts: e.Ts(), Tid: e.Tid(), Len: e.Len(), Type: e.Type()}
	for i := 0; i < e.NumParams(); i++ {
		d.Params = append(d.Params, e.Param(i))
	}
	return d
}

func TestDecode(t *testing.T) {
	openX := AppendEvent(nil, 10, 20, SyscallOpenX, EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0), EncUint64(99))
	openX5 := AppendEvent(nil, 10, 20, SyscallOpenX, EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0))
	closeX3 := AppendEvent(nil, 1, 2, SyscallCloseX, EncInt64(0), EncInt64(4), []byte("extra"))
	big := make([]byte, 70000)
	plugin := AppendEvent(nil, 5, 6, PlugineventE, EncUint32(7), big)
	unknown := AppendEvent(nil, 5, 6, Type(999), []byte{1, 2})
	empty := AppendEvent(nil, 5, 6, SyscallGetuidE)
	tests := []struct {
		name string
		b    []byte
		v1   bool
		want decoded
	}{
		{"v2 all params", openX, false, decoded{10, 20, uint32(len(openX)), SyscallOpenX,
			[][]byte{EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0), EncUint64(99)}}},
		{"v2 fewer params (older producer)", openX5, false, decoded{10, 20, uint32(len(openX5)), SyscallOpenX,
			[][]byte{EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0)}}},
		{"v2 more params (newer producer)", closeX3, false, decoded{1, 2, uint32(len(closeX3)), SyscallCloseX,
			[][]byte{EncInt64(0), EncInt64(4), []byte("extra")}}},
		{"v1 all params", v1Event(openX), true, decoded{10, 20, uint32(len(openX) - 4), SyscallOpenX,
			[][]byte{EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0), EncUint64(99)}}},
		{"v1 fewer params", v1Event(openX5), true, decoded{10, 20, uint32(len(openX5) - 4), SyscallOpenX,
			[][]byte{EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0)}}},
		{"large payload u32 lengths", plugin, false, decoded{5, 6, uint32(len(plugin)), PlugineventE,
			[][]byte{EncUint32(7), big}}},
		{"unknown type v2", unknown, false, decoded{5, 6, uint32(len(unknown)), 999, [][]byte{{1, 2}}}},
		{"no params", empty, false, decoded{5, 6, 26, SyscallGetuidE, nil}},
		{"trailing padding ignored", append(append([]byte(nil), openX...), 0, 0, 0), false,
			decoded{10, 20, uint32(len(openX)), SyscallOpenX,
				[][]byte{EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0o644), EncUint32(0), EncUint64(99)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Event
			if err := e.Decode(tc.b, tc.v1); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, view(&e)); diff != "" {
				t.Errorf("decode mismatch (-want +got):\n%s", diff)
			}
			if e.Param(-1) != nil || e.Param(e.NumParams()) != nil {
				t.Error("out-of-range Param is not nil")
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := AppendEvent(nil, 1, 2, SyscallOpenX, EncInt64(3), EncString("/x"), EncUint32(1), EncUint32(0))
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name    string
		b       []byte
		v1      bool
		offset  int
		unknown bool
	}{
		{"short header", good[:20], false, 0, false},
		{"len below header", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], 25); return b }), false, 16, false},
		{"len past end", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], uint32(len(b)+1)); return b }), false, 16, false},
		{"absurd len", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], 0xffffffff); return b }), false, 16, false},
		{"too many params", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[22:], MaxParams+1); return b }), false, 22, false},
		{"lengths array past len", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[22:], 40); return b }), false, 26, false},
		{"param length past len", mut(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[28:], 0xffff); return b }), false, 28, false},
		{"v1 lengths never add up", mut(func(b []byte) []byte {
			b = v1Event(b)
			binary.LittleEndian.PutUint16(b[22:], 9)
			return b
		}), true, 22, false},
		{"v1 unknown type", mut(func(b []byte) []byte {
			b = v1Event(b)
			binary.LittleEndian.PutUint16(b[20:], 999)
			return b
		}), true, 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Event
			err := e.Decode(tc.b, tc.v1)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DecodeError", err)
			}
			if de.Offset != tc.offset {
				t.Errorf("offset = %d, want %d (%v)", de.Offset, tc.offset, err)
			}
			if errors.Is(err, ErrUnknownType) != tc.unknown {
				t.Errorf("errors.Is(ErrUnknownType) = %v, want %v", !tc.unknown, tc.unknown)
			}
		})
	}
}

func TestParamByName(t *testing.T) {
	b := AppendEvent(nil, 1, 2, SyscallOpenatV2X, EncInt64(5), EncInt64(-100), EncString("etc/passwd"), EncUint32(0), EncUint32(0))
	var e Event
	if err := e.Decode(b, false); err != nil {
		t.Fatal(err)
	}
	if v, ok := e.ParamByName("name"); !ok || string(TrimNUL(v)) != "etc/passwd" {
		t.Errorf("name = %q, %v", v, ok)
	}
	if _, ok := e.ParamByName("ino"); ok {
		t.Error("ino present although the event has 5 params")
	}
	if _, ok := e.ParamByName("nosuch"); ok {
		t.Error("nosuch present")
	}
	if fd, ok := e.ParamInt64(1); !ok || fd != -100 {
		t.Errorf("dirfd = %d, %v", fd, ok)
	}
	if p, ok := e.ParamInfo(2); !ok || p.Type != PTFSRelPath || p.DirFD != 1 {
		t.Errorf("param 2 info = %+v", p)
	}
}

func TestTypeNameAndDispatch(t *testing.T) {
	var idx EventTypeIndex
	madvise, ok := SyscallID("madvise")
	if !ok || madvise != 139 {
		t.Fatalf("SyscallID(madvise) = %d, %v", madvise, ok)
	}
	tests := []struct {
		name     string
		b        []byte
		typeName string
		dispatch int
	}{
		{"open exit", AppendEvent(nil, 1, 1, SyscallOpenX, EncInt64(3)), "open", int(SyscallOpenX)},
		{"generic madvise", AppendEvent(nil, 1, 1, GenericX, EncUint16(madvise), EncUint16(28)), "madvise", NumTypes + 139},
		{"generic enter", AppendEvent(nil, 1, 1, GenericE, EncUint16(madvise), EncUint16(28)), "madvise", NumTypes + 139},
		{"generic unknown id, native pidfd_send_signal", AppendEvent(nil, 1, 1, GenericX, EncUint16(0), EncUint16(424)), "pidfd_send_signal", NumTypes + 348},
		{"generic unknown id, unknown native", AppendEvent(nil, 1, 1, GenericX, EncUint16(0), EncUint16(999)), "unknown", NumTypes},
		{"generic unknown id, no native", AppendEvent(nil, 1, 1, GenericX, EncUint16(0)), "unknown", NumTypes},
		{"generic bad id", AppendEvent(nil, 1, 1, GenericX, EncUint16(60000)), "syscall", int(GenericX)},
		{"generic no id", AppendEvent(nil, 1, 1, GenericX), "syscall", int(GenericX)},
		{"unknown type", AppendEvent(nil, 1, 1, Type(NumTypes+3)), "", NumTypes + 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Event
			if err := e.Decode(tc.b, false); err != nil {
				t.Fatal(err)
			}
			if got := e.TypeName(); got != tc.typeName {
				t.Errorf("TypeName = %q, want %q", got, tc.typeName)
			}
			if got := e.DispatchID(); got != tc.dispatch {
				t.Errorf("DispatchID = %d, want %d", got, tc.dispatch)
			}
			if tc.typeName != "" && tc.dispatch < idx.Count() && idx.Name(tc.dispatch) != tc.typeName {
				t.Errorf("index name of %d = %q, want %q", tc.dispatch, idx.Name(tc.dispatch), tc.typeName)
			}
		})
	}
}

func TestEventTypeIndex(t *testing.T) {
	var idx EventTypeIndex
	if idx.Count() != NumTypes+NumSyscalls {
		t.Errorf("Count = %d", idx.Count())
	}
	open := idx.IDs("open")
	want := []int{int(SyscallOpenE), int(SyscallOpenX), NumTypes + 5}
	if diff := cmp.Diff(want, open); diff != "" {
		t.Errorf("IDs(open) (-want +got):\n%s", diff)
	}
	execve := idx.IDs("execve")
	// execve has 8 versions of enter/exit pairs in the table plus its
	// generic id.
	if len(execve) != 17 {
		t.Errorf("IDs(execve) = %v", execve)
	}
	for _, id := range execve {
		if idx.Name(id) != "execve" {
			t.Errorf("id %d is %q", id, idx.Name(id))
		}
	}
	if ids := idx.IDs("no_such_syscall"); ids != nil {
		t.Errorf("IDs(no_such_syscall) = %v", ids)
	}
	if ids := idx.IDs("NA"); ids != nil {
		t.Errorf("unused codes listed: %v", ids)
	}
	if idx.Name(-1) != "" || idx.Name(idx.Count()) != "" {
		t.Error("out-of-range ids have names")
	}
}

func TestBuilderMatchesAppendEvent(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	var b Builder
	got := b.Begin(7, 8, SocketConnectX).Int64(0).SockTuple(lo, 1, lo, 2).Int64(4).SockAddr(lo, 2).AppendTo(nil)
	want := AppendEvent(nil, 7, 8, SocketConnectX, EncInt64(0), EncSockTuple(lo, 1, lo, 2), EncInt64(4), EncSockAddr(lo, 2))
	if !bytes.Equal(got, want) {
		t.Errorf("builder:\n%x\nAppendEvent:\n%x", got, want)
	}
	got = b.Begin(1, 2, PlugineventE).Uint32(3).Bytes([]byte("xyz")).AppendTo(got[:0])
	want = AppendEvent(nil, 1, 2, PlugineventE, EncUint32(3), []byte("xyz"))
	if !bytes.Equal(got, want) {
		t.Errorf("large builder:\n%x\nAppendEvent:\n%x", got, want)
	}
	got = b.Begin(1, 2, SyscallExecveV19X).Int64(0).String("a").List("a", "b").Empty().Uint8(1).Uint16(2).Int32(-3).Uint64(4).AppendTo(got[:0])
	want = AppendEvent(nil, 1, 2, SyscallExecveV19X, EncInt64(0), EncString("a"), EncList("a", "b"), nil, EncUint8(1), EncUint16(2), EncInt32(-3), EncUint64(4))
	if !bytes.Equal(got, want) {
		t.Errorf("mixed builder:\n%x\nAppendEvent:\n%x", got, want)
	}
	var items []string
	for it := range Items(EncList("x", "y")) {
		items = append(items, string(it))
	}
	if len(items) != 2 || items[0] != "x" || items[1] != "y" {
		t.Errorf("Items = %q", items)
	}
}

func TestAppendEventCutsLongParams(t *testing.T) {
	long := make([]byte, 70000)
	b := AppendEvent(nil, 1, 2, SyscallWriteX, EncInt64(70000), long)
	var e Event
	if err := e.Decode(b, false); err != nil {
		t.Fatal(err)
	}
	if len(e.Param(1)) != 65535 {
		t.Errorf("data length %d, want 65535", len(e.Param(1)))
	}
}

func TestDecodeErrorLeavesEmptyView(t *testing.T) {
	var e Event
	good := AppendEvent(nil, 1, 2, SyscallOpenX, EncInt64(3), EncString("/a/long/path/name"), EncUint32(1))
	if err := e.Decode(good, false); err != nil {
		t.Fatal(err)
	}
	bad := AppendEvent(nil, 1, 2, SyscallCloseX, EncInt64(0), EncInt64(3))
	binary.LittleEndian.PutUint16(bad[28:], 0xffff) // second length runs past the end
	if err := e.Decode(bad, false); err == nil {
		t.Fatal("no error")
	}
	if e.NumParams() != 0 || e.Param(0) != nil || e.Raw() != nil || e.Info() != nil {
		t.Errorf("view not empty after error: %d params", e.NumParams())
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	var e Event
	err := e.Decode(make([]byte, 10), false)
	want := "decode event: offset 0: event header needs 26 bytes, have 10"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestProfileFor(t *testing.T) {
	p, ok := ProfileFor("close")
	if !ok || p.Exit != SyscallCloseX || !p.Enter {
		t.Errorf("ProfileFor(close) = %+v, %v", p, ok)
	}
	if et, ok := p.EnterType(); !ok || et != SyscallCloseE || !et.IsEnter() || p.Exit.IsEnter() {
		t.Errorf("close enter type %v, %v", et, ok)
	}
	if _, ok := ProfileFor("getpid"); ok {
		t.Error("getpid is not in the profile")
	}
	if p, _ := ProfileFor("openat"); p.Enter {
		t.Error("openat writes no enter event")
	}
	got := Profile()
	got[0].Syscall = "changed"
	if Profile()[0].Syscall == "changed" {
		t.Error("Profile returns shared data")
	}
}
