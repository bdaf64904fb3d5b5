package capture

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Format is a capture file's container format.
type Format int

// Container formats.
const (
	FormatUnknown Format = iota
	// FormatScap is a plain scap file (.scap).
	FormatScap
	// FormatGzip is a gzip-compressed scap file (.scap.gz).
	FormatGzip
	// FormatZstd is scap blocks in zstd frames (.scap.zst): retrace's own
	// format, or any zstd-compressed scap file.
	FormatZstd
)

// String returns the format's usual file extension without the dot.
func (f Format) String() string {
	switch f {
	case FormatScap:
		return "scap"
	case FormatGzip:
		return "scap.gz"
	case FormatZstd:
		return "scap.zst"
	}
	return "unknown"
}

// FormatFromName returns the format a file name's extension asks for:
// .zst and .zstd give FormatZstd, .gz gives FormatGzip, anything else
// FormatScap.
func FormatFromName(name string) Format {
	switch {
	case strings.HasSuffix(name, ".zst"), strings.HasSuffix(name, ".zstd"):
		return FormatZstd
	case strings.HasSuffix(name, ".gz"):
		return FormatGzip
	}
	return FormatScap
}

// zstd framing constants (RFC 8878).
const (
	zstdMagic          uint32 = 0xFD2FB528
	skippableMagicMin  uint32 = 0x184D2A50
	skippableMagicMax  uint32 = 0x184D2A5F
	seekTableMagic     uint32 = 0x184D2A5E
	seekableFooterMagc uint32 = 0x8F92EAB1
	retraceMagic       uint32 = 0x184D2A5A // skippable frames holding retrace metadata
)

func isSkippable(m uint32) bool { return m >= skippableMagicMin && m <= skippableMagicMax }

// detectFormat classifies a file from its first bytes.
func detectFormat(head []byte) Format {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return FormatGzip
	}
	if len(head) < 4 {
		return FormatUnknown
	}
	m := binary.LittleEndian.Uint32(head)
	switch {
	case m == BlockSHB:
		return FormatScap
	case m == zstdMagic || isSkippable(m):
		return FormatZstd
	}
	return FormatUnknown
}

func allZero(b []byte) bool {
	return len(bytes.Trim(b, "\x00")) == 0
}
