package capture

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleHeader() *Header {
	return &Header{
		Machine: &MachineInfo{NumCPUs: 4, MemoryBytes: 1 << 33, MaxPID: 32768, Hostname: "host-1", BootTime: 1700000000000000000, Flags: 3},
		Interfaces: []Interface{
			{Type: InterfaceIPv4, Name: "eth0", Addr: netip.MustParseAddr("10.1.2.3"), Netmask: netip.MustParseAddr("255.255.0.0"), Broadcast: netip.MustParseAddr("10.1.255.255"), LinkSpeed: 10000},
			{Type: InterfaceIPv4NoLinkSpeed, Name: "lo", Addr: netip.MustParseAddr("127.0.0.1"), Netmask: netip.MustParseAddr("255.0.0.0"), Broadcast: netip.MustParseAddr("127.255.255.255")},
			{Type: InterfaceIPv6, Name: "eth0", Addr: netip.MustParseAddr("fe80::1"), Netmask: netip.MustParseAddr("ffff:ffff:ffff:ffff::"), Broadcast: netip.MustParseAddr("::"), LinkSpeed: 1},
			{Type: InterfaceIPv6NoLinkSpeed, Name: "lo", Addr: netip.MustParseAddr("::1"), Netmask: netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Broadcast: netip.MustParseAddr("::")},
		},
		Users:     []User{{UID: 0, GID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/sh"}, {UID: 65534, GID: 65534, Name: "nobody", HomeDir: "/nonexistent", Shell: "/usr/sbin/nologin"}},
		Groups:    []Group{{GID: 0, Name: "root"}, {GID: 4, Name: "adm"}},
		Processes: []Process{fullProcess(1), fullProcess(42)},
		FDs: []FDList{{TID: 42, FDs: []FD{
			{Num: 0, Ino: 1, Type: FDFileV2, Name: "/dev/pts/0", OpenFlags: 3, Dev: 0x88},
			{Num: 3, Ino: 2, Type: FDIPv4Sock, SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.2"), SrcPort: 5000, DstPort: 80, L4Proto: 3},
			{Num: 4, Ino: 3, Type: FDIPv4ServSock, SrcIP: netip.MustParseAddr("0.0.0.0"), SrcPort: 22, L4Proto: 3},
			{Num: 5, Ino: 4, Type: FDIPv6Sock, SrcIP: netip.MustParseAddr("::1"), DstIP: netip.MustParseAddr("2001:db8::1"), SrcPort: 6000, DstPort: 443, L4Proto: 3},
			{Num: 6, Ino: 5, Type: FDIPv6ServSock, SrcIP: netip.MustParseAddr("::"), SrcPort: 8080, L4Proto: 3},
			{Num: 7, Ino: 6, Type: FDUnixSock, UnixSource: 0xffff1, UnixDest: 0xffff2, Name: "/run/docker.sock"},
			{Num: 8, Ino: 7, Type: FDPipeName(), Name: "pipe:[123]"},
			{Num: 9, Ino: 8, Type: FDMemFD, Name: "memfd:x"},
			{Num: 10, Ino: 9, Type: FDUnknown},
		}}},
	}
}

// FDPipeName returns the FIFO type (a helper so the table reads well).
func FDPipeName() uint8 { return FDFifo }

func fullProcess(tid uint64) Process {
	return Process{TID: tid, PID: tid, PTID: 1, SID: 7, VPGID: 8, Comm: "bash", Exe: "/bin/bash", ExePath: "/usr/bin/bash",
		Args: []string{"-c", "", "echo hi"}, Cwd: "/root", FDLimit: 1024, Flags: 0x10, UID: 0, GID: 0,
		VMSizeKB: 1, VMRSSKB: 2, VMSwapKB: 3, PageFaultsMaj: 4, PageFaultsMin: 5, Env: []string{"A=1", "B=2"},
		VTID: int64(tid), VPID: int64(tid), Cgroups: []string{"cpu=/docker/abc"}, Root: "/",
		PidnsInitStartTS: 9, TTY: 34816, LoginUID: 1000, ExeWritable: true, CapInheritable: 1, CapPermitted: 2, CapEffective: 3,
		ExeUpperLayer: true, ExeIno: 10, ExeInoCtime: 11, ExeInoMtime: 12, ExeFromMemfd: true, ExeLowerLayer: true, PGID: 13}
}

// decodeAll decodes the header blocks of raw.
func decodeAll(t *testing.T, raw []byte) *Header {
	t.Helper()
	h := &Header{}
	for len(raw) > 0 {
		b, err := splitBlock(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.addBlock(b); err != nil {
			t.Fatalf("decode %s: %v", BlockName(b.Type), err)
		}
		raw = raw[len(b.Raw):]
	}
	return h
}

func TestHeaderRoundTrip(t *testing.T) {
	want := sampleHeader()
	got := decodeAll(t, AppendHeader(nil, want))
	got.BlockCounts = nil
	want.Version = SectionVersion{1, 2}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("header round trip (-want +got):\n%s", diff)
	}
}

// appendProcessVersion encodes p as a process list entry of version v
// (1..9), the layout libscap's readers accept, so every version is tested.
func appendProcessVersion(dst []byte, p Process, v int) []byte {
	le := binary.LittleEndian
	start := len(dst)
	if v >= 9 {
		dst = le.AppendUint32(dst, 0)
	}
	dst = le.AppendUint64(dst, p.TID)
	dst = le.AppendUint64(dst, p.PID)
	dst = le.AppendUint64(dst, p.PTID)
	if v >= 6 {
		dst = le.AppendUint64(dst, uint64(p.SID))
	}
	if v >= 8 {
		dst = le.AppendUint64(dst, uint64(p.VPGID))
	}
	dst = appendStr(dst, p.Comm)
	dst = appendStr(dst, p.Exe)
	if v >= 7 {
		dst = appendStr(dst, p.ExePath)
	}
	dst = appendList(dst, p.Args)
	dst = appendStr(dst, p.Cwd)
	dst = le.AppendUint64(dst, p.FDLimit)
	dst = le.AppendUint32(dst, p.Flags)
	dst = le.AppendUint32(dst, p.UID)
	dst = le.AppendUint32(dst, p.GID)
	if v >= 2 {
		dst = le.AppendUint32(dst, p.VMSizeKB)
		dst = le.AppendUint32(dst, p.VMRSSKB)
		dst = le.AppendUint32(dst, p.VMSwapKB)
		dst = le.AppendUint64(dst, p.PageFaultsMaj)
		dst = le.AppendUint64(dst, p.PageFaultsMin)
	}
	if v >= 3 {
		dst = appendList(dst, p.Env)
	}
	if v >= 4 {
		dst = le.AppendUint64(dst, uint64(p.VTID))
		dst = le.AppendUint64(dst, uint64(p.VPID))
		dst = appendList(dst, p.Cgroups)
	}
	if v >= 5 {
		dst = appendStr(dst, p.Root)
	}
	if v >= 9 {
		// A pre-0.10 producer's tail: loginuid, exe_writable, capabilities.
		dst = le.AppendUint32(dst, p.LoginUID)
		dst = append(dst, boolByte(p.ExeWritable))
		dst = le.AppendUint64(dst, p.CapInheritable)
		dst = le.AppendUint64(dst, p.CapPermitted)
		dst = le.AppendUint64(dst, p.CapEffective)
		le.PutUint32(dst[start:], uint32(len(dst)-start))
	}
	return dst
}

// TestProcessListVersions decodes PL V1..V9 (current and legacy codes) and
// checks that every version yields the fields it carries and libscap's
// defaults for the others.
func TestProcessListVersions(t *testing.T) {
	codes := map[int][]uint32{1: {BlockPLV1, BlockPLV1Legacy}, 2: {BlockPLV2, BlockPLV2Legacy}, 3: {BlockPLV3, BlockPLV3Legacy},
		4: {BlockPLV4}, 5: {BlockPLV5}, 6: {BlockPLV6}, 7: {BlockPLV7}, 8: {BlockPLV8}, 9: {BlockPLV9}}
	full := fullProcess(99)
	for v := 1; v <= 9; v++ {
		want := Process{TID: 99, PID: 99, PTID: 1, SID: -1, VPGID: -1, VTID: -1, VPID: -1, PGID: -1, LoginUID: ^uint32(0),
			Comm: full.Comm, Exe: full.Exe, Args: full.Args, Cwd: full.Cwd, FDLimit: full.FDLimit, Flags: full.Flags}
		if v >= 2 {
			want.VMSizeKB, want.VMRSSKB, want.VMSwapKB, want.PageFaultsMaj, want.PageFaultsMin = 1, 2, 3, 4, 5
		}
		if v >= 3 {
			want.Env = full.Env
		}
		if v >= 4 {
			want.VTID, want.VPID, want.Cgroups = full.VTID, full.VPID, full.Cgroups
		}
		if v >= 5 {
			want.Root = full.Root
		}
		if v >= 6 {
			want.SID = full.SID
		}
		if v >= 7 {
			want.ExePath = full.ExePath
		}
		if v >= 8 {
			want.VPGID = full.VPGID
		}
		if v >= 9 {
			want.LoginUID, want.ExeWritable, want.CapInheritable, want.CapPermitted, want.CapEffective = 1000, true, 1, 2, 3
		}
		for _, code := range codes[v] {
			t.Run(BlockName(code)+"/"+hex(code), func(t *testing.T) {
				body := appendProcessVersion(nil, full, v)
				body = appendProcessVersion(body, full, v)
				raw := appendBlock(nil, code, body)
				h := decodeAll(t, raw)
				if diff := cmp.Diff([]Process{want, want}, h.Processes); diff != "" {
					t.Errorf("PL_V%d (-want +got):\n%s", v, diff)
				}
			})
		}
	}
}

func hex(v uint32) string {
	const digits = "0123456789ABCDEF"
	b := []byte("0x")
	started := false
	for i := 28; i >= 0; i -= 4 {
		d := (v >> i) & 0xF
		if d != 0 || started || i == 0 {
			b = append(b, digits[d])
			started = true
		}
	}
	return string(b)
}

// TestHeaderBlockErrors feeds malformed header blocks and checks the
// decoder's message.
func TestHeaderBlockErrors(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name string
		typ  uint32
		body []byte
		want string
	}{
		{"shb bad magic", BlockSHB, make([]byte, 16), "section header: byte-order magic 0x00000000, want 0x1A2B3C4D"},
		{"shb short", BlockSHB, []byte{1, 2, 3, 4}, "section header: body of 4 bytes, want 16"},
		{"pl string past end", BlockPLV6, append(make([]byte, 32), 0xff, 0xff), "process list V6: entry at offset 0: comm at offset 34: need 65535 bytes, 2 left"},
		{"pl v9 entry length too short", BlockPLV9, le.AppendUint32(appendProcessVersion(nil, fullProcess(1), 8)[:0], 8), "process list V9: entry at offset 0: tid at offset 4: need 8 bytes, 0 left"},
		{"fdl entry length lies", BlockFDLV2, append(le.AppendUint64(nil, 7), le.AppendUint32(make([]byte, 0), 5)...), "fd list of tid 7: entry at offset 8: fd at offset 12: need 8 bytes, 0 left"},
		{"interface type unknown", BlockIL, []byte{9, 0, 0, 0}, "interface list: unknown interface type 9 at offset 0"},
		{"user name past end", BlockUL, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0}, "user list: user name at offset 11: need 9 bytes, 1 left"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := appendBlock(nil, tc.typ, tc.body)
			b, err := splitBlock(raw)
			if err != nil {
				t.Fatal(err)
			}
			h := &Header{}
			err = h.addBlock(b)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}
