package record

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/retrace-dev/retrace/capture/minisig"
)

// Options configures a recording.
type Options struct {
	// Output is the capture file to write (.scap.zst, .scap or .scap.gz);
	// with rotation, the files of the set are named after it (see
	// [SetFileName]). It is created exclusively and locked while recording
	// (docs/FORMAT.md, "The recorder's output file").
	Output string
	// Force replaces an existing output file (not one another recorder
	// holds).
	Force bool
	// RotateSize and RotateTime, when not 0, begin a new file of a rotated
	// set when the current one reaches this many bytes or has been written
	// for this long; Keep, when not 0, removes the oldest files so that at
	// most Keep remain (docs/FORMAT.md, "Rotated sets and the ring").
	RotateSize int64
	RotateTime time.Duration
	Keep       int
	// RingDuration or RingSize keep, in a staging directory beside Output,
	// only the files of the last RingDuration or RingSize bytes, written out
	// beside Output when a value arrives on WriteOut and at the end.
	RingDuration time.Duration
	RingSize     int64
	WriteOut     <-chan os.Signal
	// Status, when set, receives the recording's counters every second,
	// from the recording's goroutine (retrace record's live status line).
	Status func(Status)
	// Duration stops the recording after this long; 0 means no limit.
	Duration time.Duration
	// MaxSize stops the recording once the file reaches this many bytes;
	// 0 means no limit.
	MaxSize int64
	// Snaplen is the number of data bytes kept from I/O buffers.
	Snaplen uint32
	// NoEnv keeps environment variables out of the capture.
	NoEnv bool
	// RedactEnv are globs of environment variable names whose values are
	// written as REDACTED (capture/redact; docs/FORMAT.md, "Redaction").
	RedactEnv []string
	// AllSyscalls writes generic events for syscalls outside the profile.
	AllSyscalls bool
	// FilterComm records only threads with this comm.
	FilterComm string
	// FilterContainer records only threads of this container (id prefix or
	// name), plus the container metadata.
	FilterContainer string
	// ContainerdState and CRIORunRoot are where containerd and cri-o keep
	// their containers' OCI bundles, read for container metadata (empty:
	// /run/containerd, /run/containers/storage).
	ContainerdState, CRIORunRoot string
	// Command, when set, is run while recording; the recording stops when
	// it exits.
	Command []string
	// OnlyCommand keeps only the events of Command and of the processes
	// it creates, their children and so on (its creation descendants,
	// wherever they are reparented; container runtimes it starts and their
	// containers), plus container events: small, focused captures such as
	// the attack recordings of testdata/attacks.
	OnlyCommand bool
	// SnapshotScope chooses the processes of the header's process list;
	// the zero value is SnapshotCommand with OnlyCommand, else SnapshotAll.
	SnapshotScope SnapshotScope
	// CommandStdin, CommandStdout and CommandStderr are the command's
	// standard streams (nil: /dev/null for stdin, discarded output).
	CommandStdin                 io.Reader
	CommandStdout, CommandStderr io.Writer
	// CommandLine is the recorder's own argv, stored in the metadata.
	CommandLine []string
	// Version is the recorder version stored in the metadata.
	Version string
	// ReorderWindow is how long events wait to be put in timestamp order;
	// 0 means 200 ms.
	ReorderWindow time.Duration
	// Log receives progress and warnings; nil discards them.
	Log io.Writer
	// BPFStats enables the kernel's BPF run-time accounting for the
	// recording and reports it in Result.Programs.
	BPFStats bool
	// RingBytes is the BPF ring buffer size (a power of two, a multiple of
	// the page size); 0 means 16 MiB.
	RingBytes int
	// SyscallHooks selects how syscalls are hooked; the zero value
	// (HooksAuto) uses per-syscall tracepoints where the kernel has them.
	SyscallHooks SyscallHooks

	// SignKey, when set, signs the capture's checkpoints (retrace record
	// --sign-key); Checkpoints receives each checkpoint as a JSON line
	// while recording (--checkpoint-to). See docs/FORMAT.md, "Evidence".
	SignKey     *minisig.PrivateKey
	Checkpoints io.Writer

	// readerStall delays the ring-buffer reader's first read (tests force
	// drops with it).
	readerStall time.Duration
}

// SnapshotScope is the set of processes the header's process snapshot
// lists (docs/FORMAT.md, "What a recording holds").
type SnapshotScope string

// Snapshot scopes.
const (
	// SnapshotAll lists every process of the host.
	SnapshotAll SnapshotScope = "all"
	// SnapshotCommand lists only the recorder, the parent of Command.
	SnapshotCommand SnapshotScope = "command"
)

// snapshotScope is the scope in effect: SnapshotScope, or its default.
func (o *Options) snapshotScope() SnapshotScope {
	switch {
	case o.SnapshotScope != "":
		return o.SnapshotScope
	case o.OnlyCommand:
		return SnapshotCommand
	}
	return SnapshotAll
}

// SnapshotScopes are the valid scopes, for flag parsing and messages.
var SnapshotScopes = []SnapshotScope{SnapshotCommand, SnapshotAll}

// Result summarizes a finished recording.
type Result struct {
	Events uint64
	// Submitted is the number of events the BPF side wrote into the ring
	// buffer (drop markers included) and Delivered the number the reader
	// took out of it; after a clean stop they are equal.
	Submitted, Delivered uint64
	Drops                uint64
	// MaxReaderLag is the largest delay seen between an event's timestamp
	// and the reader taking it out of the ring buffer (sampled on the first
	// event of each batch the reader hands over).
	MaxReaderLag time.Duration
	LateEvents   uint64 // events that arrived after the reorder window passed them
	EmptyReads   uint64
	Bytes        int64
	Containers   int
	// Files are the capture files written (one without rotation), oldest
	// first; Bytes counts them all.
	Files []string
	// MaxRotation is the longest a rotation (a new snapshot, the file
	// closed and the next begun) held the writer up; events wait in the
	// ring buffer meanwhile.
	MaxRotation time.Duration
	CommandExit int // exit status of Command (-1 when killed by a signal)
	// Hooks is how the recording hooked syscalls.
	Hooks SyscallHooks
	// Programs is the BPF run-time accounting (with Options.BPFStats).
	Programs []ProgramStats
	// CPU is the recorder's user+system CPU time; MaxRSS its peak resident
	// set size in bytes.
	CPU    time.Duration
	MaxRSS int64
}

// Status is a recording's progress, as [Options.Status] receives it.
type Status struct {
	Elapsed    time.Duration
	Events     uint64  // events written
	Rate       float64 // events written per second, over the last second
	Bytes      int64   // bytes written, every file of a set counted
	Drops      uint64  // events lost so far
	Containers int     // containers seen
	Files      int     // files of a rotated set begun
}

// String is the status as retrace record's status line shows it.
func (s Status) String() string {
	files := ""
	if s.Files > 1 {
		files = fmt.Sprintf(", file %d", s.Files)
	}
	return fmt.Sprintf("recording %s: %d events (%.0f/s), %s, %d dropped, %d containers%s",
		s.Elapsed.Truncate(time.Second), s.Events, s.Rate, byteSize(s.Bytes), s.Drops, s.Containers, files)
}

// byteSize prints n bytes in IEC units.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ProgramStats is the kernel's run-time accounting of one attached program
// (kernel.bpf_stats_enabled or [EnableRunStats]); a tail-called handler's
// time counts in its caller (sys_exit, sys_enter).
type ProgramStats struct {
	Program string
	Runs    uint64
	Time    time.Duration
}

// ErrNotRoot is returned by LoadProbe when the caller lacks the privileges
// to load BPF programs.
var ErrNotRoot = errors.New("recording needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)")

// ErrNoBTF is returned by LoadProbe when the kernel exposes no BTF
// (/sys/kernel/btf/vmlinux), which the CO-RE programs need.
var ErrNoBTF = errors.New("kernel BTF not available (/sys/kernel/btf/vmlinux missing): the recorder needs CONFIG_DEBUG_INFO_BTF")

// VerifierError reports a BPF program the kernel refused, with the tail of
// the verifier log.
type VerifierError struct {
	Program string
	LogTail string
	Err     error
}

func (e *VerifierError) Error() string {
	return fmt.Sprintf("load BPF program %s: %v\nverifier log (tail):\n%s", e.Program, e.Err, e.LogTail)
}

func (e *VerifierError) Unwrap() error { return e.Err }

// ErrCommand wraps a failure to start Options.Command.
var ErrCommand = errors.New("start command")

// ErrUnsupported is returned by [Record] on platforms other than Linux on
// amd64, for which no BPF object is built.
var ErrUnsupported = errors.New("recording is supported on Linux/amd64 only")

// SyscallHooks selects how the BPF programs hook syscalls.
type SyscallHooks int

const (
	// HooksAuto uses per-syscall tracepoints when the kernel has one for
	// every recorded syscall (and tracefs is mounted), else the raw hooks.
	HooksAuto SyscallHooks = iota
	// HooksTracepoints attaches one classic tracepoint program per recorded
	// syscall (syscalls/sys_exit_<name>, and sys_enter_<name> where an
	// enter event is written): syscalls outside the recorded set run no BPF
	// and are not counted. LoadProbe fails when a tracepoint is missing.
	HooksTracepoints
	// HooksRaw attaches to the raw sys_enter and sys_exit tracepoints,
	// which every syscall passes, and dispatches recorded syscalls to their
	// encoders by tail call. Syscalls outside the recorded set are counted
	// (Metadata.Unrecorded), or written with Options.AllSyscalls, which
	// always uses these hooks.
	HooksRaw
)

func (h SyscallHooks) String() string {
	switch h {
	case HooksAuto:
		return "auto"
	case HooksTracepoints:
		return "tracepoints"
	case HooksRaw:
		return "raw"
	}
	return fmt.Sprintf("SyscallHooks(%d)", int(h))
}
