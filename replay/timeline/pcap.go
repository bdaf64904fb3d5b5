package timeline

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/retrace-dev/retrace/replay/report"
)

// conn is one TCP or UDP conversation of the io view.
type conn struct {
	cip, sip     net.IP
	cport, sport uint16
	udp          bool
	// next holds the next sequence number client->server and
	// server->client; opened is set once the handshake is written.
	next           [2]uint32
	opened         bool
	client, server bool // which endpoints' events the view holds
}

type connKey struct {
	cip, sip     string
	cport, sport int64
	l4           string
}

// ioPacket is the socket data of one io finding.
type ioPacket struct {
	key    connKey
	write  bool
	server bool
	data   []byte
	d      *report.Detection
}

// ioPackets returns the io findings of rep that carry TCP or UDP data.
func ioPackets(rep *report.Report) []ioPacket {
	var out []ioPacket
	for i := range rep.Detections {
		d := &rep.Detections[i]
		f := d.OutputFields
		if d.Rule != "io" || f == nil {
			continue
		}
		l4, _ := f["fd.l4proto"].(string)
		if l4 != "tcp" && l4 != "udp" {
			continue
		}
		k := connKey{l4: l4}
		k.cip, _ = f["fd.cip"].(string)
		k.sip, _ = f["fd.sip"].(string)
		k.cport, _ = f["fd.cport"].(int64)
		k.sport, _ = f["fd.sport"].(int64)
		data, _ := f["evt.buffer"].(string)
		dir, _ := f["io.direction"].(string)
		server, _ := f["fd.is_server"].(bool)
		if net.ParseIP(k.cip) == nil || net.ParseIP(k.sip) == nil || len(data) == 0 {
			continue
		}
		out = append(out, ioPacket{key: k, write: dir == "write", server: server, data: []byte(data), d: d})
	}
	return out
}

// WritePcap writes the TCP and UDP data of an io view's findings as a
// pcapng file of synthetic Ethernet packets with the recorded addresses
// and ports, in time order, so that Wireshark's and tshark's Follow
// Stream show each conversation. TCP conversations get a handshake and
// contiguous sequence numbers; the data is what the capture's snaplen
// kept. When both endpoints of a conversation were recorded (a loopback
// connection), only their writes are used, so that no byte appears twice.
func WritePcap(w io.Writer, rep *report.Report) error {
	pkts := ioPackets(rep)
	conns := map[connKey]*conn{}
	for _, p := range pkts {
		c := conns[p.key]
		if c == nil {
			c = &conn{cip: net.ParseIP(p.key.cip), sip: net.ParseIP(p.key.sip), cport: uint16(p.key.cport),
				sport: uint16(p.key.sport), udp: p.key.l4 == "udp", next: [2]uint32{1000, 5000}}
			conns[p.key] = c
		}
		if p.server {
			c.server = true
		} else {
			c.client = true
		}
	}
	nw, err := pcapgo.NewNgWriter(w, layers.LinkTypeEthernet)
	if err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	buf := gopacket.NewSerializeBuffer()
	for _, p := range pkts {
		c := conns[p.key]
		if c.client && c.server && !p.write {
			continue
		}
		// Client to server: a client's write or a server's read.
		dir := 1
		if p.write != p.server {
			dir = 0
		}
		ts := p.d.Time
		if !c.udp && !c.opened {
			c.opened = true
			for _, hs := range []struct {
				dir      int
				syn, ack bool
			}{{0, true, false}, {1, true, true}, {0, false, true}} {
				if err := c.write(nw, buf, ts, hs.dir, hs.syn, hs.ack, nil); err != nil {
					return err
				}
				if hs.syn {
					c.next[hs.dir]++
				}
			}
		}
		if err := c.write(nw, buf, ts, dir, false, true, p.data); err != nil {
			return err
		}
		c.next[dir] += uint32(len(p.data))
	}
	if err := nw.Flush(); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	return nil
}

// write serializes one packet of c in direction dir (0: client to server).
func (c *conn) write(nw *pcapgo.NgWriter, buf gopacket.SerializeBuffer, ts time.Time, dir int,
	syn, ack bool, payload []byte) error {
	src, dst := c.cip, c.sip
	sport, dport := c.cport, c.sport
	if dir == 1 {
		src, dst, sport, dport = dst, src, dport, sport
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(1 + dir)}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(2 - dir)}}
	var ip gopacket.NetworkLayer
	var ipLayer gopacket.SerializableLayer
	proto := layers.IPProtocolTCP
	if c.udp {
		proto = layers.IPProtocolUDP
	}
	if v4 := src.To4(); v4 != nil && dst.To4() != nil {
		eth.EthernetType = layers.EthernetTypeIPv4
		l := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: v4, DstIP: dst.To4()}
		ip, ipLayer = l, l
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		l := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.To16(), DstIP: dst.To16()}
		ip, ipLayer = l, l
	}
	var l4 gopacket.SerializableLayer
	if c.udp {
		u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		if err := u.SetNetworkLayerForChecksum(ip); err != nil {
			return fmt.Errorf("write pcap: %w", err)
		}
		l4 = u
	} else {
		t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: c.next[dir], SYN: syn, ACK: ack,
			PSH: len(payload) > 0, Window: 65535}
		if ack {
			t.Ack = c.next[1-dir]
		}
		if err := t.SetNetworkLayerForChecksum(ip); err != nil {
			return fmt.Errorf("write pcap: %w", err)
		}
		l4 = t
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ipLayer, l4, gopacket.Payload(payload)); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	b := buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}
	if err := nw.WritePacket(ci, b); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	return nil
}
