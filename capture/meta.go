package capture

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/retrace-dev/retrace/capture/container"
)

// Metadata is what retrace's recorder says about a capture besides its
// events. It is stored as JSON in skippable zstd frames: once after the
// header frame (start fields) and again, complete, when the file is closed.
type Metadata struct {
	RecorderVersion string    `json:"recorder_version,omitempty"`
	KernelRelease   string    `json:"kernel_release,omitempty"`
	Hostname        string    `json:"hostname,omitempty"`
	CommandLine     []string  `json:"command_line,omitempty"`
	StartTime       time.Time `json:"start_time,omitzero"`
	StopTime        time.Time `json:"stop_time,omitzero"`
	BootTime        time.Time `json:"boot_time,omitzero"`
	// Unrecorded counts, per event type name, syscalls the recorder saw but
	// did not write (filtered out by the event profile).
	Unrecorded map[string]uint64 `json:"unrecorded,omitempty"`
	// Drops counts events the kernel side lost.
	Drops *Drops `json:"drops,omitempty"`
	// EmptyReads counts event parameters the kernel side could not read
	// from user memory (written empty, flagged, never dropped).
	EmptyReads uint64 `json:"empty_reads,omitempty"`
	// Containers are the containers the recorder learned about.
	Containers []Container `json:"containers,omitempty"`
	// SigningKey is the public key (minisign's one-line form) that signed
	// the capture's checkpoints, for display: verification trusts only a
	// key given to it.
	SigningKey string `json:"signing_key,omitempty"`
	// Redaction is the manifest of what was redacted from the capture
	// (retrace redact, record --redact-env; docs/FORMAT.md, "Redaction");
	// nil when nothing was.
	Redaction *Redaction `json:"redaction,omitempty"`
	// Rotation, in a file of a rotated set, names the set and the file's
	// place in it (docs/FORMAT.md, "Rotated sets and the ring").
	Rotation *Rotation `json:"rotation,omitempty"`
}

// Rotation places a file in its rotated set.
type Rotation struct {
	// Set identifies the set: 32 hex digits, the same in each of its files.
	Set string `json:"set"`
	// Seq is the file's number in the set, from 1.
	Seq int `json:"seq"`
}

// Redaction says what was removed from a capture and, for a redacted
// copy, which capture it was derived from.
type Redaction struct {
	Tool string    `json:"tool,omitempty"`
	Time time.Time `json:"time,omitzero"`
	// Source is the original file's name, SourceSHA256 its SHA-256 (hex);
	// SourceChain, SourceCheckpoint, SourceFinal and SourceKey describe
	// its last good checkpoint (chain head in hex, number, final, key id).
	Source           string `json:"source,omitempty"`
	SourceSHA256     string `json:"source_sha256,omitempty"`
	SourceChain      string `json:"source_chain,omitempty"`
	SourceCheckpoint *int   `json:"source_checkpoint,omitempty"`
	SourceFinal      bool   `json:"source_final,omitempty"`
	SourceKey        string `json:"source_key,omitempty"`
	SourceStatus     string `json:"source_status,omitempty"`
	// Env are the globs of the environment variables whose values were
	// replaced, Args the patterns replaced in arguments, Buffers whether
	// I/O buffers were emptied.
	Env     []string `json:"env,omitempty"`
	Args    []string `json:"args,omitempty"`
	Buffers bool     `json:"buffers,omitempty"`
	// Pseudonymize lists the kinds pseudonymised ("users", "hosts",
	// "paths"); PseudonymKey says where the key came from ("random" or
	// "file"), PseudonymKeyID identifies it without showing it.
	Pseudonymize   []string `json:"pseudonymize,omitempty"`
	PseudonymKey   string   `json:"pseudonym_key,omitempty"`
	PseudonymKeyID string   `json:"pseudonym_key_id,omitempty"`
	// Pseudonyms counts the distinct originals replaced by kind,
	// PseudonymReplacements every replacement.
	Pseudonyms            *PseudonymCounts `json:"pseudonyms,omitempty"`
	PseudonymReplacements uint64           `json:"pseudonym_replacements,omitempty"`
	// EnvValues, ArgMatches and BufferBytes count what was redacted.
	EnvValues   uint64 `json:"env_values"`
	ArgMatches  uint64 `json:"arg_matches"`
	BufferBytes uint64 `json:"buffer_bytes"`
	// Previous is the input's own manifest when the input was itself a
	// redacted copy: each step back to the original stays named.
	Previous *Redaction `json:"previous,omitempty"`
}

// PseudonymCounts count the distinct originals a redaction replaced by
// pseudonyms, by kind.
type PseudonymCounts struct {
	Users uint64 `json:"users"`
	Hosts uint64 `json:"hosts"`
	Paths uint64 `json:"paths"`
}

// Drops are the recorder's drop counters.
type Drops struct {
	// Total is the number of events lost.
	Total uint64 `json:"total"`
	// PerCPU is the number lost on each CPU, indexed by CPU number.
	PerCPU []uint64 `json:"per_cpu,omitempty"`
	// ByReason splits Total by cause (e.g. "ringbuf_full").
	ByReason map[string]uint64 `json:"by_reason,omitempty"`
	// MaxReaderLagNs is the largest delay, in nanoseconds, between an
	// event's timestamp and the moment the recorder read it from the ring
	// buffer: how far the reader fell behind.
	MaxReaderLagNs uint64 `json:"max_reader_lag_ns,omitempty"`
}

// MaxContainerFrame bounds one RTCT container frame's payload and
// MaxContainerMetadata the payloads of all of a capture's together
// (docs/FORMAT.md, "Limits of the analysis"): the recorder writes one
// container of 1-10 KiB per frame. Frames over a bound are not decoded
// and are counted in [Stats].
const (
	MaxContainerFrame    = 1 << 20
	MaxContainerMetadata = 32 << 20
)

// Container is what the recorder knows of a container: package
// container's model, whose JSON encoding is the metadata's container
// record (id, name, image, image_id, runtime, privileged, labels).
type Container = container.Info

// FrameInfo is one entry of the frame index of a .scap.zst file.
type FrameInfo struct {
	// Offset is the frame's byte offset in the file.
	Offset int64
	// CompressedSize and RawSize are the frame's sizes in the file and
	// decompressed.
	CompressedSize uint32
	RawSize        uint32
	// FirstTS and LastTS are the first and last event timestamps (ns).
	FirstTS, LastTS uint64
	// Events is the number of events in the frame.
	Events uint64
}

// Tags of retrace's skippable frames (first four payload bytes).
const (
	tagMetaStart  = "RTMS" // JSON Metadata, start fields
	tagMetaEnd    = "RTME" // JSON Metadata, complete, written at close
	tagContainers = "RTCT" // JSON []Container
	tagIndex      = "RTIX" // binary frame index
	tagFooter     = "RTFT" // binary footer
	// tagCheckpoint (chain.go): hash chain checkpoint
)

const (
	indexVersion   = 1
	indexEntryLen  = 40
	footerVersion  = 1
	footerBodyLen  = 4 + 8 + 4 + 8 + 8 + 8 + 8
	maxMetaPayload = 64 << 20
)

// footer closes a retrace capture.
type footer struct {
	Events         uint64
	EventFrames    uint32
	IndexOffset    int64 // file offset of the index frame
	MetadataOffset int64 // file offset of the closing metadata frame
	FirstTS        uint64
	LastTS         uint64
}

// appendSkippable appends a skippable frame with a retrace tag to dst.
func appendSkippable(dst []byte, tag string, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, retraceMagic)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(4+len(payload)))
	dst = append(dst, tag...)
	return append(dst, payload...)
}

func encodeIndex(idx []FrameInfo) []byte {
	b := make([]byte, 0, 8+len(idx)*indexEntryLen)
	b = binary.LittleEndian.AppendUint32(b, indexVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(idx)))
	for _, f := range idx {
		b = binary.LittleEndian.AppendUint64(b, uint64(f.Offset))
		b = binary.LittleEndian.AppendUint32(b, f.CompressedSize)
		b = binary.LittleEndian.AppendUint32(b, f.RawSize)
		b = binary.LittleEndian.AppendUint64(b, f.FirstTS)
		b = binary.LittleEndian.AppendUint64(b, f.LastTS)
		b = binary.LittleEndian.AppendUint64(b, f.Events)
	}
	return b
}

func decodeIndex(b []byte) ([]FrameInfo, error) {
	c := cursor{b: b}
	if v := c.u32("index version"); c.err == nil && v != indexVersion {
		return nil, fmt.Errorf("frame index: unsupported version %d", v)
	}
	n := int(c.u32("index entry count"))
	if c.err != nil {
		return nil, fmt.Errorf("frame index: %w", c.err)
	}
	if n > c.left()/indexEntryLen {
		return nil, fmt.Errorf("frame index: %d entries do not fit in %d bytes", n, c.left())
	}
	out := make([]FrameInfo, n)
	for i := range out {
		out[i] = FrameInfo{
			Offset:         int64(c.u64("offset")),
			CompressedSize: c.u32("compressed size"),
			RawSize:        c.u32("raw size"),
			FirstTS:        c.u64("first ts"),
			LastTS:         c.u64("last ts"),
			Events:         c.u64("events"),
		}
	}
	return out, c.err
}

func encodeFooter(f footer) []byte {
	b := make([]byte, 0, footerBodyLen)
	b = binary.LittleEndian.AppendUint32(b, footerVersion)
	b = binary.LittleEndian.AppendUint64(b, f.Events)
	b = binary.LittleEndian.AppendUint32(b, f.EventFrames)
	b = binary.LittleEndian.AppendUint64(b, uint64(f.IndexOffset))
	b = binary.LittleEndian.AppendUint64(b, uint64(f.MetadataOffset))
	b = binary.LittleEndian.AppendUint64(b, f.FirstTS)
	return binary.LittleEndian.AppendUint64(b, f.LastTS)
}

func decodeFooter(b []byte) (footer, error) {
	c := cursor{b: b}
	if v := c.u32("footer version"); c.err == nil && v != footerVersion {
		return footer{}, fmt.Errorf("footer: unsupported version %d", v)
	}
	f := footer{
		Events:         c.u64("events"),
		EventFrames:    c.u32("event frames"),
		IndexOffset:    int64(c.u64("index offset")),
		MetadataOffset: int64(c.u64("metadata offset")),
		FirstTS:        c.u64("first ts"),
		LastTS:         c.u64("last ts"),
	}
	if c.err != nil {
		return f, fmt.Errorf("footer: %w", c.err)
	}
	return f, nil
}

// seekEntry is one entry of the zstd seekable format's seek table.
type seekEntry struct {
	CompressedSize, DecompressedSize uint32
}

// appendSeekTable appends the seek table frame (zstd seekable format,
// without checksums) listing every frame of the file.
func appendSeekTable(dst []byte, entries []seekEntry) []byte {
	size := len(entries)*8 + 9
	dst = binary.LittleEndian.AppendUint32(dst, seekTableMagic)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(size))
	for _, e := range entries {
		dst = binary.LittleEndian.AppendUint32(dst, e.CompressedSize)
		dst = binary.LittleEndian.AppendUint32(dst, e.DecompressedSize)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(entries)))
	dst = append(dst, 0) // descriptor: no checksums
	return binary.LittleEndian.AppendUint32(dst, seekableFooterMagc)
}

func decodeMetadata(b []byte) (*Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	return &m, nil
}

// decodeMetadataWithoutContainers decodes a metadata payload but not its
// containers, for a payload whose containers pass [MaxContainerMetadata].
func decodeMetadataWithoutContainers(b []byte) (*Metadata, error) {
	var m struct {
		*Metadata
		Containers skippedJSON `json:"containers"`
	}
	m.Metadata = &Metadata{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	return m.Metadata, nil
}

// skippedJSON accepts any JSON value without decoding it.
type skippedJSON struct{}

func (skippedJSON) UnmarshalJSON([]byte) error { return nil }
