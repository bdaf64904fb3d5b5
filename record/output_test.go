//go:build linux && amd64

package record

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
)

func TestSetFileName(t *testing.T) {
	start := time.Date(2026, 12, 5, 7, 14, 40, 0, time.UTC)
	for _, tc := range []struct{ output, want string }{
		{"/d/cap.scap.zst", "/d/cap-000003-20261205T071440Z.scap.zst"},
		{"cap.scap", "cap-000003-20261205T071440Z.scap"},
		{"/d/x.y.scap.gz", "/d/x.y-000003-20261205T071440Z.scap.gz"},
		{"/d/noext", "/d/noext-000003-20261205T071440Z"},
		{"/d/trace.zst", "/d/trace-000003-20261205T071440Z.zst"},
	} {
		if got := SetFileName(tc.output, 3, start); got != tc.want {
			t.Errorf("SetFileName(%q) = %q, want %q", tc.output, got, tc.want)
		}
	}
}

func TestParseSizeAndRing(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1000", 1000}, {"100MB", 100e6}, {"1GiB", 1 << 30}, {"512mib", 512 << 20}, {"64K", 64 << 10}, {"1.5KB", 1500},
	} {
		if got, err := ParseSize(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "MB", "-5", "1XB", "1e30GB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if d, n, err := ParseRing("5m"); err != nil || d != 5*time.Minute || n != 0 {
		t.Errorf("ParseRing(5m) = %v, %d, %v", d, n, err)
	}
	if d, n, err := ParseRing("512MiB"); err != nil || d != 0 || n != 512<<20 {
		t.Errorf("ParseRing(512MiB) = %v, %d, %v", d, n, err)
	}
	for _, bad := range []string{"0", "-5m", "soon"} {
		if _, _, err := ParseRing(bad); err == nil {
			t.Errorf("ParseRing(%q) accepted", bad)
		}
	}
}

// TestCreateExclusive checks that an output is never replaced by accident
// and never written by two recorders.
func TestCreateExclusive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.scap.zst")
	if err := os.WriteFile(path, []byte("evidence"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := createExclusive(path, false); !errors.Is(err, ErrOutputExists) {
		t.Fatalf("existing file without force: %v, want ErrOutputExists", err)
	}
	first, err := createExclusive(path, true)
	if err != nil {
		t.Fatalf("existing file with force: %v", err)
	}
	defer first.Close()
	if st, _ := first.Stat(); st.Size() != 0 {
		t.Errorf("forced file not truncated: %d bytes", st.Size())
	}
	if _, err := createExclusive(path, true); !errors.Is(err, ErrOutputBusy) {
		t.Errorf("second recorder with force: %v, want ErrOutputBusy", err)
	}
	if _, err := createExclusive(path, false); !errors.Is(err, ErrOutputExists) {
		t.Errorf("second recorder without force: %v, want ErrOutputExists", err)
	}
}

// TestOutputCheck checks that a deleted or replaced output is noticed.
func TestOutputCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(path string) error
		want   string
	}{
		{"intact", func(string) error { return nil }, ""},
		{"deleted", os.Remove, "the file was deleted"},
		{"replaced", func(p string) error {
			if err := os.Rename(p, p+".old"); err != nil {
				return err
			}
			return os.WriteFile(p, nil, 0o644)
		}, "the path names another file now"},
		{"moved", func(p string) error { return os.Rename(p, p+".old") }, "the path names another file now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := newOutput(Options{Output: filepath.Join(t.TempDir(), "c.scap.zst")})
			if err != nil {
				t.Fatal(err)
			}
			if err := o.reserve(time.Now()); err != nil {
				t.Fatal(err)
			}
			defer o.f.Close()
			if err := tc.change(o.name); err != nil {
				t.Fatal(err)
			}
			err = o.check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("check: %v", err)
			case tc.want != "" && (!errors.Is(err, ErrOutputGone) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("check: %v, want ErrOutputGone with %q", err, tc.want)
			}
		})
	}
}

// TestOutputSet writes sets of empty captures through output and checks
// which files --keep and the ring leave, and the ring's write-out.
func TestOutputSet(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		opts  Options
		files int           // files written
		step  time.Duration // between files
		kept  int           // files left at the end
	}{
		{"rotate without keep", Options{RotateTime: time.Minute}, 5, time.Minute, 5},
		{"keep 3", Options{RotateTime: time.Minute, Keep: 3}, 5, time.Minute, 3},
		{"keep 1", Options{RotateSize: 1000, Keep: 1}, 4, time.Minute, 1},
		{"ring 2m", Options{RingDuration: 2 * time.Minute}, 6, time.Minute, 2},
		{"ring size", Options{RingSize: 1}, 4, time.Minute, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.opts.Output = filepath.Join(dir, "c.scap.zst")
			o, err := newOutput(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			for i := range tc.files {
				w, err := o.begin(capture.Metadata{Hostname: "h"}, capture.WriterOptions{SyncInterval: -1}, now)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.WriteHeader(&capture.Header{}); err != nil {
					t.Fatal(err)
				}
				now = now.Add(tc.step)
				next := i < tc.files-1
				if err := o.close(capture.Metadata{Hostname: "h", Rotation: o.rotation()}, now, next); err != nil {
					t.Fatalf("close file %d: %v", i+1, err)
				}
				if on := len(o.closed); next && tc.opts.Keep > 0 && on+1 > tc.opts.Keep {
					t.Errorf("after file %d: %d closed files and the next one, want %d in all", i+1, on, tc.opts.Keep)
				}
			}
			if err := o.finish(); err != nil {
				t.Fatal(err)
			}
			got := o.files()
			if len(got) != tc.kept {
				t.Fatalf("files %q, want %d", got, tc.kept)
			}
			for i, f := range got {
				seq := tc.files - tc.kept + i + 1
				if want := SetFileName(tc.opts.Output, seq, t0.Add(time.Duration(seq-1)*tc.step)); f != want {
					t.Errorf("file %d = %s, want %s", i, f, want)
				}
				r, err := capture.Open(f)
				if err != nil {
					t.Fatal(err)
				}
				for {
					if _, err := r.Next(); err != nil {
						break
					}
				}
				if m := r.Header().Metadata; m == nil || m.Rotation == nil || m.Rotation.Seq != seq || m.Rotation.Set != o.set {
					t.Errorf("%s: rotation metadata %+v, want seq %d of set %s", f, m, seq, o.set)
				}
				r.Close()
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != tc.kept {
				t.Errorf("directory holds %d entries, want %d (the ring's staging directory removed)", len(entries), tc.kept)
			}
		})
	}
}

// FuzzParseSize checks that ParseSize never panics, accepts plain byte
// counts as they are, and never returns a negative size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1000", "100MB", "1GiB", "1.5kb", "-5", "1e30GB", "", "MB", " 7 K "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Errorf("ParseSize(%q) = %d", s, n)
		}
		if d, sz, err := ParseRing(s); err == nil && (d <= 0) == (sz <= 0) {
			t.Errorf("ParseRing(%q) = %v, %d: want exactly one of them", s, d, sz)
		}
	})
}
