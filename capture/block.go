package capture

import (
	"encoding/binary"
	"fmt"
)

// Block types of the scap file format (pcapng-style blocks). Legacy codes
// (0x8000ABCD and friends) are read like their current equivalents.
const (
	BlockSHB            uint32 = 0x0A0D0D0A // section header
	BlockMI             uint32 = 0x201      // machine info
	BlockMILegacy       uint32 = 0x8002ABCD // machine info, legacy code
	BlockPLV1           uint32 = 0x202      // process list V1
	BlockPLV1Legacy     uint32 = 0x8000ABCD // process list V1, legacy code
	BlockPLV2           uint32 = 0x207      // process list V2
	BlockPLV2Legacy     uint32 = 0x8013ABCD // process list V2, legacy code
	BlockPLV3           uint32 = 0x209      // process list V3
	BlockPLV3Legacy     uint32 = 0x8014ABCD // process list V3, legacy code
	BlockPLV4           uint32 = 0x210      // process list V4
	BlockPLV5           uint32 = 0x211      // process list V5
	BlockPLV6           uint32 = 0x212      // process list V6
	BlockPLV7           uint32 = 0x213      // process list V7
	BlockPLV8           uint32 = 0x214      // process list V8
	BlockPLV9           uint32 = 0x215      // process list V9 (length-prefixed entries)
	BlockFDL            uint32 = 0x203      // fd list
	BlockFDLLegacy      uint32 = 0x8001ABCD // fd list, legacy code
	BlockFDLV2          uint32 = 0x218      // fd list V2 (length-prefixed entries)
	BlockEV             uint32 = 0x204      // event, 22-byte event header
	BlockEVLegacy       uint32 = 0x8010ABCD // event, legacy code
	BlockEVV2           uint32 = 0x216      // event, 26-byte event header
	BlockEVV2Large      uint32 = 0x221      // event with u32 parameter lengths
	BlockEVF            uint32 = 0x208      // event with flags, 22-byte header
	BlockEVFV2          uint32 = 0x217      // event with flags, 26-byte header
	BlockEVFV2Large     uint32 = 0x222      // event with flags and u32 parameter lengths
	BlockIL             uint32 = 0x205      // interface list
	BlockILLegacy       uint32 = 0x8011ABCD // interface list, legacy code
	BlockILV2           uint32 = 0x219      // interface list V2 (length-prefixed entries)
	BlockUL             uint32 = 0x206      // user list
	BlockULLegacy       uint32 = 0x8012ABCD // user list, legacy code
	BlockULV2           uint32 = 0x220      // user list V2 (length-prefixed entries)
	sectionByteOrder    uint32 = 0x1A2B3C4D
	blockHeaderLen             = 8
	blockOverhead              = 12 // header + trailer
	sectionHeaderLen           = 28
	sectionMajorVersion        = 1
	sectionMinorVersion        = 2
)

// MaxBlockSize is the largest block the reader accepts. Larger lengths are
// reported as corruption rather than allocated.
const MaxBlockSize = 16 << 20

// plVersion returns the process-list version (1..9) of a block type, or 0.
func plVersion(t uint32) int {
	switch t {
	case BlockPLV1, BlockPLV1Legacy:
		return 1
	case BlockPLV2, BlockPLV2Legacy:
		return 2
	case BlockPLV3, BlockPLV3Legacy:
		return 3
	case BlockPLV4:
		return 4
	case BlockPLV5:
		return 5
	case BlockPLV6:
		return 6
	case BlockPLV7:
		return 7
	case BlockPLV8:
		return 8
	case BlockPLV9:
		return 9
	}
	return 0
}

// eventBlockKind describes how an event block lays out its body.
type eventBlockKind struct {
	flags bool // a u32 flags word follows the cpu id
	v1    bool // the event header lacks nparams (22 bytes)
}

// prefixLen returns the length of the fields before the event record in
// the block body: the u16 cpu id and, with flags, the u32 flags word.
func (k eventBlockKind) prefixLen() int {
	if k.flags {
		return 6
	}
	return 2
}

// eventKind reports whether t is an event block type and its layout.
func eventKind(t uint32) (eventBlockKind, bool) {
	switch t {
	case BlockEV, BlockEVLegacy:
		return eventBlockKind{v1: true}, true
	case BlockEVV2, BlockEVV2Large:
		return eventBlockKind{}, true
	case BlockEVF:
		return eventBlockKind{flags: true, v1: true}, true
	case BlockEVFV2, BlockEVFV2Large:
		return eventBlockKind{flags: true}, true
	}
	return eventBlockKind{}, false
}

// IsEventBlock reports whether t is one of the event block types.
func IsEventBlock(t uint32) bool {
	_, ok := eventKind(t)
	return ok
}

// BlockName returns a short name for a block type, e.g. "PL_V9", or the hex
// code for unknown types.
func BlockName(t uint32) string {
	switch t {
	case BlockSHB:
		return "SHB"
	case BlockMI, BlockMILegacy:
		return "MI"
	case BlockFDL, BlockFDLLegacy:
		return "FDL"
	case BlockFDLV2:
		return "FDL_V2"
	case BlockEV, BlockEVLegacy:
		return "EV"
	case BlockEVV2:
		return "EV_V2"
	case BlockEVV2Large:
		return "EV_V2_LARGE"
	case BlockEVF:
		return "EVF"
	case BlockEVFV2:
		return "EVF_V2"
	case BlockEVFV2Large:
		return "EVF_V2_LARGE"
	case BlockIL, BlockILLegacy:
		return "IL"
	case BlockILV2:
		return "IL_V2"
	case BlockUL, BlockULLegacy:
		return "UL"
	case BlockULV2:
		return "UL_V2"
	}
	if v := plVersion(t); v > 0 {
		return fmt.Sprintf("PL_V%d", v)
	}
	return fmt.Sprintf("0x%X", t)
}

// Block is one scap block as stored in the file.
type Block struct {
	// Type is the block type code.
	Type uint32
	// Offset is the block's offset in the scap stream (the decompressed
	// content for compressed files).
	Offset int64
	// Raw holds the whole block: header, body, padding and trailer. It is
	// only valid until the reader's next call unless stated otherwise.
	Raw []byte
}

// Body returns the block's body, including any padding, without the 8-byte
// header and the trailing length.
func (b Block) Body() []byte { return b.Raw[blockHeaderLen : len(b.Raw)-4] }

// parseBlockHeader validates the 8-byte block header at the start of buf and
// returns the block type and total length.
func parseBlockHeader(buf []byte) (typ, total uint32, err error) {
	typ = binary.LittleEndian.Uint32(buf)
	total = binary.LittleEndian.Uint32(buf[4:])
	if total < blockOverhead {
		return typ, total, fmt.Errorf("block %s: length %d shorter than %d", BlockName(typ), total, blockOverhead)
	}
	if total > MaxBlockSize {
		return typ, total, fmt.Errorf("block %s: length %d exceeds the %d-byte limit", BlockName(typ), total, MaxBlockSize)
	}
	return typ, total, nil
}

// checkTrailer verifies a complete block's trailing length.
func checkTrailer(raw []byte) error {
	total := binary.LittleEndian.Uint32(raw[4:])
	if trailer := binary.LittleEndian.Uint32(raw[len(raw)-4:]); trailer != total {
		return fmt.Errorf("block %s: trailer length %d differs from header length %d", BlockName(binary.LittleEndian.Uint32(raw)), trailer, total)
	}
	return nil
}

// splitBlock returns the first complete block of buf and its length. It
// returns errShortBlock when buf holds only part of a block.
func splitBlock(buf []byte) (Block, error) {
	if len(buf) < blockHeaderLen {
		return Block{}, errShortBlock
	}
	typ, total, err := parseBlockHeader(buf)
	if err != nil {
		return Block{}, err
	}
	if uint64(total) > uint64(len(buf)) {
		return Block{}, errShortBlock
	}
	raw := buf[:total]
	if err := checkTrailer(raw); err != nil {
		return Block{}, err
	}
	return Block{Type: typ, Raw: raw}, nil
}

// appendBlock appends a block of type typ with the given body to dst,
// padding the body to four bytes and adding the trailer.
func appendBlock(dst []byte, typ uint32, body ...[]byte) []byte {
	n := 0
	for _, b := range body {
		n += len(b)
	}
	pad := (4 - n%4) % 4
	total := uint32(blockOverhead + n + pad)
	dst = binary.LittleEndian.AppendUint32(dst, typ)
	dst = binary.LittleEndian.AppendUint32(dst, total)
	for _, b := range body {
		dst = append(dst, b...)
	}
	dst = append(dst, make([]byte, pad)...)
	return binary.LittleEndian.AppendUint32(dst, total)
}

// beginBlock starts a block of type typ in dst whose length is filled in by
// endBlock; it returns the block's start offset.
func beginBlock(dst []byte, typ uint32) ([]byte, int) {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, typ)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return dst, start
}

// endBlock pads and closes the block started at start.
func endBlock(dst []byte, start int) []byte {
	for (len(dst)-start)%4 != 0 {
		dst = append(dst, 0)
	}
	total := uint32(len(dst) - start + 4)
	binary.LittleEndian.PutUint32(dst[start+4:], total)
	return binary.LittleEndian.AppendUint32(dst, total)
}

// AppendSectionHeader appends a section header block (scap version 1.2) to dst.
func AppendSectionHeader(dst []byte) []byte {
	var body [16]byte
	binary.LittleEndian.PutUint32(body[0:], sectionByteOrder)
	binary.LittleEndian.PutUint16(body[4:], sectionMajorVersion)
	binary.LittleEndian.PutUint16(body[6:], sectionMinorVersion)
	binary.LittleEndian.PutUint64(body[8:], ^uint64(0))
	return appendBlock(dst, BlockSHB, body[:])
}

// SectionVersion is the version stored in the section header block.
type SectionVersion struct {
	Major, Minor uint16
}

// String returns "major.minor".
func (v SectionVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// parseSectionHeader decodes a section header block's body.
func parseSectionHeader(body []byte) (SectionVersion, error) {
	if len(body) < 16 {
		return SectionVersion{}, fmt.Errorf("section header: body of %d bytes, want 16", len(body))
	}
	if m := binary.LittleEndian.Uint32(body); m != sectionByteOrder {
		return SectionVersion{}, fmt.Errorf("section header: byte-order magic 0x%08X, want 0x%08X", m, sectionByteOrder)
	}
	v := SectionVersion{Major: binary.LittleEndian.Uint16(body[4:]), Minor: binary.LittleEndian.Uint16(body[6:])}
	if v.Major > sectionMajorVersion {
		return v, fmt.Errorf("section header: unsupported major version %d", v.Major)
	}
	return v, nil
}
