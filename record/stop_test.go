//go:build linux && amd64

package record

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// TestRecordStops checks each way a recording without a command ends: a
// cancelled context (what SIGINT/SIGTERM do in the CLI), --duration and
// --max-size. Each must stop well before the test's 60 s deadline (on a
// loaded machine, detaching the per-syscall tracepoints alone takes
// seconds) and leave a complete file (footer, no truncation).
func TestRecordStops(t *testing.T) {
	needBPF(t)
	tests := []struct {
		name   string
		opts   Options
		cancel time.Duration
		within time.Duration
	}{
		{"context cancelled", Options{}, 1500 * time.Millisecond, 30 * time.Second},
		{"duration", Options{Duration: 1500 * time.Millisecond}, 0, 30 * time.Second},
		{"max size", Options{MaxSize: 1, AllSyscalls: true}, 0, 30 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probeMu.Lock()
			defer probeMu.Unlock()
			opts := tc.opts
			opts.Output = filepath.Join(t.TempDir(), "stop.scap.zst")
			opts.Snaplen = 80
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, cancel)
			}
			start := time.Now()
			res, err := Record(ctx, opts)
			if err != nil {
				t.Fatalf("Record: %v", err)
			}
			if el := time.Since(start); el > tc.within {
				t.Errorf("recording took %v, want under %v", el, tc.within)
			}
			r, err := capture.Open(opts.Output)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var n uint64
			for {
				_, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("read after %d events: %v", n, err)
				}
				n++
			}
			if n != res.Events {
				t.Errorf("read %d events, recorder wrote %d", n, res.Events)
			}
			if m := r.Header().Metadata; m == nil || m.StopTime.IsZero() {
				t.Errorf("closing metadata missing: %+v", m)
			}
		})
	}
}

func TestRecordAllSyscalls(t *testing.T) {
	c := recordRun(t, Options{AllSyscalls: true}, "/bin/sh", "-c", "cat /etc/hostname > /dev/null")
	cat := c.execOf(t, "cat", "/etc/hostname")
	recorded := map[uint64]bool{}
	for _, sc := range recordedSyscalls {
		recorded[uint64(sc.nr)] = true
	}
	var generic int
	for _, e := range c.events {
		if e.tid != cat.tid || e.name != "syscall" {
			continue
		}
		generic++
		nr := e.uint("nativeID")
		if recorded[nr] {
			t.Errorf("generic event for syscall %d, which has its own event", nr)
		}
		want, _ := scap.NativeSyscallID(uint16(nr))
		if want >= scap.Sysdig029NumSyscalls {
			want = 0
		}
		if e.uint("ID") != uint64(want) {
			t.Errorf("generic event for syscall %d: ID %d, want ppm_sc %d", nr, e.uint("ID"), want)
		}
	}
	if generic == 0 {
		t.Error("--all-syscalls wrote no generic events for cat (fstat, mmap, brk...)")
	}
}

func TestRecordFilterComm(t *testing.T) {
	c := recordRun(t, Options{FilterComm: "cat"}, "/bin/sh", "-c", "cat /etc/hostname > /dev/null; ls / > /dev/null")
	cat := c.execOf(t, "cat", "/etc/hostname")
	// Other cats may run on the host meanwhile: every process event must
	// be a cat's, and nothing of ls or sh may appear.
	for _, e := range c.events {
		if comm, ok := e.params["comm"]; ok && e.str("comm") != "cat" {
			t.Errorf("%s event of %q (tid %d) recorded with --filter-comm cat", e.name, comm, e.tid)
		}
	}
	if n := len(c.find("openat", true, func(e event) bool { return e.tid == cat.tid })); n == 0 {
		t.Error("no open by the filtered cat")
	}
	if len(c.find("openat", true, func(e event) bool { return e.str("name") == "/etc/hostname" })) != 1 {
		t.Error("cat's open of /etc/hostname missing")
	}
}
