//go:build linux && amd64

package record

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/record/hostsnap"
	"golang.org/x/sys/unix"
)

// ErrOutputExists is returned when the output file exists and
// Options.Force is not set.
var ErrOutputExists = errors.New("output exists; refusing to replace it (use --force, or another name)")

// ErrOutputBusy is returned when another process (a second recorder)
// holds the output file's lock.
var ErrOutputBusy = errors.New("output is being written by another recorder")

// ErrOutputGone is returned when the output file was deleted, or its path
// made to name another file, while recording.
var ErrOutputGone = errors.New("output removed while recording")

// ringParts is how many files a ring is cut into when no --rotate-* flag
// says otherwise.
const ringParts = 4

// minRingPart is the shortest time a ring's file is written for.
const minRingPart = 250 * time.Millisecond

// output is where a recording goes: one file, or the files of a rotated
// set, written directly or staged in a ring (docs/FORMAT.md, "The
// recorder's output file" and "Rotated sets and the ring"). It belongs to
// the event loop's goroutine.
type output struct {
	path  string
	force bool
	// dir, stem and ext split path for the names of a set's files:
	// dir/stem-SEQ-START.ext.
	dir, stem, ext string
	rotateSize     int64
	rotateTime     time.Duration
	keep           int
	ringTime       time.Duration
	ringSize       int64
	// staging is the ring's directory ("" without a ring).
	staging string
	set     string
	seq     int
	// closed are the set's closed files still on disk, oldest first.
	closed []setFile
	// written are the files written out so far (a ring's linked files).
	written []string
	// f is the file being written, name its path, w its writer, began
	// when it was begun.
	f     *os.File
	name  string
	w     *capture.Writer
	began time.Time
}

// setFile is a closed file of a rotated set.
type setFile struct {
	path     string
	began    time.Time
	size     int64
	exported bool
}

// newOutput checks the output options; it creates nothing yet.
func newOutput(opts Options) (*output, error) {
	if opts.Output == "" {
		return nil, errors.New("no output file")
	}
	if err := opts.checkOutput(); err != nil {
		return nil, err
	}
	o := &output{path: opts.Output, force: opts.Force, rotateSize: opts.RotateSize, rotateTime: opts.RotateTime,
		keep: opts.Keep, ringTime: opts.RingDuration, ringSize: opts.RingSize}
	if o.ringing() && o.rotateSize == 0 && o.rotateTime == 0 {
		if o.ringTime > 0 {
			o.rotateTime = max(o.ringTime/ringParts, minRingPart)
		}
		o.rotateSize = o.ringSize / ringParts
	}
	o.dir, o.stem, o.ext = splitOutput(o.path)
	if o.ringing() {
		o.staging = filepath.Join(o.dir, o.stem+".ring")
	}
	if o.rotating() {
		var id [16]byte
		_, _ = rand.Read(id[:])
		o.set = hex.EncodeToString(id[:])
	}
	return o, nil
}

func (o *output) rotating() bool { return o.rotateSize > 0 || o.rotateTime > 0 || o.ringing() }
func (o *output) ringing() bool  { return o.ringTime > 0 || o.ringSize > 0 }

// splitOutput splits DIR/NAME.scap.zst into DIR, NAME and ".scap.zst"
// (the extension from the name's first ".scap", else its last dot).
func splitOutput(path string) (dir, stem, ext string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	i := strings.Index(base, ".scap")
	if i <= 0 {
		i = strings.LastIndexByte(base, '.')
	}
	if i <= 0 {
		return filepath.Clean(dir), base, ""
	}
	return filepath.Clean(dir), base[:i], base[i:]
}

// SetFileName is the name of file seq of a rotated set written to output,
// begun at start: NAME-SEQ-START.scap.zst beside output.
func SetFileName(output string, seq int, start time.Time) string {
	dir, stem, ext := splitOutput(output)
	return filepath.Join(dir, fmt.Sprintf("%s-%06d-%s%s", stem, seq, start.UTC().Format("20060102T150405Z"), ext))
}

// reserve creates the next file (the only one without rotation), begun
// at now, so that an existing or busy output is refused before anything
// is loaded.
func (o *output) reserve(now time.Time) error {
	if o.f != nil {
		return nil
	}
	name := o.path
	if o.rotating() {
		name = SetFileName(o.path, o.seq+1, now)
		if o.staging != "" {
			if err := os.MkdirAll(o.staging, 0o700); err != nil {
				return fmt.Errorf("create ring directory: %w", err)
			}
			name = filepath.Join(o.staging, filepath.Base(name))
		}
	}
	f, err := createExclusive(name, o.force)
	if err != nil {
		return err
	}
	o.seq++
	o.f, o.name, o.began = f, name, now
	return nil
}

// abandon removes a reserved file no writer was started on.
func (o *output) abandon() {
	if o.f != nil && o.w == nil {
		o.f.Close()
		os.Remove(o.name)
		o.f = nil
	}
}

// begin starts the writer of the reserved file (reserving the next one
// when none is), with meta as its metadata.
func (o *output) begin(meta capture.Metadata, wopts capture.WriterOptions, now time.Time) (*capture.Writer, error) {
	if err := o.reserve(now); err != nil {
		return nil, err
	}
	if o.rotating() && !o.began.Equal(now) {
		// Reserved before the programs were loaded: named after the
		// moment its events begin.
		name := filepath.Join(filepath.Dir(o.name), filepath.Base(SetFileName(o.path, o.seq, now)))
		if _, err := os.Lstat(name); err == nil || name == o.name {
			name = o.name
		} else if err := os.Rename(o.name, name); err != nil {
			o.abandon()
			return nil, fmt.Errorf("name capture: %w", err)
		}
		o.name, o.began = name, now
	}
	if o.rotating() {
		meta.Rotation = &capture.Rotation{Set: o.set, Seq: o.seq}
	}
	meta.StartTime = o.began
	wopts.Metadata = &meta
	if wopts.Format == capture.FormatUnknown {
		wopts.Format = capture.FormatFromName(o.name)
	}
	w, err := capture.NewWriter(o.f, o.name, wopts)
	if err != nil {
		o.abandon()
		return nil, err
	}
	o.w = w
	return w, nil
}

// createExclusive creates path for writing and locks it: an existing file
// is refused (ErrOutputExists) unless force is set, and a file another
// recorder holds is refused either way (ErrOutputBusy).
func createExclusive(path string, force bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags &^= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrOutputExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create capture: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrOutputBusy)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("create capture: %w", err)
	}
	return f, nil
}

// check reports ErrOutputGone when the file being written was deleted or
// its path now names another file.
func (o *output) check() error {
	if o.f == nil {
		return nil
	}
	var held, named unix.Stat_t
	if err := unix.Fstat(int(o.f.Fd()), &held); err != nil {
		return fmt.Errorf("stat %s: %w", o.name, err)
	}
	if held.Nlink == 0 {
		return fmt.Errorf("%s: %w: the file was deleted", o.name, ErrOutputGone)
	}
	if err := unix.Stat(o.name, &named); err != nil || named.Dev != held.Dev || named.Ino != held.Ino {
		return fmt.Errorf("%s: %w: the path names another file now", o.name, ErrOutputGone)
	}
	return nil
}

// due reports whether the current file should be closed and a new one
// begun.
func (o *output) due(now time.Time) bool {
	if !o.rotating() || o.w == nil {
		return false
	}
	if o.rotateTime > 0 && now.Sub(o.began) >= o.rotateTime {
		return true
	}
	st := o.w.Stats()
	return o.rotateSize > 0 && st.FileBytes+int64(st.Unflushed)/4 >= o.rotateSize
}

// close closes the current file (its writer first, with meta as its
// closing metadata), then, in a set, removes the files --keep or the ring
// no longer keeps; next says a new file follows, which counts for --keep.
func (o *output) close(meta capture.Metadata, now time.Time, next bool) error {
	if o.w == nil {
		return nil
	}
	o.w.SetMetadata(meta)
	err := o.w.Close()
	size := o.w.Stats().FileBytes
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.closed = append(o.closed, setFile{path: o.name, began: o.began, size: size})
	o.f, o.w = nil, nil
	if !o.rotating() {
		o.written = append(o.written, o.name)
		return err
	}
	open := 0
	if next {
		open = 1
	}
	if perr := o.prune(now, open); err == nil {
		err = perr
	}
	return err
}

// prune removes the oldest closed files of the set beyond what --keep or
// the ring keeps. With --keep, open files are counted besides the closed
// ones; a ring keeps the files that span its duration up to now, or the
// newest files within its size (at least one).
func (o *output) prune(now time.Time, open int) error {
	var err error
	for len(o.closed) > 0 {
		var drop bool
		switch {
		case o.keep > 0:
			drop = len(o.closed)+open > o.keep
		case o.ringTime > 0:
			drop = len(o.closed) >= 2 && now.Sub(o.closed[1].began) >= o.ringTime
		case o.ringSize > 0:
			var total int64
			for _, f := range o.closed {
				total += f.size
			}
			drop = total > o.ringSize && len(o.closed) > 1
		}
		if !drop {
			break
		}
		if rerr := os.Remove(o.closed[0].path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = fmt.Errorf("remove old file of the set: %w", rerr)
		}
		o.closed = o.closed[1:]
	}
	if o.staging == "" {
		o.written = o.written[:0]
		for _, f := range o.closed {
			o.written = append(o.written, f.path)
		}
	}
	return err
}

// export writes a ring's closed files out beside the output, each once:
// a hard link, or a copy across file systems.
func (o *output) export() error {
	if o.staging == "" {
		return nil
	}
	for i := range o.closed {
		f := &o.closed[i]
		if f.exported {
			continue
		}
		dst := filepath.Join(o.dir, filepath.Base(f.path))
		if err := linkOrCopy(f.path, dst, o.force); err != nil {
			return fmt.Errorf("write out ring file: %w", err)
		}
		f.exported = true
		o.written = append(o.written, dst)
	}
	return nil
}

// finish, at the end of a recording, writes a ring's files out and
// removes its staging directory (left when something else is in it).
func (o *output) finish() error {
	if o.staging == "" {
		return nil
	}
	err := o.export()
	if err == nil {
		for _, f := range o.closed {
			os.Remove(f.path)
		}
		os.Remove(o.staging)
	}
	return err
}

// files returns the files of the recording on disk (written out, for a
// ring), oldest first.
func (o *output) files() []string { return append([]string(nil), o.written...) }

// linkOrCopy makes dst a hard link of src, or a copy when the link cannot
// be made; an existing dst is refused unless force is set.
func linkOrCopy(src, dst string, force bool) error {
	if force {
		if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	err := os.Link(src, dst)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s: %w", dst, ErrOutputExists)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// rotation is the current file's place in its set (nil without rotation).
func (o *output) rotation() *capture.Rotation {
	if !o.rotating() {
		return nil
	}
	return &capture.Rotation{Set: o.set, Seq: o.seq}
}

// rotate closes the current file of the set and begins the next: a new
// snapshot for its header, the containers known so far at the start of its
// events. Events released from now on go into the new file.
func (s *session) rotate() error {
	hdr, err := s.snapshot()
	if err != nil {
		return err
	}
	return s.rotateTo(hdr)
}

// snapshotResult is a snapshot taken in the background.
type snapshotResult struct {
	hdr  *capture.Header
	tree bool
	err  error
}

// startSnapshot takes the next file's snapshot in the background (a /proc
// scan takes tens to hundreds of milliseconds on a loaded host; the
// events meanwhile go on into the current file); the event loop rotates
// when it arrives on s.snapDone (see rotateTo, takeSnapshot).
func (s *session) startSnapshot() {
	if s.snapDone != nil {
		return
	}
	o, tree := s.snapshotOptions()
	done := make(chan snapshotResult, 1)
	s.snapDone = done
	go func() {
		hdr, err := hostsnap.Take(o)
		done <- snapshotResult{hdr, tree, err}
	}()
}

// takeSnapshot finishes a background snapshot (on the event loop).
func (s *session) takeSnapshot(r snapshotResult) (*capture.Header, error) {
	s.snapDone = nil
	if r.err != nil {
		return nil, fmt.Errorf("snapshot host: %w", r.err)
	}
	return s.scopeSnapshot(r.hdr, r.tree), nil
}

// rotateTo closes the current file and begins the next with hdr.
func (s *session) rotateTo(hdr *capture.Header) error {
	began := time.Now()
	defer func() { s.maxRotation = max(s.maxRotation, time.Since(began)) }()
	if err := s.closeFile(); err != nil {
		return err
	}
	now := time.Now()
	meta := s.meta
	meta.Containers = nil
	var infos []*container.Info
	for _, st := range s.ctrs {
		if st.info != nil {
			infos = append(infos, st.info)
			meta.Containers = append(meta.Containers, *st.info)
		}
	}
	w, err := s.out.begin(meta, s.wopts, now)
	if err != nil {
		return err
	}
	s.w = w
	if err := w.WriteHeader(hdr); err != nil {
		return err
	}
	// At the last event released: no later event of the new file is older.
	ts := s.win.last
	if ts == 0 {
		ts = s.now() - uint64(s.opts.ReorderWindow)
	}
	for _, info := range infos {
		if err := w.WriteEvent(0, 0, info.AppendEvent(nil, ts)); err != nil {
			return err
		}
	}
	return nil
}

// closeFile closes the current file with its closing metadata: the
// counters since it began.
func (s *session) closeFile() error {
	ks, kerr := s.probe.Stats()
	unrec, uerr := s.probe.UnrecordedCounts()
	if err := errors.Join(kerr, uerr); err != nil {
		return err
	}
	st := s.w.Stats()
	s.events += st.Events
	s.bytes += st.FileBytes
	err := s.out.close(s.fileMeta(ks, unrec, time.Now()), time.Now(), true)
	s.base, s.baseUnrec = ks, unrec
	return err
}

// fileMeta is the closing metadata of the current file: the recording's
// start fields, the file's start time and place in its set, and the
// counters since the file began.
func (s *session) fileMeta(ks KernelStats, unrec map[string]uint64, stop time.Time) capture.Metadata {
	meta := s.meta
	meta.StartTime, meta.StopTime = s.out.began, stop
	meta.Rotation = s.out.rotation()
	b := s.base
	if unrec != nil {
		meta.Unrecorded = map[string]uint64{}
		for k, v := range unrec {
			if d := v - s.baseUnrec[k]; d > 0 {
				meta.Unrecorded[k] = d
			}
		}
	}
	d := &capture.Drops{Total: ks.Drops - b.Drops, ByReason: map[string]uint64{}, MaxReaderLagNs: s.maxLag}
	for i, n := range ks.PerCPU {
		if i < len(b.PerCPU) {
			n -= b.PerCPU[i]
		}
		d.PerCPU = append(d.PerCPU, n)
	}
	if d.Total > 0 {
		d.ByReason["ringbuf_full"] = d.Total
	}
	if t := ks.Truncated - b.Truncated; t > 0 {
		d.ByReason["event_too_large"] = t
		d.Total += t
	}
	meta.Drops = d
	meta.EmptyReads = ks.EmptyReads - b.EmptyReads
	if s.redact != nil {
		m := s.redact.Manifest()
		m.Tool, m.Time = "retrace "+s.opts.Version, s.meta.StartTime.UTC()
		meta.Redaction = &m
	}
	return meta
}

// snapshot takes the header snapshot of a file in the recording's scope.
// In the command scope a later file's snapshot lists, besides the
// recorder, the processes of the command's tree then alive, so that the
// file replays alone.
func (s *session) snapshot() (*capture.Header, error) {
	o, tree := s.snapshotOptions()
	hdr, err := hostsnap.Take(o)
	if err != nil {
		return nil, fmt.Errorf("snapshot host: %w", err)
	}
	return s.scopeSnapshot(hdr, tree), nil
}

// snapshotOptions are the options of the next snapshot; tree says that
// it is to be cut down to the command's tree (see scopeSnapshot).
func (s *session) snapshotOptions() (hostsnap.Options, bool) {
	o := s.snapOpts
	tree := s.opts.snapshotScope() == SnapshotCommand && s.tree != nil && s.w != nil
	if tree {
		o.OnlyPID = 0
	}
	return o, tree
}

// scopeSnapshot keeps, with tree, only the recorder and the command's
// tree, and redacts the snapshot.
func (s *session) scopeSnapshot(hdr *capture.Header, tree bool) *capture.Header {
	if tree {
		self := uint64(os.Getpid())
		keep := map[uint64]bool{}
		procs := hdr.Processes[:0]
		for _, p := range hdr.Processes {
			if p.PID == self || s.inCommand(int64(p.TID)) {
				keep[p.TID] = true
				procs = append(procs, p)
			}
		}
		hdr.Processes = procs
		fds := hdr.FDs[:0]
		for _, l := range hdr.FDs {
			if keep[l.TID] {
				fds = append(fds, l)
			}
		}
		hdr.FDs = fds
	}
	if s.redact != nil {
		s.redact.Header(hdr)
	}
	return hdr
}

// writeOut, on Options.WriteOut, closes the ring's current file, begins the
// next and writes the ring's files out.
func (s *session) writeOut() error {
	if s.out.staging == "" {
		fmt.Fprintf(s.log, "retrace record: nothing to write out: no ring\n")
		return nil
	}
	rotate := s.rotate
	if s.snapDone != nil { // a rotation is under way: finish it
		rotate = func() error {
			hdr, err := s.takeSnapshot(<-s.snapDone)
			if err != nil {
				return err
			}
			return s.rotateTo(hdr)
		}
	}
	if err := rotate(); err != nil {
		return err
	}
	before := len(s.out.written)
	if err := s.out.export(); err != nil {
		return err
	}
	fmt.Fprintf(s.log, "retrace record: ring written out: %d files beside %s\n", len(s.out.written)-before, s.opts.Output)
	return nil
}

// status hands Options.Status the counters, once a second.
func (s *session) status(start time.Time) {
	if s.opts.Status == nil {
		return
	}
	now := time.Now()
	st := s.w.Stats()
	ks, _ := s.probe.Stats()
	cur := Status{Elapsed: now.Sub(start), Events: s.events + st.Events, Bytes: s.bytes + st.FileBytes,
		Drops: ks.Drops + ks.Truncated, Containers: len(s.ctrs), Files: s.out.seq}
	if d := now.Sub(s.lastStatus.at); !s.lastStatus.at.IsZero() && d > 0 {
		cur.Rate = float64(cur.Events-s.lastStatus.events) / d.Seconds()
	}
	s.lastStatus.at, s.lastStatus.events = now, cur.Events
	s.opts.Status(cur)
}
