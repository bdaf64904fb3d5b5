package capture_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// scapBytes returns the plain scap stream of a .scap or .scap.gz file.
func scapBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// convert copies in to out with capture.ConvertFile, the format chosen by
// out's name.
func convert(t *testing.T, in, out string, opts capture.WriterOptions) {
	t.Helper()
	if _, err := capture.ConvertFile(in, out, opts); err != nil {
		t.Fatal(err)
	}
}

func TestConvertFileRefusals(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "clear-logs.scap.zst")
	for _, tc := range []struct {
		name, in, out, want string
	}{
		{"output is input", in, in + "/.", "is the capture " + in + " (the same file)"},
		{"no directory", in, filepath.Join(dir, "nodir", "x.scap"), "directory " + filepath.Join(dir, "nodir") + " does not exist"},
		{"missing input", filepath.Join(dir, "none.scap"), filepath.Join(dir, "x.scap"), "none.scap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := capture.ConvertFile(tc.in, tc.out, capture.WriterOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused conversions left files: %v", ents)
	}
}

// TestRoundTripShared converts every shared capture .scap → .scap.zst →
// .scap and .scap.gz, and checks that the scap bytes are unchanged, that
// `zstd -d` gives the same bytes, and that sysdig prints identical lines.
func TestRoundTripShared(t *testing.T) {
	for _, path := range testutil.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			orig := scapBytes(t, path)
			zst := filepath.Join(dir, "c.scap.zst")
			back := filepath.Join(dir, "c.scap")
			gz := filepath.Join(dir, "c.scap.gz")
			// Small frames so that even these captures span several frames.
			convert(t, path, zst, capture.WriterOptions{FrameSize: 16 << 10})
			convert(t, zst, back, capture.WriterOptions{})
			convert(t, zst, gz, capture.WriterOptions{})
			for _, p := range []string{back, gz} {
				if got := scapBytes(t, p); !bytes.Equal(got, orig) {
					t.Fatalf("%s: scap bytes differ from the original (%d vs %d bytes)", filepath.Base(p), len(got), len(orig))
				}
			}
			if zstd, ok := testutil.OptionalTool(t, "zstd"); ok {
				out, err := exec.Command(zstd, "-d", "-c", zst).Output()
				if err != nil {
					t.Fatalf("zstd -d: %v", err)
				}
				if !bytes.Equal(out, orig) {
					t.Fatalf("zstd -d output differs from the original scap bytes")
				}
			}
			r, err := capture.Open(zst)
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("read converted file: %v", err)
				}
			}
			st := r.Stats()
			r.Close()
			if st.Frames < 2 || st.Truncated {
				t.Errorf("converted file: %d frames, truncated %v", st.Frames, st.Truncated)
			}
			if sysdig, ok := testutil.OptionalTool(t, "sysdig"); ok {
				run := func(p string) string {
					out, err := exec.Command(sysdig, "-r", p).Output()
					if err != nil {
						t.Fatalf("sysdig -r %s: %v", p, err)
					}
					return string(out)
				}
				if diff := cmp.Diff(run(path), run(back)); diff != "" {
					t.Errorf("sysdig output differs after the round trip:\n%s", diff)
				}
			}
		})
	}
}

// TestZstdCLIFiles reads plain captures compressed by the zstd command: a
// file (one frame with its content size: the frame reader) and a pipe (no
// content size: the streaming decoder), with the same events as the plain
// file.
func TestZstdCLIFiles(t *testing.T) {
	zstd := testutil.NeedTool(t, "zstd")
	plain := generate(t, 5000, capture.WriterOptions{Format: capture.FormatScap})
	_, want, err := readAll(t, plain)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "p.scap")
	if err := os.WriteFile(src, plain, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(zstd, "-q", "-19", src).CombinedOutput(); err != nil {
		t.Fatalf("zstd: %v %s", err, out)
	}
	fromFile, err := os.ReadFile(src + ".zst")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(zstd, "-q", "-c")
	cmd.Stdin = bytes.NewReader(plain)
	fromPipe, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"file": fromFile, "pipe": fromPipe, "pipe cut": fromPipe[:len(fromPipe)/2]} {
		t.Run(name, func(t *testing.T) {
			r, got, err := readAll(t, data)
			if name == "pipe cut" {
				var te *capture.TruncatedError
				if !errors.As(err, &te) || len(got) == 0 || len(got) >= len(want) {
					t.Errorf("cut stream: %d events, error %v; want some events and a TruncatedError", len(got), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Header().Format != capture.FormatZstd || len(got) != len(want) {
				t.Fatalf("format %v, %d events; want scap.zst, %d", r.Header().Format, len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(want[i], got[i]) {
					t.Fatalf("event %d differs", i)
				}
			}
			// The file is one frame with a content size; the pipe has none
			// and goes through the streaming decoder, which counts no frames.
			if wantFrames := map[string]int{"file": 1, "pipe": 0}[name]; r.Stats().Frames != wantFrames {
				t.Errorf("%d frames read, want %d", r.Stats().Frames, wantFrames)
			}
		})
	}
}

// TestZstdCLIUltraWindow reads a capture that `zstd --ultra -22` compressed
// from a pipe (the size unknown, so the frame asks for the level's whole
// 128 MiB window): a *LimitError that says so and how to read it, not
// corruption; the zstd command the hint names decompresses it.
func TestZstdCLIUltraWindow(t *testing.T) {
	zstd := testutil.NeedTool(t, "zstd")
	plain := generate(t, 500, capture.WriterOptions{Format: capture.FormatScap})
	cmd := exec.Command(zstd, "-q", "--ultra", "-22", "-c")
	cmd.Stdin = bytes.NewReader(plain)
	ultra, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = readAll(t, ultra)
	var le *capture.LimitError
	const want = "test: zstd window of 128 MiB at offset 0 is larger than the 64 MiB limit (decompress it with zstd -d and read the .scap)"
	if !errors.As(err, &le) || err.Error() != want {
		t.Fatalf("error %v (%T), want %q", err, err, want)
	}
	cmd = exec.Command(zstd, "-q", "-d", "-c")
	cmd.Stdin = bytes.NewReader(ultra)
	out, err := cmd.Output()
	if err != nil || !bytes.Equal(out, plain) {
		t.Fatalf("zstd -d: %v, %d bytes back of %d", err, len(out), len(plain))
	}
}
