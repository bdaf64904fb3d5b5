package scap

import (
	"net/netip"
	"strings"
	"testing"
)

func TestFormatParam(t *testing.T) {
	info := func(t Type, i int) Param { in, _ := Lookup(t); return in.Params[i] }
	v4 := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("2001:db8::4")
	long := strings.Repeat("a", 100)
	tests := []struct {
		name string
		p    Param
		raw  []byte
		args string // %evt.args rendering
		arg  string // %evt.arg.NAME rendering
	}{
		{"open flags", info(SyscallOpenX, 2), EncUint32(4097), "4097(O_RDONLY|O_CLOEXEC)", "O_RDONLY|O_CLOEXEC"},
		{"open flags none", info(SyscallOpenX, 2), EncUint32(0), "0(O_NONE)", "O_NONE"},
		{"open flags rdwr creat", info(SyscallOpenX, 2), EncUint32(3 | 4), "7(O_CREAT|O_RDWR)", "O_CREAT|O_RDWR"},
		{"mode octal", info(SyscallOpenX, 3), EncUint32(0o644), "0644", "0644"},
		{"mode zero", info(SyscallOpenX, 3), EncUint32(0), "0", "0"},
		{"chmod mode", info(SyscallChmodX, 2), EncUint32(0o644), "0644(S_IROTH|S_IRGRP|S_IWUSR|S_IRUSR)", "S_IROTH|S_IRGRP|S_IWUSR|S_IRUSR"},
		{"errno", info(SyscallCloseX, 0), EncInt64(-2), "-2(ENOENT)", "ENOENT"},
		{"errno unnamed", info(SyscallCloseX, 0), EncInt64(-200), "-200", "-200"},
		{"res ok", info(SyscallCloseX, 0), EncInt64(0), "0", "0"},
		{"fd", info(SyscallOpenX, 0), EncInt64(3), "3", "3"},
		{"fd error", info(SyscallOpenX, 0), EncInt64(-13), "-13(EACCES)", "EACCES"},
		{"dirfd cwd", info(SyscallOpenatV2X, 1), EncInt64(-100), "-100(AT_FDCWD)", "AT_FDCWD"},
		{"path", info(SyscallOpenX, 1), EncString("/etc/pa\x01sswd"), "/etc/passwd", "/etc/passwd"},
		{"charbuf raw", info(SyscallExecveV19X, 1), EncString("ca t"), "ca t", "ca t"},
		{"bytebuf dots", info(SyscallReadX, 1), []byte("GET /\r\n\x00"), "GET /...", "GET /..."},
		{"bytebuf cut", info(SyscallReadX, 1), []byte(long), long[:77] + "...", long[:77] + "..."},
		{"bytebuf 80", info(SyscallReadX, 1), []byte(long[:80]), long[:80], long[:80]},
		{"sockaddr v4", info(SocketBindX, 1), EncSockAddr(v4, 80), "127.0.0.1:80", "127.0.0.1:80"},
		{"sockaddr v6", info(SocketBindX, 1), EncSockAddr(v6, 1234), "2001:db8::4:1234", "2001:db8::4:1234"},
		{"sockaddr unix", info(SocketBindX, 1), EncSockAddrUnix("/run/x.sock"), "/run/x.sock", "/run/x.sock"},
		{"sockaddr empty", info(SocketBindX, 1), nil, "NULL", "NULL"},
		{"sockaddr short", info(SocketBindX, 1), []byte{AFInet, 1}, "INVALID IPv4", "INVALID IPv4"},
		{"sockaddr family", info(SocketBindX, 1), []byte{16, 0}, "family 16", "family 16"},
		{"tuple v4", info(SocketConnectX, 1), EncSockTuple(v4, 47192, v4, 80), "127.0.0.1:47192->127.0.0.1:80", "127.0.0.1:47192->127.0.0.1:80"},
		{"tuple v6", info(SocketConnectX, 1), EncSockTuple(v6, 1, v6, 2), "2001:db8::4:1->2001:db8::4:2", "2001:db8::4:1->2001:db8::4:2"},
		{"tuple v4 mapped", info(SocketConnectX, 1), EncSockTuple(netip.AddrFrom16(v4.As16()), 1, netip.AddrFrom16(v4.As16()), 2), "127.0.0.1:1->127.0.0.1:2", "127.0.0.1:1->127.0.0.1:2"},
		{"tuple unix", info(SocketConnectX, 1), EncSockTupleUnix(0, 0xffff88003c420800, "/var/run/nscd/socket"), "0->ffff88003c420800 /var/run/nscd/socket", "0->ffff88003c420800 /var/run/nscd/socket"},
		{"fdlist", info(SyscallPollE, 0), EncFDList(FDListItem{4, 1}, FDListItem{7, 0}), "4:?1 7:?0", "4:?1 7:?0"},
		{"syscall id", info(GenericX, 0), EncUint16(139), "139(madvise)", "madvise"},
		{"syscall id unknown", info(GenericX, 0), EncUint16(60000), "<unknown syscall>", "<unknown syscall>"},
		{"signal", info(SyscallKillE, 1), EncUint8(9), "9(SIGKILL)", "SIGKILL"},
		{"signal zero", info(SyscallKillE, 1), EncUint8(0), "0", "0"},
		{"reltime", info(SyscallNanosleepE, 0), EncUint64(1_000_000_000), "1000000000(1s)", "1s"},
		{"reltime frac", info(SyscallNanosleepE, 0), EncUint64(1_500_000), "1500000(0.0015s)", "0.0015s"},
		{"reltime none", info(SyscallNanosleepE, 0), EncUint64(^uint64(0)), "none", "none"},
		{"enum socket family", info(SocketSocketE, 0), EncUint32(2), "2(AF_INET)", "AF_INET"},
		{"enum local", info(SocketSocketE, 0), EncUint32(1), "1(AF_LOCAL)", "AF_LOCAL"},
		{"prctl option is one enum value", info(SyscallPrctlX, 1), EncUint32(23), "23(PR_CAPBSET_READ)", "PR_CAPBSET_READ"},
		{"prctl set name", info(SyscallPrctlX, 1), EncUint32(15), "15(PR_SET_NAME)", "PR_SET_NAME"},
		{"prctl option named twice in the table", info(SyscallPrctlX, 1), EncUint32(33), "33(PR_MCE_KILL|PR_MCE_KILL)", "PR_MCE_KILL|PR_MCE_KILL"},
		{"prctl unknown option", info(SyscallPrctlX, 1), EncUint32(99), "99", "99"},
		{"bpf command", info(SyscallBpfV2X, 1), EncUint32(5), "5(BPF_PROG_LOAD)", "BPF_PROG_LOAD"},
		{"fcntl cmd as sysdig 0.29.3 renders it", info(SyscallFcntlE, 1), EncUint8(7), "7(F_GETLK|F_DUPFD)", "F_GETLK|F_DUPFD"},
		{"lseek whence as sysdig 0.29.3 renders it", info(SyscallLseekE, 2), EncUint8(3), "3(SEEK_END|SEEK_CUR)", "SEEK_END|SEEK_CUR"},
		{"futex op", info(SyscallFutexE, 1), EncUint16(128), "128(FUTEX_PRIVATE_FLAG)", "FUTEX_PRIVATE_FLAG"},
		{"futex wait", info(SyscallFutexE, 1), EncUint16(0), "0(FUTEX_WAIT)", "FUTEX_WAIT"},
		{"hex u64", info(SyscallFutexE, 0), EncUint64(0x1CB67C4), "1CB67C4", "1CB67C4"},
		{"uid", info(SyscallSetuidE, 0), EncUint32(1000), "1000", "1000"},
		{"uid none", info(SyscallSetuidE, 0), EncUint32(^uint32(0)), "-1(<NONE>)", "<NONE>"},
		{"uint64 signed dec", info(SyscallGetrlimitX, 2), EncInt64(-1), "-1", "-1"},
		{"dyn fd", info(SyscallBpfX, 0), append([]byte{0}, EncInt64(5)...), "5", "5"},
		{"dyn errno", info(SyscallBpfX, 0), append([]byte{1}, EncInt64(-1)...), "-1(EPERM)", "EPERM"},
		{"dyn bad index", info(SyscallBpfX, 0), []byte{9, 0}, "INVALID DYNAMIC PARAMETER", "INVALID DYNAMIC PARAMETER"},
		{"wrong width", info(SyscallOpenX, 3), []byte{1, 2}, "INVALID", "INVALID"},
		{"empty number", info(SyscallOpenX, 3), nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatParam(tc.p, tc.raw); got != tc.args {
				t.Errorf("FormatParam = %q, want %q", got, tc.args)
			}
			if got := string(AppendParamArg(nil, tc.p, tc.raw)); got != tc.arg {
				t.Errorf("AppendParamArg = %q, want %q", got, tc.arg)
			}
		})
	}
}

func TestAppendArgs(t *testing.T) {
	b := AppendEvent(nil, 1, 2, SyscallOpenX, EncInt64(3), EncString("/etc/ld.so.cache"), EncUint32(4097), EncUint32(0), EncUint32(0))
	var e Event
	if err := e.Decode(b, false); err != nil {
		t.Fatal(err)
	}
	want := "fd=3 name=/etc/ld.so.cache flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=0 "
	if got := string(AppendArgs(nil, &e)); got != want {
		t.Errorf("AppendArgs = %q, want %q", got, want)
	}
	g := AppendEvent(nil, 1, 2, GenericX, EncUint16(139), EncUint16(28))
	if err := e.Decode(g, false); err != nil {
		t.Fatal(err)
	}
	if got := string(AppendArgs(nil, &e)); got != "" {
		t.Errorf("generic args = %q, want empty", got)
	}
}

func TestValues(t *testing.T) {
	v4 := netip.MustParseAddr("10.1.2.3")
	sa, ok := ParseSockAddr(EncSockAddr(v4, 443))
	if !ok || sa.Family != AFInet || sa.Addr != v4 || sa.Port != 443 {
		t.Errorf("sockaddr = %+v, %v", sa, ok)
	}
	if _, ok := ParseSockAddr([]byte{AFInet6, 1, 2}); ok {
		t.Error("short inet6 sockaddr accepted")
	}
	st, ok := ParseSockTuple(EncSockTupleUnix(1, 2, "/p"))
	if !ok || st.SrcPtr != 1 || st.DstPtr != 2 || string(st.Path) != "/p" {
		t.Errorf("unix tuple = %+v, %v", st, ok)
	}
	if _, ok := ParseSockTuple([]byte{AFInet, 1}); ok {
		t.Error("short tuple accepted")
	}
	fl := EncFDList(FDListItem{3, 1}, FDListItem{-1, 4})
	if n, ok := FDListLen(fl); !ok || n != 2 {
		t.Errorf("FDListLen = %d, %v", n, ok)
	}
	if fd, flags, ok := FDListEntry(fl, 1); !ok || fd != -1 || flags != 4 {
		t.Errorf("entry 1 = %d %d %v", fd, flags, ok)
	}
	if _, _, ok := FDListEntry(fl[:5], 0); ok {
		t.Error("truncated fdlist accepted")
	}
	var got []string
	for f, rest, ok := CutNUL(EncList("ls", "-l", "")); ok; f, rest, ok = CutNUL(rest) {
		got = append(got, string(f))
	}
	if strings.Join(got, ",") != "ls,-l," {
		t.Errorf("CutNUL items = %q", got)
	}
	if v, ok := Int64([]byte{0xff, 0xff}); !ok || v != -1 {
		t.Errorf("Int64 16-bit = %d", v)
	}
	if _, ok := Uint64([]byte{1, 2, 3}); ok {
		t.Error("3-byte integer accepted")
	}
}

func TestTableLookups(t *testing.T) {
	if _, ok := Lookup(NumTypes); ok {
		t.Error("Lookup(NumTypes) ok")
	}
	in, ok := Lookup(PlugineventE)
	if !ok || !in.Large() {
		t.Errorf("pluginevent not large: %+v", in)
	}
	if tab, ok := FlagTable("file_flags"); !ok || tab[len(tab)-1].Name != "FD_LOWER_LAYER" {
		t.Errorf("file_flags = %v", tab)
	}
	if _, ok := FlagTable("nope"); ok {
		t.Error("unknown flag table found")
	}
	if len(FlagTableNames()) < 50 {
		t.Errorf("only %d flag tables", len(FlagTableNames()))
	}
	// Every table an event parameter names exists.
	for c := range eventTable {
		for _, p := range eventTable[c].Params {
			if p.Table == "" {
				continue
			}
			_, f := FlagTable(p.Table)
			_, d := DynTable(p.Table)
			if !f && !d {
				t.Errorf("%s %s: table %s missing", eventTable[c].Enum, p.Name, p.Table)
			}
		}
	}
	if SyscallName(139) != "madvise" || SyscallName(NumSyscalls) != "" {
		t.Error("SyscallName")
	}
	if SyscallNameSysdig029(298) != "sigreturn" || SyscallNameSysdig029(139) != "madvise" || SyscallNameSysdig029(400) != "" {
		t.Error("SyscallNameSysdig029")
	}
	if ErrnoName(2) != "ENOENT" || ErrnoName(41) != "" || SignalName(9) != "SIGKILL" {
		t.Error("errno/signal names")
	}
	if SyscallOpenX.String() != "PPME_SYSCALL_OPEN_X" || Type(999).String() != "PPME_999" {
		t.Error("Type.String")
	}
	if (EFCreatesFD|EFOldVersion).String() != "CREATES_FD OLD_VERSION" || Flags(0).String() != "NONE" {
		t.Error("Flags.String")
	}
	if PTFSRelPath.String() != "FSRELPATH" {
		t.Error("ParamType.String")
	}
}

// fakeResolver resolves fd 3 and pid 42 like sysdig's state would.
type fakeResolver struct{}

func (fakeResolver) Resolve(e *Event, i int, p Param) string {
	v, _ := e.ParamInt64(i)
	switch {
	case p.Type == PTFD && v == 3:
		return "<f>/etc/passwd"
	case p.Type == PTPID && v == 42:
		return "bash"
	case p.Type == PTUID:
		return "root"
	}
	return ""
}

func TestAppendArgsResolved(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"fd", AppendEvent(nil, 1, 2, SyscallCloseE, EncInt64(3)), "fd=3(<f>/etc/passwd) "},
		{"unknown fd", AppendEvent(nil, 1, 2, SyscallCloseE, EncInt64(4)), "fd=4 "},
		{"error fd keeps errno", AppendEvent(nil, 1, 2, SyscallOpenX, EncInt64(-2)), "fd=-2(ENOENT) "},
		{"pid and signal", AppendEvent(nil, 1, 2, SyscallKillE, EncInt64(42), EncUint8(15)), "pid=42(bash) sig=15(SIGTERM) "},
		{"uid", AppendEvent(nil, 1, 2, SyscallSetuidE, EncUint32(0)), "uid=0(root) "},
		{"uid none", AppendEvent(nil, 1, 2, SyscallSetuidE, EncUint32(^uint32(0))), "uid=-1(<NONE>) "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Event
			if err := e.Decode(tc.b, false); err != nil {
				t.Fatal(err)
			}
			if got := string(AppendArgsResolved(nil, &e, fakeResolver{})); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if got, want := string(AppendArgsResolved(nil, &e, nil)), string(AppendArgs(nil, &e)); got != want {
				t.Errorf("nil resolver %q, AppendArgs %q", got, want)
			}
		})
	}
}
