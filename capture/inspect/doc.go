// Package inspect describes a capture file for `retrace info`: format,
// host, time range, events by type, processes and containers seen, drops,
// frames, completeness and chain of custody, as text or JSON.
package inspect
