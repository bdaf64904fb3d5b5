// Package pcapng writes packet capture files in the pcapng format
// (IETF draft-ietf-opsawg-pcapng) that Wireshark, tshark and tcpdump read:
// one section, one interface, and its packets as Enhanced Packet Blocks with
// nanosecond timestamps, all little-endian. It writes only; it does not read.
package pcapng
