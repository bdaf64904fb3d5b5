package hostile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/scap"
)

// start is the time of every generated capture's first event.
var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// UnknownBlockType is the block type of the blocks [UnknownBlocks] writes:
// no scap block has it, so readers skip the blocks by their length.
const UnknownBlockType uint32 = 0x7EADB10C

// create opens a capture writer for path (its format from the extension)
// with a fixed clock, so that generated files are reproducible.
func create(path string) (*capture.Writer, error) {
	md := capture.Metadata{RecorderVersion: "hostile", KernelRelease: "6.1.0-hostile", Hostname: "hostile",
		CommandLine: []string{"hostile"}, StartTime: start, BootTime: start.Add(-time.Hour)}
	return capture.Create(path, capture.WriterOptions{Metadata: &md, Now: func() time.Time { return start }})
}

// unknownBlock returns a block of type UnknownBlockType and size bytes of
// zeros (size rounded up to a multiple of 4, at least 12).
func unknownBlock(size int) []byte {
	size = max(12, (size+3)&^3)
	raw := make([]byte, size)
	binary.LittleEndian.PutUint32(raw, UnknownBlockType)
	binary.LittleEndian.PutUint32(raw[4:], uint32(size))
	binary.LittleEndian.PutUint32(raw[size-4:], uint32(size))
	return raw
}

// UnknownBlocks writes a capture holding n blocks of an unknown type and
// size bytes each (zeros, which compress about 1000:1 in gzip and far more
// in zstd), before the first event when header is set and between events
// otherwise, around a few hundred generated events. With n = 128 and size
// = 16 MiB a .scap.zst file is about 250 KB and holds 2 GiB of blocks: a
// reader that kept the blocks before the first event needed 2.2 GB.
func UnknownBlocks(path string, n, size int, header bool) error {
	w, err := create(path)
	if err != nil {
		return err
	}
	if err := writeUnknown(w, n, size, header); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// UnknownBlocksStream writes the capture of [UnknownBlocks] (blocks before
// the first event) as one zstd frame that declares no content size, as
// `zstd` writes a pipe: the reader streams it with one decoder instead of
// reading frames in parallel.
func UnknownBlocksStream(path string, n, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc, err := zstd.NewWriter(f, zstd.WithEncoderConcurrency(1))
	if err != nil {
		f.Close()
		return err
	}
	w, err := capture.NewWriter(enc, path, capture.WriterOptions{Format: capture.FormatScap})
	if err == nil {
		err = writeUnknown(w, n, size, true)
		err = errors.Join(err, w.Close())
	}
	return errors.Join(err, enc.Close(), f.Close())
}

// writeUnknown writes the header, blocks and events of UnknownBlocks to w.
func writeUnknown(w *capture.Writer, n, size int, header bool) error {
	raw := unknownBlock(size)
	blocks := func() error {
		for range n {
			if err := w.WriteBlock(raw); err != nil {
				return err
			}
		}
		return nil
	}
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		return err
	}
	if header {
		if err := blocks(); err != nil {
			return err
		}
	}
	if _, err := capgen.Generate(w, capgen.Options{Events: 200, Start: start}); err != nil {
		return err
	}
	if header {
		return nil
	}
	if err := blocks(); err != nil {
		return err
	}
	_, err := capgen.Generate(w, capgen.Options{Events: 200, Start: start.Add(time.Second), Seed: 2})
	return err
}

// BigFrames writes a .scap.zst file of independent zstd frames (not a
// retrace capture: no metadata) whose middle frames each hold four unknown
// blocks of 16 MiB, 64 MiB of content, the most a frame may declare: a
// reader that decompresses one such frame per core at once holds 64 MiB
// per core.
func BigFrames(path string, frames int) error {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(true), zstd.WithEncoderCRC(true))
	if err != nil {
		return err
	}
	defer enc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var events bytes.Buffer
	w, err := capture.NewWriter(&events, path, capture.WriterOptions{Format: capture.FormatScap})
	if err != nil {
		f.Close()
		return err
	}
	if _, err := capgen.Generate(w, capgen.Options{Events: 100, Start: start}); err != nil {
		f.Close()
		return err
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	block := unknownBlock(16 << 20)
	big := append(append(append(append([]byte(nil), block...), block...), block...), block...)
	var out []byte
	write := func(content []byte) error {
		out = enc.EncodeAll(content, out[:0])
		_, err := f.Write(out)
		return err
	}
	err = write(events.Bytes())
	for i := 0; i < frames && err == nil; i++ {
		err = write(big)
	}
	return errors.Join(err, f.Close())
}

// UltraWindow writes a capture of a few hundred events as one zstd frame
// whose header asks for a window of window bytes (a power of two), as
// `zstd --ultra -22` writes for a large file: readers limited to smaller
// windows cannot decode it. The content is stored in raw zstd blocks.
func UltraWindow(path string, window uint64) error {
	scapPath := path + ".tmp.scap"
	if _, err := capgen.WriteFile(scapPath, capgen.Options{Events: 300, Start: start}); err != nil {
		return err
	}
	content, err := os.ReadFile(scapPath)
	os.Remove(scapPath)
	if err != nil {
		return err
	}
	exp := 0
	for uint64(1)<<exp < window {
		exp++
	}
	if exp < 10 || exp > 41 {
		return fmt.Errorf("window of %d bytes cannot be described", window)
	}
	// Frame header: magic, descriptor (no single segment, no content size,
	// no checksum, no dictionary), window descriptor (exponent, no mantissa).
	frame := binary.LittleEndian.AppendUint32(nil, 0xFD2FB528)
	frame = append(frame, 0x00, byte(exp-10)<<3)
	const rawBlock = 128 << 10
	for len(content) > 0 {
		n := min(len(content), rawBlock)
		hdr := uint32(n) << 3 // raw block
		if n == len(content) {
			hdr |= 1 // last block
		}
		frame = append(frame, byte(hdr), byte(hdr>>8), byte(hdr>>16))
		frame = append(frame, content[:n]...)
		content = content[n:]
	}
	return os.WriteFile(path, frame, 0o644)
}

// GarbageFooter writes a generated retrace capture whose closing footer
// frame (RTFT) keeps its frame header and version but holds garbage (all
// bits set) in its fields: event count, index and metadata offsets.
func GarbageFooter(path string) error {
	if _, err := capgen.WriteFile(path, capgen.Options{Events: 2000, Start: start}); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.LastIndex(b, []byte("RTFT"))
	if i < 8 {
		return fmt.Errorf("garbage footer: no RTFT frame in %s", path)
	}
	size := int(binary.LittleEndian.Uint32(b[i-4:]))
	for j := i + 8; j < i+size && j < len(b); j++ { // after the tag and the version
		b[j] = 0xFF
	}
	return os.WriteFile(path, b, 0o644)
}

// events encodes the process events of the generators below.
type events struct {
	w   *capture.Writer
	ts  uint64
	buf []byte
}

func (e *events) add(tid int64, t scap.Type, params ...[]byte) error {
	e.ts += 1000
	e.buf = scap.AppendEvent(e.buf[:0], e.ts, tid, t, params...)
	return e.w.WriteEvent(uint16(tid&1), 0, e.buf)
}

// cloneFlagThread is PPM_CL_CLONE_THREAD.
const cloneFlagThread = 1 << 13

// clone writes the exit event of a clone(2) seen from thread tid: res is
// the child's id in the parent (tid != res) and 0 in the child.
func (e *events) clone(tid, res, pid, ptid int64, flags uint32, comm string) error {
	i64, u32 := scap.EncInt64, scap.EncUint32
	return e.add(tid, scap.SyscallCloneV20X, i64(res), scap.EncString("/usr/bin/"+comm), scap.EncList(), i64(tid), i64(pid), i64(ptid),
		scap.EncString("/"), i64(1024), u32(0), u32(0), u32(0), u32(0), u32(0), scap.EncString(comm), scap.EncList("cpu=/"),
		u32(flags), u32(0), u32(0), i64(tid), i64(pid), u32(0))
}

// exit writes a procexit event of tid.
func (e *events) exit(tid int64) error {
	return e.add(tid, scap.ProcexitV1E, scap.EncInt64(0), scap.EncInt64(0), []byte{0}, []byte{0}, scap.EncInt64(1))
}

// exitWorkers writes the exits of n two-thread worker processes (pids
// 1000, 1002, ...; the second thread first, the main thread last).
func (e *events) exitWorkers(n int) error {
	for i := range n {
		pid := int64(1000 + 2*i)
		if err := e.exit(pid + 1); err != nil {
			return err
		}
		if err := e.exit(pid); err != nil {
			return err
		}
	}
	return nil
}

// initHeader is a snapshot of init alone.
func initHeader() *capture.Header {
	return &capture.Header{
		Machine:   &capture.MachineInfo{NumCPUs: 2, MemoryBytes: 8 << 30, MaxPID: 4194304, Hostname: "hostile", BootTime: uint64(start.Add(-time.Hour).UnixNano())},
		Processes: []capture.Process{{TID: 1, PID: 1, Comm: "init", Exe: "/sbin/init", ExePath: "/sbin/init", Cwd: "/", VTID: 1, VPID: 1, LoginUID: ^uint32(0)}},
		FDs:       []capture.FDList{{TID: 1, FDs: []capture.FD{{Num: 1, Type: capture.FDFileV2, Name: "/dev/console"}}}},
		Users:     []capture.User{{UID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/sh"}},
		Groups:    []capture.Group{{GID: 0, Name: "root"}},
	}
}

// writeEvents creates path with header h and the events fn writes.
func writeEvents(path string, h *capture.Header, fn func(e *events) error) error {
	w, err := create(path)
	if err != nil {
		return err
	}
	if err := w.WriteHeader(h); err != nil {
		w.Close()
		return err
	}
	e := &events{w: w, ts: uint64(start.UnixNano())}
	if err := fn(e); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ExitingProcesses writes a capture of n processes forked by init, each
// with a second thread, that all exit afterwards, main thread last: with
// a walk over every thread per main-thread exit it replayed in 44.6 s at
// n = 50,000 (a 0.5 MB file).
func ExitingProcesses(path string, n int) error {
	return writeEvents(path, initHeader(), func(e *events) error {
		for i := range n {
			pid := int64(1000 + 2*i)
			if err := e.clone(1, pid, 1, 0, 0, "worker"); err != nil {
				return err
			}
			if err := e.clone(pid, pid+1, pid, 1, cloneFlagThread, "worker"); err != nil {
				return err
			}
		}
		return e.exitWorkers(n)
	})
}

// snapshotProcess returns a snapshot entry of a worker thread.
func snapshotProcess(tid, pid uint64) capture.Process {
	return capture.Process{TID: tid, PID: pid, PTID: 1, VTID: int64(tid), VPID: int64(pid), Comm: "worker", Exe: "/usr/bin/worker",
		ExePath: "/usr/bin/worker", Cwd: "/", LoginUID: ^uint32(0), Cgroups: []string{"cpu=/"}}
}

// Snapshot writes a capture whose process snapshot holds n processes of
// two threads each (every second thread listed before its main thread),
// each with an open log file, followed by their exits: with a walk over
// every thread per snapshot process it replayed in 38.6 s at n = 50,000.
func Snapshot(path string, n int) error {
	h := initHeader()
	for i := range n {
		pid := uint64(1000 + 2*i)
		h.Processes = append(h.Processes, snapshotProcess(pid+1, pid), snapshotProcess(pid, pid))
		h.FDs = append(h.FDs, capture.FDList{TID: pid, FDs: []capture.FD{{Num: 3, Type: capture.FDFileV2, Name: "/var/log/worker.log"}}})
	}
	return writeEvents(path, h, func(e *events) error {
		return e.exitWorkers(n)
	})
}

// IdleThreads writes a capture whose snapshot holds one process with idle
// threads that never run, followed by runs short processes forked by init
// that each start a thread and exit: with bookkeeping that walks all
// threads, 20,000 of each replayed in 8.5 s against 0.6 s without the
// idle threads.
func IdleThreads(path string, idle, runs int) error {
	h := initHeader()
	h.Processes = append(h.Processes, snapshotProcess(500, 500))
	for i := range idle {
		h.Processes = append(h.Processes, snapshotProcess(uint64(1_000_000+i), 500))
	}
	return writeEvents(path, h, func(e *events) error {
		for i := range runs {
			pid := int64(2000 + 2*(i%100_000))
			for _, err := range []error{
				e.clone(1, pid, 1, 0, 0, "true"),
				e.clone(pid, pid+1, pid, 1, cloneFlagThread, "true"),
				e.exit(pid + 1),
				e.exit(pid),
			} {
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// FDFlood writes a capture of one process that opens n files and closes
// none: replay's fd table holds every one unless it is capped.
func FDFlood(path string, n int) error {
	return writeEvents(path, initHeader(), func(e *events) error {
		const pid = 1000
		if err := e.clone(1, pid, 1, 0, 0, "opener"); err != nil {
			return err
		}
		var name []byte
		for i := range n {
			name = fmt.Appendf(name[:0], "/tmp/flood/%d\x00", i)
			if err := e.add(pid, scap.SyscallOpenatV2X, scap.EncInt64(int64(3+i)), scap.EncInt64(-100), name,
				scap.EncUint32(1), scap.EncUint32(0), scap.EncUint32(0), scap.EncUint64(uint64(i))); err != nil {
				return err
			}
		}
		return e.exit(pid)
	})
}

// ContainerFlood writes a capture with frames container metadata frames
// (RTCT) of about size bytes each, one container per frame with a label
// of that size, between events: a reader that keeps every frame's
// containers holds frames × size bytes.
func ContainerFlood(path string, frames, size int) error {
	w, err := create(path)
	if err != nil {
		return err
	}
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		w.Close()
		return err
	}
	label := strings.Repeat("x", size)
	for i := range frames {
		w.AddContainer(capture.Container{ID: fmt.Sprintf("%012x", i+1), Name: fmt.Sprintf("flood%d", i), Image: "flood:latest",
			Labels: map[string]string{"flood": label}})
		if _, err := capgen.Generate(w, capgen.Options{Events: 50, Start: start.Add(time.Duration(i) * time.Second), Seed: uint64(i + 1)}); err != nil {
			w.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// DropMarkers writes a capture of generated events with a pair of drop
// markers (PPME_DROP_E/X, ratio lost[i]) after each batch, each batch in
// frames of its own. With closed unset the writer is abandoned as a
// recorder killed by SIGKILL leaves it: every frame written but no
// closing metadata, so the drop totals exist only in the markers.
func DropMarkers(path string, lost []uint32, closed bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	md := capture.Metadata{RecorderVersion: "hostile", Hostname: "hostile", StartTime: start}
	w, err := capture.NewWriter(f, path, capture.WriterOptions{Metadata: &md, Now: func() time.Time { return start }})
	if err != nil {
		f.Close()
		return err
	}
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		f.Close()
		return err
	}
	var total uint64
	for i, n := range lost {
		at := start.Add(time.Duration(i) * time.Second)
		if _, err := capgen.Generate(w, capgen.Options{Events: 50, Start: at, Seed: uint64(i + 1)}); err != nil {
			f.Close()
			return err
		}
		ts := uint64(at.Add(500 * time.Millisecond).UnixNano())
		for _, typ := range []scap.Type{scap.DropE, scap.DropX} {
			if err := w.WriteEvent(0, 0, scap.AppendEvent(nil, ts, 200, typ, scap.EncUint32(n))); err != nil {
				f.Close()
				return err
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		total += uint64(n)
	}
	if !closed {
		return f.Close()
	}
	md.Drops = &capture.Drops{Total: total, PerCPU: []uint64{total}}
	w.SetMetadata(md)
	return errors.Join(w.Close(), f.Close())
}
