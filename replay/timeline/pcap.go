package timeline

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/retrace-dev/retrace/internal/pcapng"
	"github.com/retrace-dev/retrace/replay/report"
)

// conn is one TCP or UDP conversation of the io view.
type conn struct {
	// cip and sip are the client's and server's addresses as written in
	// the IP header: 4 bytes each for IPv4, 16 for IPv6.
	cip, sip     []byte
	cport, sport uint16
	udp          bool
	// next holds the next sequence number client->server and
	// server->client; opened is set once the handshake is written.
	next           [2]uint32
	opened         bool
	client, server bool // which endpoints' events the view holds
}

// connKey identifies a conversation by its fields in the io findings.
type connKey struct {
	cip, sip     string
	cport, sport int64
	l4           string
}

// newConn returns the conversation of k, whose addresses parse. It is IPv4
// when both addresses are (v4-mapped IPv6 addresses included), IPv6 (with
// an IPv4 address v4-mapped) otherwise.
func newConn(k connKey) *conn {
	c := &conn{cport: uint16(k.cport), sport: uint16(k.sport), udp: k.l4 == "udp", next: [2]uint32{1000, 5000}}
	cip, sip := net.ParseIP(k.cip), net.ParseIP(k.sip)
	if cip.To4() != nil && sip.To4() != nil {
		c.cip, c.sip = cip.To4(), sip.To4()
	} else {
		c.cip, c.sip = cip.To16(), sip.To16()
	}
	return c
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
// kept, in segments that fit an IP packet. UDP data longer than an IP
// packet holds is cut. When both endpoints of a conversation were
// recorded (a loopback connection), only their writes are used, so that
// no byte appears twice.
func WritePcap(w io.Writer, rep *report.Report) error {
	pkts := ioPackets(rep)
	conns := map[connKey]*conn{}
	for _, p := range pkts {
		c := conns[p.key]
		if c == nil {
			c = newConn(p.key)
			conns[p.key] = c
		}
		if p.server {
			c.server = true
		} else {
			c.client = true
		}
	}
	pw, err := pcapng.NewWriter(w, pcapng.LinkTypeEthernet, "retrace")
	if err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	var frame []byte
	// write writes one packet of c.
	write := func(c *conn, ts time.Time, dir int, flags uint8, payload []byte) error {
		frame = c.frame(frame[:0], dir, flags, payload)
		if err := pw.WritePacket(ts, frame); err != nil {
			return fmt.Errorf("write pcap: %w", err)
		}
		return nil
	}
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
		if c.udp {
			if err := write(c, ts, dir, 0, p.data[:min(len(p.data), c.maxPayload())]); err != nil {
				return err
			}
			continue
		}
		if !c.opened {
			c.opened = true
			for _, hs := range []struct {
				dir   int
				flags uint8
			}{{0, tcpSYN}, {1, tcpSYN | tcpACK}, {0, tcpACK}} {
				if err := write(c, ts, hs.dir, hs.flags, nil); err != nil {
					return err
				}
				if hs.flags&tcpSYN != 0 {
					c.next[hs.dir]++
				}
			}
		}
		for data := p.data; len(data) > 0; {
			seg := data[:min(len(data), c.maxPayload())]
			if err := write(c, ts, dir, tcpPSH|tcpACK, seg); err != nil {
				return err
			}
			c.next[dir] += uint32(len(seg))
			data = data[len(seg):]
		}
	}
	if err := pw.Flush(); err != nil {
		return fmt.Errorf("write pcap: %w", err)
	}
	return nil
}

// Header fields of the synthetic packets.
const (
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd
	protoTCP      = 6
	protoUDP      = 17
	ttl           = 64 // IPv4 time to live, IPv6 hop limit
	tcpWindow     = 65535

	// TCP flags, in the low byte of the header's flags field.
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10

	ipv4HeaderLen = 20
	tcpHeaderLen  = 20 // no options
	udpHeaderLen  = 8
	minFrameLen   = 60 // Ethernet's minimum frame, without the frame check sequence
)

// maxPayload returns the most data one packet of c carries: what the IPv4
// total length or the IPv6 payload length (no jumbograms) leaves after the
// headers.
func (c *conn) maxPayload() int {
	n := 0xffff - tcpHeaderLen
	if c.udp {
		n = 0xffff - udpHeaderLen
	}
	if len(c.cip) == net.IPv4len {
		n -= ipv4HeaderLen
	}
	return n
}

// frame appends to b the Ethernet frame of one packet of c in direction dir
// (0: client to server) and returns it: an Ethernet II header with
// synthetic addresses, an IPv4 or IPv6 header, and a TCP header with flags
// (its sequence number c.next[dir], and with ACK the acknowledgement number
// c.next[1-dir]) or a UDP header, then payload, with the lengths and
// checksums filled in and zeros up to Ethernet's minimum frame length.
// payload must fit (see [conn.maxPayload]).
func (c *conn) frame(b []byte, dir int, flags uint8, payload []byte) []byte {
	src, dst := c.cip, c.sip
	sport, dport := c.cport, c.sport
	if dir == 1 {
		src, dst, sport, dport = dst, src, dport, sport
	}
	be := binary.BigEndian

	// Ethernet: destination and source MAC addresses (locally administered,
	// 02:00:00:00:00:01 for the client and :02 for the server), EtherType.
	b = append(b, 2, 0, 0, 0, 0, byte(2-dir), 2, 0, 0, 0, 0, byte(1+dir))
	proto, l4Len := uint8(protoTCP), tcpHeaderLen+len(payload)
	if c.udp {
		proto, l4Len = protoUDP, udpHeaderLen+len(payload)
	}
	if len(src) == net.IPv4len {
		b = be.AppendUint16(b, etherTypeIPv4)
		ip := len(b)
		b = append(b, 4<<4|ipv4HeaderLen/4, 0) // version, header length; type of service
		b = be.AppendUint16(b, uint16(ipv4HeaderLen+l4Len))
		b = append(b, 0, 0, 0, 0, ttl, proto, 0, 0) // ID, flags and fragment offset, TTL, protocol, checksum
		b = append(b, src...)
		b = append(b, dst...)
		be.PutUint16(b[ip+10:], ^foldSum(sum16(b[ip:], 0)))
	} else {
		b = be.AppendUint16(b, etherTypeIPv6)
		b = append(b, 6<<4, 0, 0, 0) // version, traffic class, flow label
		b = be.AppendUint16(b, uint16(l4Len))
		b = append(b, proto, ttl)
		b = append(b, src...)
		b = append(b, dst...)
	}

	l4 := len(b)
	b = be.AppendUint16(b, sport)
	b = be.AppendUint16(b, dport)
	csumAt := l4 + 16
	if c.udp {
		csumAt = l4 + 6
		b = be.AppendUint16(b, uint16(l4Len))
		b = append(b, 0, 0) // checksum
	} else {
		var ack uint32
		if flags&tcpACK != 0 {
			ack = c.next[1-dir]
		}
		b = be.AppendUint32(b, c.next[dir])
		b = be.AppendUint32(b, ack)
		b = append(b, tcpHeaderLen/4<<4, flags)
		b = be.AppendUint16(b, tcpWindow)
		b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	}
	b = append(b, payload...)

	// The TCP and UDP checksum covers a pseudo-header of the addresses, the
	// protocol and the length, then the header and the data.
	sum := sum16(dst, sum16(src, 0)) + uint64(proto) + uint64(l4Len)
	check := ^foldSum(sum16(b[l4:], sum))
	if c.udp && check == 0 {
		check = 0xffff // 0 would mean "no checksum" (RFC 768)
	}
	be.PutUint16(b[csumAt:], check)

	if len(b) < minFrameLen {
		b = append(b, make([]byte, minFrameLen-len(b))...)
	}
	return b
}

// sum16 adds b to sum as big-endian 16-bit words, an odd last byte padded
// with a zero, for the Internet checksum (RFC 1071).
func sum16(b []byte, sum uint64) uint64 {
	for len(b) >= 2 {
		sum += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return sum
}

// foldSum folds sum's carries into 16 bits (one's complement addition).
func foldSum(sum uint64) uint16 {
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}
