package timeline_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// t0 is the time of the first finding of the synthetic io views.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)

// ioFinding is one finding of a synthetic io view.
type ioFinding struct {
	at               time.Duration // after t0
	l4               string
	cip              string
	cport            int64
	sip              string
	sport            int64
	write, server    bool
	data             string
	rule             string // "io" when empty
	noFields, noPort bool
}

// ioReport returns an io view report of the findings, as timeline.Run fills it.
func ioReport(fs []ioFinding) *report.Report {
	rep := &report.Report{View: timeline.ViewIO}
	for _, f := range fs {
		d := report.Detection{Time: t0.Add(f.at), Rule: "io"}
		if f.rule != "" {
			d.Rule = f.rule
		}
		dir := "read"
		if f.write {
			dir = "write"
		}
		if !f.noFields {
			d.OutputFields = map[string]any{"fd.l4proto": f.l4, "fd.cip": f.cip, "fd.sip": f.sip,
				"evt.buffer": f.data, "io.direction": dir, "fd.is_server": f.server}
			if !f.noPort {
				d.OutputFields["fd.cport"] = f.cport
				d.OutputFields["fd.sport"] = f.sport
			}
		}
		rep.Detections = append(rep.Detections, d)
	}
	return rep
}

const (
	httpGet = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
	httpOK  = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
	dnsAAAA = "\x07\x02\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x06google\x03com\x00\x00\x1c\x00\x01"
)

// pcapCases are synthetic io views covering each kind of packet WritePcap
// makes; each has a golden file written by the gopacket implementation.
var pcapCases = []struct {
	name string
	fs   []ioFinding
}{
	{"tcp4-client", []ioFinding{
		{at: 0, l4: "tcp", cip: "10.0.0.1", cport: 40000, sip: "93.184.216.34", sport: 80, write: true, data: httpGet},
		{at: time.Millisecond, l4: "tcp", cip: "10.0.0.1", cport: 40000, sip: "93.184.216.34", sport: 80, data: httpOK},
		{at: 2 * time.Millisecond, l4: "tcp", cip: "10.0.0.1", cport: 40000, sip: "93.184.216.34", sport: 80, write: true, data: "x"},
	}},
	{"tcp4-loopback", []ioFinding{
		{at: 0, l4: "tcp", cip: "127.0.0.1", cport: 51000, sip: "127.0.0.1", sport: 8080, write: true, data: httpGet},
		{at: 1, l4: "tcp", cip: "127.0.0.1", cport: 51000, sip: "127.0.0.1", sport: 8080, server: true, data: httpGet},
		{at: 2, l4: "tcp", cip: "127.0.0.1", cport: 51000, sip: "127.0.0.1", sport: 8080, server: true, write: true, data: httpOK},
		{at: 3, l4: "tcp", cip: "127.0.0.1", cport: 51000, sip: "127.0.0.1", sport: 8080, data: httpOK},
	}},
	{"tcp6-server", []ioFinding{
		{at: 0, l4: "tcp", cip: "2001:db8::2", cport: 33333, sip: "2001:db8::1", sport: 22, server: true, data: "SSH-2.0-client\r\n"},
		{at: time.Second, l4: "tcp", cip: "2001:db8::2", cport: 33333, sip: "2001:db8::1", sport: 22, server: true, write: true, data: "SSH-2.0-server\r\n"},
	}},
	{"udp4", []ioFinding{
		{at: 0, l4: "udp", cip: "192.168.1.10", cport: 53124, sip: "192.168.1.1", sport: 53, write: true, data: dnsAAAA},
		{at: time.Microsecond, l4: "udp", cip: "192.168.1.10", cport: 53124, sip: "192.168.1.1", sport: 53, data: "\x07\x02\x81\x80"},
	}},
	{"udp6-odd", []ioFinding{
		{at: 0, l4: "udp", cip: "fe80::1", cport: 546, sip: "ff02::1:2", sport: 547, write: true, data: "abc"},
		{at: 1, l4: "udp", cip: "fe80::1", cport: 546, sip: "ff02::1:2", sport: 547, data: strings.Repeat("z", 1001)},
	}},
	{"mixed-families", []ioFinding{
		// An IPv4 client of an IPv6 server is written as IPv6 (v4-mapped);
		// v4-mapped addresses on both sides are written as IPv4.
		{at: 0, l4: "tcp", cip: "10.1.2.3", cport: 1234, sip: "::1", sport: 80, write: true, data: "a"},
		{at: 1, l4: "tcp", cip: "::ffff:10.1.2.3", cport: 1235, sip: "::ffff:10.1.2.4", sport: 80, write: true, data: "b"},
		{at: 2, l4: "udp", cip: "::ffff:10.1.2.3", cport: 1236, sip: "fd00::4", sport: 53, write: true, data: "c"},
	}},
	{"ports-out-of-range", []ioFinding{
		{at: 0, l4: "tcp", cip: "10.0.0.1", cport: 65536 + 7, sip: "10.0.0.2", sport: -1, write: true, data: "wrapped"},
		{at: 1, l4: "udp", cip: "10.0.0.1", sip: "10.0.0.2", noPort: true, write: true, data: "no ports"},
	}},
	{"skipped", []ioFinding{
		{at: 0, l4: "tcp", cip: "10.0.0.1", cport: 1, sip: "10.0.0.2", sport: 2, write: true, data: "other rule", rule: "connections"},
		{at: 0, noFields: true},
		{at: 0, l4: "unix", cip: "10.0.0.1", cport: 1, sip: "10.0.0.2", sport: 2, write: true, data: "unix"},
		{at: 0, l4: "tcp", cip: "not-an-ip", cport: 1, sip: "10.0.0.2", sport: 2, write: true, data: "bad ip"},
		{at: 0, l4: "tcp", cip: "10.0.0.1", cport: 1, sip: "", sport: 2, write: true, data: "no ip"},
		{at: 0, l4: "tcp", cip: "10.0.0.1", cport: 1, sip: "10.0.0.2", sport: 2, write: true, data: ""},
	}},
}

// pcapCaptures are captures of ../shared whose io view has TCP or UDP data.
var pcapCaptures = []string{"libs_curl_google.scap", "libs_single_ipv6_conn.scap", "libs_test_ipv6_client.scap",
	"falco_psp_run_as_user_0_container.scap"}

// writePcap returns WritePcap's output for rep.
func writePcap(t *testing.T, rep *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := timeline.WritePcap(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// captureReport returns the io view of a capture of ../shared.
func captureReport(t *testing.T, name string) *report.Report {
	t.Helper()
	rep, err := timeline.Run(context.Background(), []string{testutil.SharedFile(t, "captures", name)}, timeline.Options{View: timeline.ViewIO})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestPcapGolden compares WritePcap's packets with the golden files, which
// the gopacket implementation wrote: every Enhanced Packet Block (time,
// lengths, packet bytes) must be identical, and the interface must have the
// same link type and snap length. The Section Header Block's options (the
// writing application) may differ. Every packet must also decode as valid.
// -update rewrites the golden files with the current WritePcap: use it
// only for an intended change of the packets.
func TestPcapGolden(t *testing.T) {
	type golden struct {
		name string
		rep  func(t *testing.T) *report.Report
	}
	var cases []golden
	for _, tc := range pcapCases {
		cases = append(cases, golden{tc.name, func(*testing.T) *report.Report { return ioReport(tc.fs) }})
	}
	for _, name := range pcapCaptures {
		cases = append(cases, golden{strings.TrimSuffix(name, ".scap"), func(t *testing.T) *report.Report { return captureReport(t, name) }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := writePcap(t, tc.rep(t))
			decodePcap(t, got)
			path := filepath.Join("testdata", "pcap", tc.name+".pcapng")
			want := testutil.Golden(t, path, got)
			gotBlocks, wantBlocks := pcapngBlocks(t, got), pcapngBlocks(t, want)
			if len(gotBlocks) < 2 || len(wantBlocks) < 2 {
				t.Fatalf("want a section header and an interface block, got %d and %d blocks", len(gotBlocks), len(wantBlocks))
			}
			for i, b := range gotBlocks[:2] {
				if typ := binary.LittleEndian.Uint32(b); typ != [2]uint32{0x0a0d0d0a, 1}[i] {
					t.Errorf("block %d has type %#x", i, typ)
				}
			}
			// The interface's link type, reserved field and snap length.
			if g, w := gotBlocks[1][8:16], wantBlocks[1][8:16]; !bytes.Equal(g, w) {
				t.Errorf("interface block fields % x, want % x", g, w)
			}
			if len(gotBlocks) != len(wantBlocks) {
				t.Errorf("%d packet blocks, want %d", len(gotBlocks)-2, len(wantBlocks)-2)
			}
			for i := 2; i < min(len(gotBlocks), len(wantBlocks)); i++ {
				if g, w := gotBlocks[i], wantBlocks[i]; !bytes.Equal(g, w) {
					t.Errorf("packet %d differs:\n got % x\nwant % x", i-2, g, w)
				}
			}
		})
	}
}

// pcapngBlocks splits a little-endian pcapng file into its blocks, checking
// that each block's trailing length repeats its leading one.
func pcapngBlocks(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var blocks [][]byte
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("truncated block at offset %d", off)
		}
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n < 12 || n%4 != 0 || n > len(b)-off {
			t.Fatalf("block at offset %d has length %d", off, n)
		}
		if trailer := int(binary.LittleEndian.Uint32(b[off+n-4:])); trailer != n {
			t.Fatalf("block at offset %d has length %d and trailing length %d", off, n, trailer)
		}
		blocks = append(blocks, b[off:off+n])
		off += n
	}
	return blocks
}

// decodedPacket summarizes a packet decoded by gopacket.
type decodedPacket struct {
	Time     time.Time
	Src, Dst string // address:port
	Flags    string // TCP flags ("S", "SA", "A", "PA"), "udp" for UDP
	Seq, Ack uint32
	Payload  string
}

// decodePcap reads a pcapng file with gopacket, decodes each packet and checks
// that it is valid: Ethernet, IPv4 or IPv6, TCP or UDP, with correct lengths
// and checksums (gopacket serializes the decoded layers to the same bytes).
func decodePcap(t testing.TB, file []byte) []decodedPacket {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("read pcapng: %v", err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v", r.LinkType())
	}
	var out []decodedPacket
	for i := 0; ; i++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read packet %d: %v", i, err)
		}
		if ci.CaptureLength != len(data) || ci.Length != len(data) {
			t.Errorf("packet %d: capture length %d, length %d, data %d bytes", i, ci.CaptureLength, ci.Length, len(data))
		}
		out = append(out, checkPacket(t, i, data, ci.Timestamp))
	}
}

// checkPacket decodes one packet down to its TCP or UDP layer (not the
// application's, which may be cut short by the snaplen), checks its headers
// and summarizes it.
func checkPacket(t testing.TB, i int, data []byte, ts time.Time) decodedPacket {
	t.Helper()
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		decoded []gopacket.LayerType
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &udp)
	parser.IgnoreUnsupported = true
	if err := parser.DecodeLayers(data, &decoded); err != nil {
		t.Fatalf("packet %d: %v", i, err)
	}
	if len(decoded) != 3 {
		t.Fatalf("packet %d has layers %v, want Ethernet, IP and TCP or UDP", i, decoded)
	}
	var net gopacket.NetworkLayer
	var src, dst string
	switch decoded[1] {
	case layers.LayerTypeIPv4:
		if ip4.IHL != 5 || ip4.TTL != 64 || ip4.Flags != 0 || ip4.FragOffset != 0 || ip4.Id != 0 || ip4.TOS != 0 {
			t.Errorf("packet %d: IPv4 header %+v", i, ip4)
		}
		net, src, dst = &ip4, ip4.SrcIP.String(), ip4.DstIP.String()
	case layers.LayerTypeIPv6:
		if ip6.HopLimit != 64 || ip6.TrafficClass != 0 || ip6.FlowLabel != 0 {
			t.Errorf("packet %d: IPv6 header %+v", i, ip6)
		}
		// netip keeps the "::ffff:" of a v4-mapped address, which net.IP drops.
		src = "[" + netip.AddrFrom16([16]byte(ip6.SrcIP)).String() + "]"
		dst = "[" + netip.AddrFrom16([16]byte(ip6.DstIP)).String() + "]"
		net = &ip6
	}
	p := decodedPacket{Time: ts}
	var l4 gopacket.SerializableLayer
	switch decoded[2] {
	case layers.LayerTypeTCP:
		if err := tcp.SetNetworkLayerForChecksum(net); err != nil {
			t.Fatal(err)
		}
		if tcp.Window != 65535 || tcp.DataOffset != 5 || tcp.Urgent != 0 {
			t.Errorf("packet %d: TCP window %d, data offset %d, urgent %d", i, tcp.Window, tcp.DataOffset, tcp.Urgent)
		}
		p.Src, p.Dst = fmt.Sprintf("%s:%d", src, tcp.SrcPort), fmt.Sprintf("%s:%d", dst, tcp.DstPort)
		for _, f := range []struct {
			on   bool
			name string
		}{{tcp.FIN, "F"}, {tcp.SYN, "S"}, {tcp.RST, "R"}, {tcp.PSH, "P"}, {tcp.ACK, "A"}, {tcp.URG, "U"},
			{tcp.ECE, "E"}, {tcp.CWR, "C"}, {tcp.NS, "N"}} {
			if f.on {
				p.Flags += f.name
			}
		}
		p.Seq, p.Ack, p.Payload = tcp.Seq, tcp.Ack, string(tcp.Payload)
		l4 = &tcp
	case layers.LayerTypeUDP:
		if err := udp.SetNetworkLayerForChecksum(net); err != nil {
			t.Fatal(err)
		}
		p.Src, p.Dst = fmt.Sprintf("%s:%d", src, udp.SrcPort), fmt.Sprintf("%s:%d", dst, udp.DstPort)
		p.Flags, p.Payload = "udp", string(udp.Payload)
		l4 = &udp
	}
	// Serializing the decoded headers with computed lengths and checksums
	// must give back the packet: the lengths and checksums are right, and
	// frames shorter than 60 bytes are padded with zeros.
	sentUDPChecksum := udp.Checksum // serializing overwrites it
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, &eth, net.(gopacket.SerializableLayer), l4, gopacket.Payload(p.Payload)); err != nil {
		t.Fatalf("packet %d: serialize: %v", i, err)
	}
	want := buf.Bytes()
	if decoded[2] == layers.LayerTypeUDP && sentUDPChecksum == 0xffff {
		// A UDP checksum that computes to 0 is sent as 0xffff (RFC 768);
		// gopacket leaves it 0.
		at := len(eth.Contents) + len(net.LayerContents()) + 6
		if want[at] == 0 && want[at+1] == 0 {
			want[at], want[at+1] = 0xff, 0xff
		}
	}
	if !bytes.Equal(data, want) {
		t.Errorf("packet %d is not what its decoded layers serialize to:\n got % x\nwant % x", i, data, want)
	}
	return p
}

// TestPcapPackets decodes WritePcap's output with gopacket and checks each
// packet: addresses, ports, TCP flags, sequence and acknowledgement numbers,
// payload, time, lengths and checksums.
func TestPcapPackets(t *testing.T) {
	c4, s4 := "10.0.0.1:40000", "93.184.216.34:80"
	lc, ls := "127.0.0.1:51000", "127.0.0.1:8080"
	c6, s6 := "[2001:db8::2]:33333", "[2001:db8::1]:22"
	u4c, u4s := "192.168.1.10:53124", "192.168.1.1:53"
	ms := t0.Add(time.Millisecond)
	n := uint32(len(httpGet))
	for _, tc := range []struct {
		name string
		want []decodedPacket
	}{
		{"tcp4-client", []decodedPacket{
			{t0, c4, s4, "S", 1000, 0, ""},
			{t0, s4, c4, "SA", 5000, 1001, ""},
			{t0, c4, s4, "A", 1001, 5001, ""},
			{t0, c4, s4, "PA", 1001, 5001, httpGet},
			{ms, s4, c4, "PA", 5001, 1001 + n, httpOK},
			{t0.Add(2 * time.Millisecond), c4, s4, "PA", 1001 + n, 5001 + uint32(len(httpOK)), "x"},
		}},
		{"tcp4-loopback", []decodedPacket{
			{t0, lc, ls, "S", 1000, 0, ""},
			{t0, ls, lc, "SA", 5000, 1001, ""},
			{t0, lc, ls, "A", 1001, 5001, ""},
			{t0, lc, ls, "PA", 1001, 5001, httpGet},
			{t0.Add(2), ls, lc, "PA", 5001, 1001 + n, httpOK},
		}},
		{"tcp6-server", []decodedPacket{
			{t0, c6, s6, "S", 1000, 0, ""},
			{t0, s6, c6, "SA", 5000, 1001, ""},
			{t0, c6, s6, "A", 1001, 5001, ""},
			{t0, c6, s6, "PA", 1001, 5001, "SSH-2.0-client\r\n"},
			{t0.Add(time.Second), s6, c6, "PA", 5001, 1017, "SSH-2.0-server\r\n"},
		}},
		{"udp4", []decodedPacket{
			{t0, u4c, u4s, "udp", 0, 0, dnsAAAA},
			{t0.Add(time.Microsecond), u4s, u4c, "udp", 0, 0, "\x07\x02\x81\x80"},
		}},
		{"udp6-odd", []decodedPacket{
			{t0, "[fe80::1]:546", "[ff02::1:2]:547", "udp", 0, 0, "abc"},
			{t0.Add(1), "[ff02::1:2]:547", "[fe80::1]:546", "udp", 0, 0, strings.Repeat("z", 1001)},
		}},
		{"mixed-families", []decodedPacket{
			{t0, "[::ffff:10.1.2.3]:1234", "[::1]:80", "S", 1000, 0, ""},
			{t0, "[::1]:80", "[::ffff:10.1.2.3]:1234", "SA", 5000, 1001, ""},
			{t0, "[::ffff:10.1.2.3]:1234", "[::1]:80", "A", 1001, 5001, ""},
			{t0, "[::ffff:10.1.2.3]:1234", "[::1]:80", "PA", 1001, 5001, "a"},
			{t0.Add(1), "10.1.2.3:1235", "10.1.2.4:80", "S", 1000, 0, ""},
			{t0.Add(1), "10.1.2.4:80", "10.1.2.3:1235", "SA", 5000, 1001, ""},
			{t0.Add(1), "10.1.2.3:1235", "10.1.2.4:80", "A", 1001, 5001, ""},
			{t0.Add(1), "10.1.2.3:1235", "10.1.2.4:80", "PA", 1001, 5001, "b"},
			{t0.Add(2), "[::ffff:10.1.2.3]:1236", "[fd00::4]:53", "udp", 0, 0, "c"},
		}},
		{"ports-out-of-range", []decodedPacket{
			{t0, "10.0.0.1:7", "10.0.0.2:65535", "S", 1000, 0, ""},
			{t0, "10.0.0.2:65535", "10.0.0.1:7", "SA", 5000, 1001, ""},
			{t0, "10.0.0.1:7", "10.0.0.2:65535", "A", 1001, 5001, ""},
			{t0, "10.0.0.1:7", "10.0.0.2:65535", "PA", 1001, 5001, "wrapped"},
			{t0.Add(1), "10.0.0.1:0", "10.0.0.2:0", "udp", 0, 0, "no ports"},
		}},
		{"skipped", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fs []ioFinding
			for _, c := range pcapCases {
				if c.name == tc.name {
					fs = c.fs
				}
			}
			if fs == nil {
				t.Fatalf("no case %q in pcapCases", tc.name)
			}
			got := decodePcap(t, writePcap(t, ioReport(fs)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}
}

// pcapEdges are the io findings whose packets differ from the gopacket
// implementation's, and the packets gopacket decodes.
var pcapEdges = func() []struct {
	name     string
	f        ioFinding
	want     []decodedPacket
	checksum uint16 // of the last packet, when not 0
} {
	big := strings.Repeat("a", 70000)
	c4, s4 := "10.0.0.1:1000", "10.0.0.2:2000"
	c6, s6 := "[2001:db8::1]:1000", "[2001:db8::2]:2000"
	return []struct {
		name     string
		f        ioFinding
		want     []decodedPacket
		checksum uint16
	}{
		// These payloads make the UDP checksum compute to 0.
		{"udp4 zero checksum", ioFinding{l4: "udp", cip: "10.0.0.1", cport: 1000, sip: "10.0.0.2", sport: 2000, write: true, data: "zero\xf3B"},
			[]decodedPacket{{t0, c4, s4, "udp", 0, 0, "zero\xf3B"}}, 0xffff},
		{"udp6 zero checksum", ioFinding{l4: "udp", cip: "2001:db8::1", cport: 1000, sip: "2001:db8::2", sport: 2000, write: true, data: "zero\xab\xd0"},
			[]decodedPacket{{t0, c6, s6, "udp", 0, 0, "zero\xab\xd0"}}, 0xffff},
		{"tcp4 split", ioFinding{l4: "tcp", cip: "10.0.0.1", cport: 1000, sip: "10.0.0.2", sport: 2000, write: true, data: big},
			[]decodedPacket{
				{t0, c4, s4, "S", 1000, 0, ""}, {t0, s4, c4, "SA", 5000, 1001, ""}, {t0, c4, s4, "A", 1001, 5001, ""},
				{t0, c4, s4, "PA", 1001, 5001, big[:65495]},
				{t0, c4, s4, "PA", 1001 + 65495, 5001, big[65495:]},
			}, 0},
		{"tcp6 split", ioFinding{l4: "tcp", cip: "2001:db8::1", cport: 1000, sip: "2001:db8::2", sport: 2000, write: true, data: big},
			[]decodedPacket{
				{t0, c6, s6, "S", 1000, 0, ""}, {t0, s6, c6, "SA", 5000, 1001, ""}, {t0, c6, s6, "A", 1001, 5001, ""},
				{t0, c6, s6, "PA", 1001, 5001, big[:65515]},
				{t0, c6, s6, "PA", 1001 + 65515, 5001, big[65515:]},
			}, 0},
		{"udp4 cut", ioFinding{l4: "udp", cip: "10.0.0.1", cport: 1000, sip: "10.0.0.2", sport: 2000, write: true, data: big},
			[]decodedPacket{{t0, c4, s4, "udp", 0, 0, big[:65507]}}, 0},
		{"udp6 cut", ioFinding{l4: "udp", cip: "2001:db8::1", cport: 1000, sip: "2001:db8::2", sport: 2000, write: true, data: big},
			[]decodedPacket{{t0, c6, s6, "udp", 0, 0, big[:65527]}}, 0},
	}
}()

// TestPcapEdges checks what the gopacket implementation did otherwise:
// a UDP checksum that computes to 0 is sent as 0xffff, TCP data longer
// than an IP packet holds is split into segments, and such UDP data is cut.
func TestPcapEdges(t *testing.T) {
	for _, tc := range pcapEdges {
		t.Run(tc.name, func(t *testing.T) {
			file := writePcap(t, ioReport([]ioFinding{tc.f}))
			got := decodePcap(t, file)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			if tc.checksum != 0 {
				blocks := pcapngBlocks(t, file)
				epb := blocks[len(blocks)-1]
				frame := epb[28 : 28+binary.LittleEndian.Uint32(epb[20:])]
				udp := gopacket.NewPacket(frame, layers.LinkTypeEthernet, gopacket.DecodeOptions{}).Layer(layers.LayerTypeUDP).(*layers.UDP)
				if udp.Checksum != tc.checksum {
					t.Errorf("UDP checksum %#04x, want %#04x", udp.Checksum, tc.checksum)
				}
			}
		})
	}
}

// FuzzWritePcap writes a request and a response of one conversation and
// checks that every packet decodes as valid and that the packets carry the
// data in order (UDP data cut to what an IP packet holds).
func FuzzWritePcap(f *testing.F) {
	f.Add(false, []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}, uint16(40000), uint16(80), false, []byte(httpGet), []byte(httpOK))
	f.Add(true, netip.MustParseAddr("2001:db8::1").AsSlice(), netip.MustParseAddr("2001:db8::2").AsSlice(), uint16(1000), uint16(2000),
		true, []byte("x"), []byte("zero\xab\xd0"))
	f.Add(false, []byte{127, 0, 0, 1}, netip.MustParseAddr("::1").AsSlice(), uint16(0), uint16(65535), true, []byte{0}, []byte{})
	f.Fuzz(func(t *testing.T, udp bool, cip, sip []byte, cport, sport uint16, server bool, req, resp []byte) {
		c, okc := netip.AddrFromSlice(cip)
		s, oks := netip.AddrFromSlice(sip)
		if !okc || !oks {
			t.Skip("not an IP address")
		}
		l4 := "tcp"
		if udp {
			l4 = "udp"
		}
		// The request goes client to server: the client's write, or the
		// server's read; the response the other way.
		fs := []ioFinding{
			{at: 0, l4: l4, cip: c.String(), cport: int64(cport), sip: s.String(), sport: int64(sport), write: !server, server: server, data: string(req)},
			{at: 1, l4: l4, cip: c.String(), cport: int64(cport), sip: s.String(), sport: int64(sport), write: server, server: server, data: string(resp)},
		}
		var want string
		for _, d := range []string{string(req), string(resp)} {
			if udp {
				max := 65507
				if c.Is6() && !c.Is4In6() || s.Is6() && !s.Is4In6() {
					max = 65527
				}
				d = d[:min(len(d), max)]
			}
			want += d
		}
		var got string
		for _, p := range decodePcap(t, writePcap(t, ioReport(fs))) {
			got += p.Payload
		}
		if got != want {
			t.Errorf("packets carry %q, want %q", got, want)
		}
	})
}

// TestPcapTsharkChecksums has tshark check the IPv4, TCP and UDP checksums
// of the packets of every synthetic io view.
func TestPcapTsharkChecksums(t *testing.T) {
	tshark := testutil.NeedTool(t, "tshark")
	var fs []ioFinding
	for _, c := range pcapCases {
		fs = append(fs, c.fs...)
	}
	for _, e := range pcapEdges {
		fs = append(fs, e.f)
	}
	out := filepath.Join(t.TempDir(), "io.pcapng")
	if err := os.WriteFile(out, writePcap(t, ioReport(fs)), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(tshark, "-r", out, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
		"-T", "fields", "-e", "frame.number", "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "udp.checksum.status").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) < len(fs) {
		t.Fatalf("tshark read %d packets, want at least %d:\n%s", len(lines), len(fs), got)
	}
	for _, line := range lines {
		// Frame number, then the IPv4 (empty for IPv6), TCP and UDP
		// checksum status: 1 is good, 0 bad, 2 unverified.
		f := strings.Split(line, "\t")
		if len(f) != 4 || f[1] != "" && f[1] != "1" || f[2]+f[3] != "1" {
			t.Errorf("frame %s: checksum status (IPv4, TCP, UDP) %q", f[0], f[1:])
		}
	}
}
