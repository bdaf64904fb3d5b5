package scap

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// sampleValue returns a plausible encoded value for a parameter, for
// crafted events: fd 3, paths under /tmp, loopback addresses.
func sampleValue(p Param, tid int64) []byte {
	lo := netip.MustParseAddr("127.0.0.1")
	switch p.Type {
	case PTFD:
		if p.Name == "dirfd" || p.Name == "olddirfd" || p.Name == "newdirfd" || p.Name == "linkdirfd" || p.Name == "olddir" || p.Name == "newdir" {
			return EncInt64(-100)
		}
		return EncInt64(3)
	case PTErrno:
		return EncInt64(0)
	case PTPID:
		return EncInt64(tid)
	case PTCharBuf:
		return EncString("x")
	case PTFSPath:
		return EncString("/tmp/retrace-x")
	case PTFSRelPath:
		return EncString("retrace-y")
	case PTByteBuf:
		return []byte("data")
	case PTSockAddr:
		return EncSockAddr(lo, 80)
	case PTSockTuple:
		return EncSockTuple(lo, 40000, lo, 80)
	case PTFDList:
		return EncFDList()
	case PTDyn:
		tab := dynTable(p.Table)
		if len(tab) == 0 {
			return []byte{0}
		}
		return append([]byte{0}, sampleValue(tab[0], tid)...)
	case PTSigType:
		return EncUint8(9)
	case PTMode:
		return EncUint32(0o644)
	}
	if n := p.Type.Size(); n > 0 {
		return make([]byte, n)
	}
	return nil
}

func sampleEvent(ts uint64, tid int64, t Type) []byte {
	info, _ := Lookup(t)
	params := make([][]byte, len(info.Params))
	for i, p := range info.Params {
		params[i] = sampleValue(p, tid)
	}
	return AppendEvent(nil, ts, tid, t, params...)
}

// TestProfileReadableBySysdig029 writes every profile entry's events into a
// capture and checks what real sysdig 0.29.3 makes of them: events it knows
// print with every parameter it knows, events it does not know vanish, and
// where the profile writes the enter event, sysdig resolves the exit's fd.
func TestProfileReadableBySysdig029(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	known, _ := alignSysdig029(readSysdig029(t))
	base := testutil.SharedFile(t, "captures", "falco_ping_sendto.scap")
	tid := int64(1)
	for _, ce := range walkCapture(t, base) {
		tid = int64(binary.LittleEndian.Uint64(ce.raw[8:]))
		break
	}
	type expect struct {
		p     ProfileEntry
		dir   byte
		nargs int
	}
	ts := uint64(1_700_000_000_000_000_000)
	var evs [][]byte
	var want []expect
	// An open of fd 3 first, so fds resolve.
	ts++
	evs = append(evs, sampleEvent(ts, tid, SyscallOpenX))
	for _, p := range Profile() {
		if et, ok := p.EnterType(); ok {
			ts++
			evs = append(evs, sampleEvent(ts, tid, et))
			if p.Sysdig029 {
				want = append(want, expect{p, 'E', len(known[et].params)})
			}
		}
		ts++
		evs = append(evs, sampleEvent(ts, tid, p.Exit))
		info, _ := Lookup(p.Exit)
		if p.Sysdig029 {
			want = append(want, expect{p, info.Dir, len(known[p.Exit].params)})
		}
	}
	// Rules 5 and 6: the container event (in a 0x221 block) prints, the
	// drop events are hidden, and a lone generic exit prints by its
	// syscall name.
	madvise, _ := SyscallID("madvise")
	json := `{"container":{"id":"0123456789ab","image":"busybox:latest","name":"t","type":0,"privileged":false,"Mounts":[],"env":[],"labels":{}}}`
	evs = append(evs,
		AppendEvent(nil, ts+1, tid, ContainerJsonV2E, EncString(json)),
		AppendEvent(nil, ts+2, tid, DropE, EncUint32(1)),
		AppendEvent(nil, ts+3, tid, DropX, EncUint32(1)),
		AppendEvent(nil, ts+4, tid, GenericSyscall, EncUint16(madvise), EncUint16(28)))
	path := craftCapture(t, base, evs...)
	rows := testutil.SysdigEvents(t, path, []string{"evt.type", "evt.dir", "fd.num", "evt.args"})
	if len(rows) != len(want)+3 {
		t.Fatalf("sysdig printed %d events, want %d (open, profile events 0.29.3 knows, container, generic):\n%s", len(rows), len(want)+3, sysdigText(rows))
	}
	if c := rows[len(rows)-2]; c[0] != "container" || c[1] != ">" || !strings.Contains(c[3], `"id":"0123456789ab"`) {
		t.Errorf("container event printed as %q", c)
	}
	if last := rows[len(rows)-1]; last[0] != "madvise" || last[1] != "<" {
		t.Errorf("generic exit printed as %q, want madvise <", last)
	}
	for i, w := range want {
		f := rows[i+1]
		info, _ := Lookup(w.p.Exit)
		dir := ">"
		if w.dir == 'X' {
			dir = "<"
		}
		if f[0] != info.Name || f[1] != dir {
			t.Errorf("%s: sysdig printed %q %q, want %s %s", w.p.Syscall, f[0], f[1], info.Name, dir)
			continue
		}
		args := f[3]
		if got := strings.Count(" "+args, "="); got < w.nargs {
			t.Errorf("%s %s: sysdig shows %d parameters, knows %d: %q", w.p.Syscall, dir, got, w.nargs, args)
		}
		// Where the enter event is written for its fd, the exit event's
		// fd resolves.
		if w.p.Enter && w.dir == 'X' {
			if se, ok := known[w.p.Exit-1]; ok && len(se.params) > 0 && se.params[0].name == "fd" && f[2] != "3" {
				t.Errorf("%s exit: fd.num %q, want 3 (from the enter event)", w.p.Syscall, f[2])
			}
		}
	}
	if t.Failed() {
		t.Logf("sysdig output:\n%s", sysdigText(rows))
	}
}

// TestSysdig029CrashesOnExecveatEnter documents why the profile does not
// write execveat enter events (docs/COMPATIBILITY.md SCAP-EXECVEAT-ENTER-029):
// sysdig 0.29.3 dies on one with a relative pathname. If this test fails,
// the sysdig in use no longer crashes and the exception can be lifted.
func TestSysdig029CrashesOnExecveatEnter(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	base := testutil.SharedFile(t, "captures", "falco_ping_sendto.scap")
	ts := uint64(1_700_000_000_000_000_000)
	enter := AppendEvent(nil, ts, 1, SyscallExecveatE, EncInt64(-100), EncString("bin/true"), EncUint32(0))
	exit := sampleEvent(ts+1, 1, SyscallExecveatX)
	if _, err := testutil.RunSysdig(t, craftCapture(t, base, enter, exit)); err == nil {
		t.Fatal("sysdig read an execveat enter event with a relative pathname; SCAP-EXECVEAT-ENTER-029 may be lifted")
	}
	// Without the enter event the same exit reads fine.
	if _, err := testutil.RunSysdig(t, craftCapture(t, base, exit)); err != nil {
		t.Fatalf("sysdig on the execveat exit alone: %v", err)
	}
}
