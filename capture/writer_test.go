package capture_test

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// generate returns a synthetic capture of n events in the given format.
func generate(t testing.TB, n int, opts capture.WriterOptions) []byte {
	t.Helper()
	b, err := capgen.Bytes(capgen.Options{Events: n, Seed: 7}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads every event of data, returning their raw bytes and the
// final error (nil at a clean end).
func readAll(t testing.TB, data []byte) (*capture.Reader, [][]byte, error) {
	t.Helper()
	r, err := capture.NewReader(bytes.NewReader(data), "test")
	if err != nil {
		return nil, nil, err
	}
	var evs [][]byte
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return r, evs, nil
		}
		if err != nil {
			return r, evs, err
		}
		evs = append(evs, append([]byte(nil), ev.Raw()...))
	}
}

// TestWriterFormats writes the same synthetic capture in the three formats
// and checks that all of them read back to the same header and events, and
// that the .scap.zst decompresses to the .scap's bytes.
func TestWriterFormats(t *testing.T) {
	plain := generate(t, 3000, capture.WriterOptions{Format: capture.FormatScap})
	_, want, err := readAll(t, plain)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 3000 {
		t.Fatalf("generated %d events, want at least 3000", len(want))
	}
	for _, f := range []capture.Format{capture.FormatGzip, capture.FormatZstd} {
		t.Run(f.String(), func(t *testing.T) {
			data := generate(t, 3000, capture.WriterOptions{Format: f, FrameSize: 32 << 10})
			r, got, err := readAll(t, data)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events differ from the plain file's")
			}
			if r.Header().Format != f {
				t.Errorf("format %v, want %v", r.Header().Format, f)
			}
			wantH := capgen.Header(capgen.Options{})
			gotH := *r.Header()
			if diff := cmp.Diff(wantH.Processes, gotH.Processes); diff != "" {
				t.Errorf("processes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantH.FDs, gotH.FDs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("fds (-want +got):\n%s", diff)
			}
			if f == capture.FormatZstd {
				st := r.Stats()
				if st.Frames < 4 {
					t.Errorf("%d frames, want several with 32 KiB frames", st.Frames)
				}
				if zstd, ok := testutil.OptionalTool(t, "zstd"); ok {
					cmd := exec.Command(zstd, "-d", "-c")
					cmd.Stdin = bytes.NewReader(data)
					out, err := cmd.Output()
					if err != nil {
						t.Fatalf("zstd -d: %v", err)
					}
					if !bytes.Equal(out, plain) {
						t.Errorf("zstd -d gives %d bytes that differ from the plain file's %d", len(out), len(plain))
					}
				}
			}
		})
	}
}

// TestWriterMetadata checks the metadata, container, index and footer
// frames of a .scap.zst file.
func TestWriterMetadata(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, "m.scap.zst", capture.WriterOptions{
		FrameInterval: time.Second,
		Metadata:      &capture.Metadata{RecorderVersion: "v1", KernelRelease: "6.1.0", Hostname: "h", CommandLine: []string{"retrace", "record"}, StartTime: start},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
		t.Fatal(err)
	}
	// 10 events 400 ms apart: the 1 s interval cuts a frame every 3 events.
	ts := uint64(start.UnixNano())
	for i := range 10 {
		ev := scap.AppendEvent(nil, ts+uint64(i)*uint64(400*time.Millisecond), 42, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3))
		if err := w.WriteEvent(uint16(i%2), 0, ev); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			w.AddContainer(capture.Container{ID: "0123456789ab", Name: "web", Image: "nginx:1.25", Type: container.TypePodman})
		}
	}
	stop := start.Add(5 * time.Second)
	w.SetMetadata(capture.Metadata{RecorderVersion: "v1", KernelRelease: "6.1.0", Hostname: "h", CommandLine: []string{"retrace", "record"},
		StartTime: start, StopTime: stop, Unrecorded: map[string]uint64{"futex": 12}, Drops: &capture.Drops{Total: 3, PerCPU: []uint64{1, 2}}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, evs, err := readAll(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(evs) != 10 {
		t.Fatalf("%d events, want 10", len(evs))
	}
	want := &capture.Metadata{RecorderVersion: "v1", KernelRelease: "6.1.0", Hostname: "h", CommandLine: []string{"retrace", "record"},
		StartTime: start, StopTime: stop, Unrecorded: map[string]uint64{"futex": 12}, Drops: &capture.Drops{Total: 3, PerCPU: []uint64{1, 2}},
		Containers: []capture.Container{{ID: "0123456789ab", Name: "web", Image: "nginx:1.25", Type: container.TypePodman}}}
	if diff := cmp.Diff(want, r.Header().Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	idx := r.Index()
	var n uint64
	for _, f := range idx {
		n += f.Events
		if f.LastTS-f.FirstTS >= uint64(time.Second) {
			t.Errorf("frame %+v spans more than the 1 s interval", f)
		}
	}
	if len(idx) != 4 || n != 10 {
		t.Errorf("index has %d frames and %d events, want 4 and 10: %+v", len(idx), n, idx)
	}
	if st := r.Stats(); st.Frames != 5 || st.MetadataFrames != 8 {
		t.Errorf("stats %+v: want 5 data frames (header + 4) and 8 metadata frames (start, checkpoint, container, end, index, footer, final checkpoint, seek table)", st)
	}
}

// TestWriterBlockTypes checks which block type each event gets.
func TestWriterBlockTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, "b.scap", capture.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	close := scap.AppendEvent(nil, 1, 2, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3))
	cont := scap.AppendEvent(nil, 2, 2, scap.ContainerJsonV2E, scap.EncString(`{"container":{"id":"x"}}`))
	for _, c := range []struct {
		ev    []byte
		flags uint32
	}{{close, 0}, {close, 1}, {cont, 0}, {cont, 1}} {
		if err := w.WriteEvent(3, c.flags, c.ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := capture.NewReader(bytes.NewReader(buf.Bytes()), "b.scap")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var flags []uint32
	for {
		b, err := r.NextBlock()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, capture.BlockName(b.Type))
	}
	if diff := cmp.Diff([]string{"SHB", "EV_V2", "EVF_V2", "EV_V2_LARGE", "EVF_V2_LARGE"}, types); diff != "" {
		t.Errorf("block types (-want +got):\n%s", diff)
	}
	r, err = capture.NewReader(bytes.NewReader(buf.Bytes()), "b.scap")
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.CPU() != 3 {
			t.Errorf("cpu %d, want 3", r.CPU())
		}
		flags = append(flags, r.BlockFlags())
		_ = ev
	}
	if diff := cmp.Diff([]uint32{0, 1, 0, 1}, flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}

// TestGeneratedCaptureSysdig checks that sysdig 0.29.3 reads every event of
// a generated capture (after zstd -d) with the types the reader reports.
func TestGeneratedCaptureSysdig(t *testing.T) {
	testutil.NeedTool(t, "sysdig")
	dir := t.TempDir()
	path := filepath.Join(dir, "g.scap")
	if err := os.WriteFile(path, generate(t, 2000, capture.WriterOptions{Format: capture.FormatScap}), 0o644); err != nil {
		t.Fatal(err)
	}
	var want []string
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d := ">"
		if ev.Info().Dir == 'X' {
			d = "<"
		}
		want = append(want, ev.TypeName()+" "+d)
	}
	got := testutil.SysdigLines(t, path, "-p", "%evt.type %evt.dir")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sysdig sees other events (-retrace +sysdig):\n%s", diff)
	}
}

// TestReadSummary reads the closing frames without the events and checks
// them against a full read.
func TestReadSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.scap.zst")
	if _, err := capgen.WriteFile(path, capgen.Options{Events: 20000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	s, err := capture.ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n uint64
	var first, last uint64
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			first = ev.Ts()
		}
		last = ev.Ts()
		n++
	}
	if s.Events != n || s.FirstTS != first || s.LastTS != last {
		t.Errorf("summary %d events %d..%d, file %d events %d..%d", s.Events, s.FirstTS, s.LastTS, n, first, last)
	}
	if diff := cmp.Diff(r.Index(), s.Frames); diff != "" {
		t.Errorf("index (-reader +summary):\n%s", diff)
	}
	if diff := cmp.Diff(r.Header().Metadata, s.Metadata); diff != "" {
		t.Errorf("metadata (-reader +summary):\n%s", diff)
	}
	// A plain file and a truncated one have no summary.
	plain := filepath.Join(t.TempDir(), "p.scap")
	os.WriteFile(plain, smallCapture(t, capture.FormatScap, 3, capture.WriterOptions{}), 0o644)
	b, _ := os.ReadFile(path)
	cut := filepath.Join(t.TempDir(), "c.scap.zst")
	os.WriteFile(cut, b[:len(b)-100], 0o644)
	for _, p := range []string{plain, cut} {
		if _, err := capture.ReadSummary(p); err != capture.ErrNoSummary {
			t.Errorf("%s: %v, want ErrNoSummary", p, err)
		}
	}
}

// TestNoEvents checks that captures without events open and read as empty,
// in every format.
func TestNoEvents(t *testing.T) {
	for _, f := range []capture.Format{capture.FormatScap, capture.FormatGzip, capture.FormatZstd} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := capture.NewWriter(&buf, "empty", capture.WriterOptions{Format: f, Metadata: &capture.Metadata{Hostname: "h"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteHeader(capgen.Header(capgen.Options{})); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, evs, err := readAll(t, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if len(evs) != 0 || len(r.Header().Processes) != 3 {
				t.Errorf("%d events, %d processes; want 0 and 3", len(evs), len(r.Header().Processes))
			}
			if f == capture.FormatZstd && (r.Header().Metadata == nil || r.Header().Metadata.Hostname != "h") {
				t.Errorf("metadata %+v", r.Header().Metadata)
			}
		})
	}
}

// TestReadSince checks that ReaderOptions.Since skips the frames that end
// before it, and no event at or after it.
func TestReadSince(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.scap.zst")
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, path, capture.WriterOptions{FrameSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	gopts := capgen.Options{Events: 20000, Seed: 9}
	if err := w.WriteHeader(capgen.Header(gopts)); err != nil {
		t.Fatal(err)
	}
	st, err := capgen.Generate(w, gopts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	since := st.FirstTS + (st.LastTS-st.FirstTS)*2/3
	count := func(opts capture.ReaderOptions) (n int, skipped int) {
		r, err := capture.OpenOptions(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for {
			ev, err := r.Next()
			if err == io.EOF {
				return n, r.Stats().SkippedFrames
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Ts() >= since {
				n++
			}
		}
	}
	all, none := count(capture.ReaderOptions{})
	some, skipped := count(capture.ReaderOptions{Since: since})
	if none != 0 || skipped < 5 {
		t.Errorf("skipped %d frames without Since and %d with it; want 0 and several", none, skipped)
	}
	if all != some || all == 0 {
		t.Errorf("%d events at or after Since in the whole file, %d when skipping", all, some)
	}
}

// TestBigHeader writes the snapshot of a big host (20 MiB of process list,
// more than one block or frame may hold) and reads it back.
func TestBigHeader(t *testing.T) {
	h := capgen.Header(capgen.Options{})
	env := []string{strings.Repeat("X", 4000)}
	base := h.Processes[0]
	h.Processes = nil
	for i := range 5000 {
		p := base
		p.TID, p.PID, p.Env = uint64(10000+i), uint64(10000+i), env
		h.Processes = append(h.Processes, p)
	}
	for _, f := range []capture.Format{capture.FormatZstd, capture.FormatScap} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := capture.NewWriter(&buf, "big", capture.WriterOptions{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			ev := scap.AppendEvent(nil, 1, 10000, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3))
			if err := w.WriteEvent(0, 0, ev); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, evs, err := readAll(t, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := r.Header()
			if len(evs) != 1 || len(got.Processes) != 5000 || got.Processes[4999].TID != 14999 || got.Processes[0].Env[0] != env[0] {
				t.Fatalf("%d events, %d processes", len(evs), len(got.Processes))
			}
			if got.BlockCounts["PL_V9"] < 16 {
				t.Errorf("process list in %d blocks, want it split in ~1 MiB blocks", got.BlockCounts["PL_V9"])
			}
			if f == capture.FormatZstd && r.Stats().Frames < 16 {
				t.Errorf("%d frames, want the header spread over several", r.Stats().Frames)
			}
		})
	}
}

// TestWriterReusesCoders checks that writers sharing pooled zstd encoders
// and frame buffers (one after another, several at once, at other levels in
// between) write the same bytes as the first writer did.
func TestWriterReusesCoders(t *testing.T) {
	plain := generate(t, 3000, capture.WriterOptions{Format: capture.FormatScap})
	r, evs, err := readAll(t, plain)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	type open struct {
		w   *capture.Writer
		out *bytes.Buffer
	}
	start := func(level int) open {
		o := open{out: new(bytes.Buffer)}
		var err error
		if o.w, err = capture.NewWriter(o.out, "reuse.scap.zst", capture.WriterOptions{Level: level, FrameSize: 32 << 10, Now: func() time.Time { return time.Unix(1e9, 0) }}); err != nil {
			t.Fatal(err)
		}
		if err := o.w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		return o
	}
	finish := func(o open, evs [][]byte) []byte {
		for _, ev := range evs {
			if err := o.w.WriteEvent(0, 0, ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.w.Close(); err != nil {
			t.Fatal(err)
		}
		return o.out.Bytes()
	}
	want := finish(start(3), evs)
	tests := []struct {
		name string
		got  func() []byte
	}{
		{"again", func() []byte { return finish(start(3), evs) }},
		{"after another level", func() []byte {
			finish(start(19), evs[:100])
			return finish(start(3), evs)
		}},
		{"two at once", func() []byte {
			o1, o2 := start(3), start(3)
			for i, ev := range evs {
				for _, o := range []open{o1, o2} {
					if err := o.w.WriteEvent(0, 0, ev); err != nil {
						t.Fatalf("event %d: %v", i, err)
					}
				}
			}
			b1, b2 := finish(o1, nil), finish(o2, nil)
			if !bytes.Equal(b1, b2) {
				t.Error("two writers at once wrote different bytes")
			}
			return b2
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(); !bytes.Equal(got, want) {
				t.Errorf("wrote %d bytes that differ from the first writer's %d", len(got), len(want))
			}
		})
	}
}
