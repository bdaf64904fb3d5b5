//go:build linux && amd64

package record

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
)

// netChildEnv makes the test binary run loopback TCP and UDP servers and
// clients (IPv4 and IPv6) through the raw socket syscalls, and print one
// JSON line per connection (see netConn).
const netChildEnv = "RETRACE_TEST_NET_CHILD"

// netConn is one loopback exchange of the net child: the server's and the
// client's socket fds and ports.
type netConn struct {
	Proto, Family      string
	Path               string // unix: the server's socket path
	ServerIP, ClientIP string
	ServerPort         int
	ClientPort         int
	ServerFD, ClientFD int // the server's accepted (TCP) or bound (UDP) socket
}

func netChild() {
	die := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
	for _, fam := range []struct {
		name string
		af   int
		ip   netip.Addr
	}{{"ipv4", unix.AF_INET, netip.MustParseAddr("127.0.0.1")}, {"ipv6", unix.AF_INET6, netip.MustParseAddr("::1")}} {
		sa := func(port int) unix.Sockaddr {
			if fam.af == unix.AF_INET {
				return &unix.SockaddrInet4{Port: port, Addr: fam.ip.As4()}
			}
			return &unix.SockaddrInet6{Port: port, Addr: fam.ip.As16()}
		}
		port := func(fd int) int {
			s, err := unix.Getsockname(fd)
			if err != nil {
				die("getsockname", err)
			}
			switch a := s.(type) {
			case *unix.SockaddrInet4:
				return a.Port
			case *unix.SockaddrInet6:
				return a.Port
			}
			return 0
		}
		buf := make([]byte, 64)
		oob := make([]byte, 64)

		// TCP: accept4, connect, then sendto/recvfrom and sendmsg/recvmsg
		// both ways on the connected sockets.
		ls, err := unix.Socket(fam.af, unix.SOCK_STREAM, 0)
		if err != nil {
			die("socket", err)
		}
		if err := unix.Bind(ls, sa(0)); err != nil {
			die("bind", err)
		}
		if err := unix.Listen(ls, 8); err != nil {
			die("listen", err)
		}
		cs, err := unix.Socket(fam.af, unix.SOCK_STREAM, 0)
		if err != nil {
			die("socket", err)
		}
		if err := unix.Connect(cs, sa(port(ls))); err != nil {
			die("connect", err)
		}
		as, _, err := unix.Accept4(ls, unix.SOCK_CLOEXEC)
		if err != nil {
			die("accept4", err)
		}
		if err := unix.Sendto(cs, []byte("ping"), 0, nil); err != nil {
			die("sendto", err)
		}
		if _, _, err := unix.Recvfrom(as, buf, 0); err != nil {
			die("recvfrom", err)
		}
		if _, err := unix.SendmsgN(as, []byte("pong"), nil, nil, 0); err != nil {
			die("sendmsg", err)
		}
		if _, _, _, _, err := unix.Recvmsg(cs, buf, oob, 0); err != nil {
			die("recvmsg", err)
		}
		printConn(netConn{"tcp", fam.name, "", fam.ip.String(), fam.ip.String(), port(ls), port(cs), as, cs})

		// UDP: the client's socket is neither bound nor connected, so every
		// destination comes from the caller (sendto's dest_addr, sendmsg's
		// msg_name) and every source from the kernel's answer (recvfrom's
		// src_addr, recvmsg's msg_name).
		us, err := unix.Socket(fam.af, unix.SOCK_DGRAM, 0)
		if err != nil {
			die("socket", err)
		}
		if err := unix.Bind(us, sa(0)); err != nil {
			die("bind", err)
		}
		uc, err := unix.Socket(fam.af, unix.SOCK_DGRAM, 0)
		if err != nil {
			die("socket", err)
		}
		if err := unix.Sendto(uc, []byte("ping"), 0, sa(port(us))); err != nil {
			die("sendto", err)
		}
		_, from, err := unix.Recvfrom(us, buf, 0)
		if err != nil {
			die("recvfrom", err)
		}
		if _, err := unix.SendmsgN(us, []byte("pong"), nil, from, 0); err != nil {
			die("sendmsg", err)
		}
		if _, _, _, _, err := unix.Recvmsg(uc, buf, oob, 0); err != nil {
			die("recvmsg", err)
		}
		if _, err := unix.SendmsgN(uc, []byte("ping"), nil, sa(port(us)), 0); err != nil {
			die("sendmsg", err)
		}
		if _, _, _, _, err := unix.Recvmsg(us, buf, oob, 0); err != nil {
			die("recvmsg", err)
		}
		printConn(netConn{"udp", fam.name, "", fam.ip.String(), fam.ip.String(), port(us), port(uc), us, uc})
	}
	unixExchange(die)
	os.Exit(0)
}

// unixExchange runs a unix stream server and client on a socket path:
// accept4, connect, sendto/recvfrom and sendmsg/recvmsg.
func unixExchange(die func(string, error)) {
	dir, err := os.MkdirTemp("", "retrace-unix")
	if err != nil {
		die("mkdtemp", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "srv.sock")
	ls, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		die("socket", err)
	}
	if err := unix.Bind(ls, &unix.SockaddrUnix{Name: path}); err != nil {
		die("bind", err)
	}
	if err := unix.Listen(ls, 8); err != nil {
		die("listen", err)
	}
	cs, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		die("socket", err)
	}
	if err := unix.Connect(cs, &unix.SockaddrUnix{Name: path}); err != nil {
		die("connect", err)
	}
	as, _, err := unix.Accept4(ls, unix.SOCK_CLOEXEC)
	if err != nil {
		die("accept4", err)
	}
	buf, oob := make([]byte, 64), make([]byte, 64)
	if err := unix.Sendto(cs, []byte("ping"), 0, nil); err != nil {
		die("sendto", err)
	}
	if _, _, err := unix.Recvfrom(as, buf, 0); err != nil {
		die("recvfrom", err)
	}
	if _, err := unix.SendmsgN(as, []byte("pong"), nil, nil, 0); err != nil {
		die("sendmsg", err)
	}
	if _, _, _, _, err := unix.Recvmsg(cs, buf, oob, 0); err != nil {
		die("recvmsg", err)
	}
	printConn(netConn{Proto: "unix", Family: "unix", Path: path, ServerFD: as, ClientFD: cs})
}

func printConn(c netConn) {
	b, _ := json.Marshal(c)
	fmt.Println(string(b))
}

// socketFields are the fields the tuple tests compare, in this order.
var socketFields = []string{"evt.type", "fd.num", "fd.sip", "fd.sport", "fd.cip", "fd.cport", "fd.name"}

// replayFields replays path and returns, for every event that is no enter
// event and matches cond, the values of fields joined by spaces.
func replayFields(t *testing.T, path, cond string, fields []string) []string {
	t.Helper()
	reg := replay.NewFieldRegistry()
	root, err := engine.Parse(cond, engine.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := engine.Compile(root, cond, engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}})
	if err != nil {
		t.Fatal(err)
	}
	format, err := engine.CompileFormat("%"+strings.Join(fields, " %"), engine.CompileOptions{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	_, err = replay.ReplayFile(context.Background(), path, replay.Options{}, func(e *replay.Event) error {
		if !e.StateOnly && c.Eval(e) {
			out = append(out, string(format.Append(nil, e)))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("replay %s: %v", path, err)
	}
	return out
}

// TestRecordSocketTuples records loopback TCP and UDP exchanges over IPv4
// and IPv6 and checks each socket event's tuple as libs writes it: the
// client is the source whichever side the event is on and whichever way
// the data goes (fd.cip/fd.cport the client, fd.sip/fd.sport the server),
// including the caller-supplied addresses of unconnected UDP sockets. sysdig
// 0.29.3 must read the same fields from the file.
func TestRecordSocketTuples(t *testing.T) {
	var out bytes.Buffer
	t.Setenv(netChildEnv, "1")
	c := recordRun(t, Options{OnlyCommand: true, CommandStdout: &out}, os.Args[0], "-test.run=^$")
	var conns []netConn
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var nc netConn
		if err := json.Unmarshal([]byte(line), &nc); err != nil {
			t.Fatalf("child output %q: %v", out.String(), err)
		}
		conns = append(conns, nc)
	}
	if len(conns) != 5 {
		t.Fatalf("child printed %d connections, want 5:\n%s", len(conns), out.String())
	}
	const cond = "evt.dir = < and evt.type in (connect, accept, accept4, sendto, recvfrom, sendmsg, recvmsg) and fd.type in (ipv4, ipv6)"
	got := replayFields(t, c.path, cond, socketFields)

	for _, nc := range conns {
		if nc.Proto == "unix" {
			t.Run("unix", func(t *testing.T) { checkUnixTuples(t, c, nc) })
			continue
		}
		t.Run(nc.Proto+"-"+nc.Family, func(t *testing.T) {
			checkTuples(t, c, nc)
			// The fields: the client is the source on every event of both
			// ends of a TCP connection, and of a UDP server's socket (it
			// received first, so it is the server's: libsinsp's guess).
			// The UDP client's socket is unbound: its own address is the
			// wildcard, so only its ports are checked.
			want := map[string]int{"connect": 1, "accept": 1, "sendto": 1, "recvfrom": 1, "sendmsg": 1, "recvmsg": 1}
			if nc.Proto == "udp" {
				want = map[string]int{"sendto": 1, "recvfrom": 1, "sendmsg": 2, "recvmsg": 2}
			}
			seen := map[string]int{}
			for _, line := range got {
				f := strings.Fields(line)
				fd, _ := strconv.Atoi(f[1])
				sport, _ := strconv.Atoi(f[3])
				cport, _ := strconv.Atoi(f[5])
				if fd != nc.ServerFD && fd != nc.ClientFD || sport != nc.ServerPort && cport != nc.ClientPort {
					continue
				}
				seen[f[0]]++
				cip := f[4]
				if nc.Proto == "udp" && fd == nc.ClientFD && (cip == "0.0.0.0" || cip == "::") {
					cip = nc.ClientIP
				}
				if f[2] != nc.ServerIP || sport != nc.ServerPort || cip != nc.ClientIP || cport != nc.ClientPort {
					t.Errorf("%s on fd %d: fd.sip %s fd.sport %d fd.cip %s fd.cport %d, want server %s:%d, client %s:%d (%s)",
						f[0], fd, f[2], sport, f[4], cport, nc.ServerIP, nc.ServerPort, nc.ClientIP, nc.ClientPort, line)
				}
			}
			for typ, n := range want {
				if seen[typ] != n {
					t.Errorf("%d %s events on the exchange's fds, want %d (events: %q)", seen[typ], typ, n, got)
				}
			}
		})
	}

	// sysdig 0.29.3 reads the sockets' fields from the file as retrace
	// does, except on the UDP client's socket once it has received
	// (REPLAY-UDP-CLIENT-029): those events are left out.
	udpClient := map[string]bool{}
	for _, nc := range conns {
		if nc.Proto == "udp" {
			udpClient[strconv.Itoa(nc.ClientFD)] = true
		}
	}
	if _, err := compat.Known("REPLAY-UDP-CLIENT-029"); err != nil {
		t.Fatal(err)
	}
	t.Run("sysdig", func(t *testing.T) {
		plain := decompress(t, c.path)
		sel := "evt.dir = < and evt.type in (connect, accept, accept4, sendto, recvfrom, sendmsg, recvmsg)"
		for _, cmp := range []struct {
			cond   string
			fields []string
		}{
			{sel + " and fd.l4proto = tcp", socketFields},
			{sel + " and fd.l4proto = udp", socketFields},
			// fd.sport and fd.cport of unix sockets differ (COMPATIBILITY
			// row REPLAY-MINOR-FIELDS); the name carries the tuple.
			{sel + " and fd.type = unix", []string{"evt.type", "fd.num", "fd.name"}},
		} {
			keep := func(rows []string) []string {
				var out []string
				received := map[string]bool{}
				for _, r := range rows {
					f := strings.Fields(r)
					if udpClient[f[1]] && strings.HasPrefix(f[0], "recv") {
						received[f[1]] = true
					}
					if !received[f[1]] {
						out = append(out, r)
					}
				}
				return out
			}
			var sd []string
			for _, rec := range testutil.SysdigEvents(t, plain, cmp.fields, cmp.cond) {
				sd = append(sd, strings.Join(rec, " "))
			}
			sd = keep(sd)
			ours := keep(replayFields(t, c.path, cmp.cond, cmp.fields))
			if len(ours) < 6 || strings.Join(sd, "\n") != strings.Join(ours, "\n") {
				t.Errorf("%s: sysdig 0.29.3 reads other tuples:\nsysdig:\n%s\nretrace:\n%s", cmp.cond, strings.Join(sd, "\n"), strings.Join(ours, "\n"))
			}
		}
	})
}

// sockEnd is one end of a decoded SOCKTUPLE.
type sockEnd struct {
	ip   netip.Addr
	port int
}

// decodeTuple decodes an inet SOCKTUPLE parameter: source, destination.
func decodeTuple(b []byte) (src, dst sockEnd, ok bool) {
	switch {
	case len(b) == 13 && b[0] == 2:
		return sockEnd{netip.AddrFrom4([4]byte(b[1:5])), int(binary.LittleEndian.Uint16(b[5:7]))},
			sockEnd{netip.AddrFrom4([4]byte(b[7:11])), int(binary.LittleEndian.Uint16(b[11:13]))}, true
	case len(b) == 37 && b[0] == 10:
		return sockEnd{netip.AddrFrom16([16]byte(b[1:17])), int(binary.LittleEndian.Uint16(b[17:19]))},
			sockEnd{netip.AddrFrom16([16]byte(b[19:35])), int(binary.LittleEndian.Uint16(b[35:37]))}, true
	}
	return sockEnd{}, sockEnd{}, false
}

// checkTuples checks the tuple parameters the recorder wrote for one
// exchange: every exit event (and sendto/sendmsg's enter event) of the
// exchange's sockets carries source and destination as libs writes them,
// the client first on the client's outbound and the server's inbound
// events, the server first on the others; the remote end is never a
// wildcard (for UDP it is the address the caller passed or received).
func checkTuples(t *testing.T, c *captured, nc netConn) {
	t.Helper()
	server, client := netip.MustParseAddr(nc.ServerIP), netip.MustParseAddr(nc.ClientIP)
	n := 0
	for _, e := range c.events {
		switch e.name {
		case "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg":
		default:
			continue
		}
		tu, has := e.params["tuple"]
		if !has || len(tu) == 0 {
			continue
		}
		src, dst, ok := decodeTuple(tu)
		if !ok {
			continue
		}
		ports := [2]int{src.port, dst.port}
		if ports != [2]int{nc.ClientPort, nc.ServerPort} && ports != [2]int{nc.ServerPort, nc.ClientPort} {
			continue
		}
		n++
		inbound := e.name == "accept" || e.name == "recvfrom" || e.name == "recvmsg"
		onServer := e.int("fd") == int64(nc.ServerFD)
		if e.name == "connect" || e.name == "accept" {
			onServer = e.name == "accept"
		}
		clientFirst := inbound == onServer
		want := [2]int{nc.ServerPort, nc.ClientPort}
		remote, wantRemote := src.ip, server
		if clientFirst {
			want = [2]int{nc.ClientPort, nc.ServerPort}
		}
		if !inbound {
			remote = dst.ip
		}
		if onServer {
			wantRemote = client
		}
		dir := "exit"
		if e.typ%2 == 0 {
			dir = "enter"
		}
		if ports != want {
			t.Errorf("%s %s on the %s (fd %d): tuple %v:%d -> %v:%d, want source port %d, destination port %d",
				e.name, dir, map[bool]string{true: "server", false: "client"}[onServer], e.int("fd"), src.ip, src.port, dst.ip, dst.port, want[0], want[1])
		}
		if remote != wantRemote {
			t.Errorf("%s %s (fd %d): remote end %v, want %v (tuple %v:%d -> %v:%d)", e.name, dir, e.int("fd"), remote, wantRemote, src.ip, src.port, dst.ip, dst.port)
		}
	}
	// TCP: connect, accept, sendto and sendmsg (enter and exit), recvfrom,
	// recvmsg; UDP: sendto, two sendmsg (enter and exit), recvfrom, two
	// recvmsg.
	want := map[string]int{"tcp": 8, "udp": 9}[nc.Proto]
	if n != want {
		t.Errorf("%d events carry the exchange's tuple, want %d", n, want)
	}
}

// decompress writes the plain scap stream of a .scap.zst recording (what
// `zstd -d` gives) and returns its path.
func decompress(t *testing.T, path string) string {
	t.Helper()
	zstd := testutil.NeedTool(t, "zstd")
	plain := filepath.Join(t.TempDir(), "plain.scap")
	if out, err := exec.Command(zstd, "-q", "-d", path, "-o", plain).CombinedOutput(); err != nil {
		t.Fatalf("zstd -d %s: %v\n%s", path, err, out)
	}
	return plain
}

// checkUnixTuples checks the unix tuples of the exchange as libs writes
// them: the two kernel socket pointers, source first (outbound: the peer,
// then the local socket; inbound: the local socket, then the peer), then the
// path of the peer (outbound) or of the local socket (inbound). The client's
// connect and sendto and the server's accept and recvfrom therefore name the
// server's end first with the server's path; the server's sendmsg and the
// client's recvmsg name the client's end first, with the client's (unbound:
// empty) path.
func checkUnixTuples(t *testing.T, c *captured, nc netConn) {
	t.Helper()
	type tuple struct {
		src, dst uint64
		path     string
	}
	var server, client uint64
	byType := map[string][]tuple{}
	for _, e := range c.events {
		tu := e.params["tuple"]
		if len(tu) < 18 || tu[0] != 1 || e.typ%2 == 0 {
			continue
		}
		// accept's fd is the new socket, the server's end.
		if fd := e.int("fd"); fd != int64(nc.ServerFD) && fd != int64(nc.ClientFD) {
			continue
		}
		tp := tuple{binary.LittleEndian.Uint64(tu[1:9]), binary.LittleEndian.Uint64(tu[9:17]), strings.TrimRight(string(tu[17:]), "\x00")}
		if e.name == "connect" {
			server, client = tp.src, tp.dst
		}
		byType[e.name] = append(byType[e.name], tp)
	}
	serverFirst := tuple{server, client, nc.Path}
	clientFirst := tuple{client, server, ""}
	for typ, want := range map[string]tuple{"connect": serverFirst, "accept": serverFirst, "sendto": serverFirst, "recvfrom": serverFirst, "sendmsg": clientFirst, "recvmsg": clientFirst} {
		if len(byType[typ]) != 1 || byType[typ][0] != want || server == 0 || client == 0 {
			t.Errorf("%s: unix tuples %x, want one %x", typ, byType[typ], want)
		}
	}
}
