package export

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/scap"
)

// eventsCapture builds a capture of capgen's host (interfaces lo
// 127.0.0.1 and eth0 10.0.0.2; sshd is pid 100, bash pid 200) event by
// event.
type eventsCapture struct {
	opts   capgen.Options
	ts     uint64
	events [][]byte
}

func newEventsCapture(host string) *eventsCapture {
	opts := capgen.Options{Hostname: host, Start: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	return &eventsCapture{opts: opts, ts: uint64(opts.Start.UnixNano())}
}

// syscall appends a syscall's enter event (when the profile keeps one) and
// exit event, filling the parameters by name from vals.
func (c *eventsCapture) syscall(t *testing.T, tid int64, name string, vals map[string][]byte) {
	t.Helper()
	p, ok := scap.ProfileFor(name)
	if !ok {
		t.Fatalf("syscall %s not in the event profile", name)
	}
	types := []scap.Type{p.Exit}
	if et, ok := p.EnterType(); ok {
		types = []scap.Type{et, p.Exit}
	}
	for _, typ := range types {
		info, ok := scap.Lookup(typ)
		if !ok {
			t.Fatalf("event type %d unknown", typ)
		}
		var params [][]byte
		for _, prm := range info.Params {
			v, ok := vals[prm.Name]
			if !ok {
				v = emptyParam(prm.Type)
			}
			params = append(params, v)
		}
		c.ts += 1000
		c.events = append(c.events, scap.AppendEvent(nil, c.ts, tid, typ, params...))
	}
}

// emptyParam is the value of a parameter a test does not set.
func emptyParam(t scap.ParamType) []byte {
	switch t {
	case scap.PTCharBuf, scap.PTFSPath, scap.PTFSRelPath, scap.PTSockAddr, scap.PTSockTuple:
		return []byte{0}
	case scap.PTUID, scap.PTGID:
		return scap.EncUint32(^uint32(0))
	case scap.PTFDList:
		return []byte{0, 0}
	}
	return make([]byte, max(t.Size(), 0))
}

// write writes the capture to dir/name and returns its path.
func (c *eventsCapture) write(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := capture.Create(path, capture.WriterOptions{Now: func() time.Time { return c.opts.Start }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(capgen.Header(c.opts)); err != nil {
		t.Fatal(err)
	}
	for _, raw := range c.events {
		if err := w.WriteEvent(0, 0, raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tcpSocket opens TCP socket fd in tid.
func (c *eventsCapture) tcpSocket(t *testing.T, tid, fd int64) {
	c.syscall(t, tid, "socket", map[string][]byte{"fd": scap.EncInt64(fd), "domain": scap.EncUint32(2),
		"type": scap.EncUint32(1), "proto": scap.EncUint32(0)})
}

// connect connects a new socket fd of tid from client to server.
func (c *eventsCapture) connect(t *testing.T, tid, fd int64, client, server netip.AddrPort) {
	c.tcpSocket(t, tid, fd)
	c.syscall(t, tid, "connect", map[string][]byte{"fd": scap.EncInt64(fd), "res": scap.EncInt64(0),
		"addr":  scap.EncSockAddr(server.Addr(), server.Port()),
		"tuple": scap.EncSockTuple(client.Addr(), client.Port(), server.Addr(), server.Port())})
}

// accept makes tid listen on a new socket lfd bound to server's port and
// accept the connection from client as fd.
func (c *eventsCapture) accept(t *testing.T, tid, lfd, fd int64, client, server netip.AddrPort) {
	c.tcpSocket(t, tid, lfd)
	c.syscall(t, tid, "bind", map[string][]byte{"fd": scap.EncInt64(lfd), "res": scap.EncInt64(0),
		"addr": scap.EncSockAddr(netip.IPv4Unspecified(), server.Port())})
	c.syscall(t, tid, "listen", map[string][]byte{"fd": scap.EncInt64(lfd), "backlog": scap.EncInt32(5), "res": scap.EncInt64(0)})
	c.syscall(t, tid, "accept4", map[string][]byte{"fd": scap.EncInt64(fd), "flags": scap.EncInt32(0),
		"tuple": scap.EncSockTuple(client.Addr(), client.Port(), server.Addr(), server.Port())})
}

// TestNetworkDirection checks that the source of a Network Activity row is
// the end that opened the connection (the client) and its destination the
// server, on the connect side and the accept side, between two ends on the
// recorded host (loopback: Falco's fd.lip is then the client's address on
// both sides) and between the host and another.
func TestNetworkDirection(t *testing.T) {
	const client, server = 200, 100 // bash and sshd in capgen's header
	ap := netip.MustParseAddrPort
	c := newEventsCapture("net-host")
	loClient, loServer := ap("127.0.0.1:43542"), ap("127.0.0.1:44445")
	c.accept(t, server, 3, 4, loClient, loServer)
	c.connect(t, client, 3, loClient, loServer)
	outClient, outServer := ap("10.0.0.2:40000"), ap("10.0.0.9:443")
	c.connect(t, client, 5, outClient, outServer)
	inClient, inServer := ap("203.0.113.9:51000"), ap("10.0.0.2:8080")
	c.accept(t, server, 6, 7, inClient, inServer)
	path := c.write(t, t.TempDir(), "net.scap.zst")

	out := t.TempDir()
	sum, err := exportTo(t, []string{path}, out, 1)
	if err != nil {
		t.Fatal(err)
	}
	var rows []NetworkActivity
	for _, f := range sum.Captures[0].Files {
		if filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(f)))) != "class=network_activity" {
			continue
		}
		if rows, err = parquet.ReadFile[NetworkActivity](f); err != nil {
			t.Fatal(err)
		}
	}
	ep := func(a netip.AddrPort) string { return a.String() }
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s %s:%d -> %s:%d", r.Actor.Process.Name, r.Metadata.EventCode, r.ActivityName,
			r.SrcEndpoint.IP, r.SrcEndpoint.Port, r.DstEndpoint.IP, r.DstEndpoint.Port))
	}
	want := []string{
		"sshd listen Listen :0 -> 0.0.0.0:44445",
		"sshd accept Open " + ep(loClient) + " -> " + ep(loServer),
		"bash connect Open " + ep(loClient) + " -> " + ep(loServer),
		"bash connect Open " + ep(outClient) + " -> " + ep(outServer),
		"sshd listen Listen :0 -> 0.0.0.0:8080",
		"sshd accept Open " + ep(inClient) + " -> " + ep(inServer),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("network rows (-want +got):\n%s", diff)
	}
}
