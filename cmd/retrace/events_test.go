package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestEvents checks sysdig's grammar: a positional filter, -p, --around
// and --pid; and the errors of bad arguments.
func TestEvents(t *testing.T) {
	const capFile = "../../testdata/incident/incident.scap.zst"
	for _, tc := range []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"positional filter and format", []string{capFile, "evt.type=read", "and", "fd.sport=45555", "and", "fd.is_server=false",
			"-p", "%proc.name %evt.buffer"}, []string{"exe id.uname -a.cat /etc/shadow.exit."}, ""},
		{"around an event of a process", []string{capFile, "evt.type=execve and evt.dir=<", "--around", "3380", "--context", "50",
			"--pid", "4026", "-p", "%evt.num %proc.pid %proc.cmdline"}, []string{"3366 4026 sh"}, ""},
		{"not a capture", []string{"nope.scap"}, nil, `"nope.scap" is not a capture file`},
		{"bad filter", []string{capFile, "evt.type=="}, nil, "parse filter"},
		{"clock offset with -w", []string{capFile, "--clock-offset", "incident=1s", "-w", filepath.Join(t.TempDir(), "out.scap.zst")}, nil,
			"-w writes the events unchanged, with their recorded times; --clock-offset does not apply"},
		{"clock offset of no capture's host", []string{capFile, "--clock-offset", "web-01=1s"}, nil, `no capture was recorded on host "web-01"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runRetrace(t, append([]string{"events"}, tc.args...)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventsJSONLikeSysdig compares -j lines with real sysdig's -j on the
// same capture, filter and format, byte for byte: keys sorted, numbers as
// numbers, evt.outputtime in nanoseconds, null for no value.
func TestEventsJSONLikeSysdig(t *testing.T) {
	capFile := testutil.SharedFile(t, "captures", "falco_cat_write.scap")
	filter := "proc.name=cat and evt.type in (brk, open, close, read, write)"
	for _, format := range []string{"", "*%evt.num %evt.type %fd.name %evt.rawres %proc.name %thread.tid %evt.cpu %evt.outputtime %evt.dir %proc.pid %fd.num",
		"%proc.name %evt.type %fd.name %evt.type"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"events", capFile, filter, "-j"}
			sysArgs := []string{"-j", filter}
			if format != "" {
				args = append(args, "-p", format)
				sysArgs = append([]string{"-p", format}, sysArgs...)
			}
			out, _, err := runRetrace(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			want := testutil.SysdigLines(t, capFile, sysArgs...)
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(want) < 10 {
				t.Fatalf("sysdig printed %d lines", len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("-j lines (-want sysdig +got):\n%s", diff)
			}
		})
	}
}

// TestEventsWrite writes the selected events as a capture (-w): retrace
// replays it to the same events, and real sysdig reads the decompressed
// file to the events it selects from the source. As with sysdig -w, the
// written capture holds the source's starting snapshot, not the state
// that unselected events built: the formats print what selected events
// carry themselves.
func TestEventsWrite(t *testing.T) {
	const src = "../../testdata/incident/incident.scap.zst"
	zstd := testutil.NeedTool(t, "zstd")
	decompress := func(in string) string {
		t.Helper()
		to := filepath.Join(t.TempDir(), "plain.scap")
		if o, err := exec.Command(zstd, "-q", "-d", in, "-o", to).CombinedOutput(); err != nil {
			t.Fatalf("zstd -d %s: %v\n%s", in, err, o)
		}
		return to
	}
	plainSrc := decompress(src)
	lines := func(args ...string) []string {
		t.Helper()
		o, _, err := runRetrace(t, append([]string{"events"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(o), "\n"), "\n")
	}
	for _, tc := range []struct {
		name, filter, format, sysFormat string
		atLeast                         int
	}{
		{"raw events", "proc.name in (nc, sh, cat) or evt.type in (execve, clone)",
			"*%evt.outputtime %thread.tid %evt.cpu %evt.dir %evt.type %evt.rawres", "", 400},
		{"one process, its container", "proc.name=nc",
			"*%evt.outputtime %proc.pid %proc.name %proc.exe %container.id %container.name %evt.dir %evt.type %evt.rawres",
			"*%evt.outputtime %proc.pid %proc.name %proc.exe %container.id %evt.dir %evt.type %evt.rawres", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "selected.scap.zst")
			if _, _, err := runRetrace(t, "events", src, tc.filter, "-w", out); err != nil {
				t.Fatal(err)
			}
			want := lines(src, tc.filter, "-p", tc.format)
			if len(want) < tc.atLeast {
				t.Fatalf("the filter selects %d events of the incident, want at least %d", len(want), tc.atLeast)
			}
			if diff := cmp.Diff(want, lines(out, "-p", tc.format)); diff != "" {
				t.Errorf("replay of the written capture (-source +written):\n%s", diff)
			}
			sysFormat := tc.sysFormat
			if sysFormat == "" {
				sysFormat = tc.format
			}
			wantSys := testutil.SysdigLines(t, plainSrc, "-p", sysFormat, tc.filter)
			if len(wantSys) < tc.atLeast {
				t.Fatalf("sysdig selects %d events of the incident", len(wantSys))
			}
			// The written capture keeps the container events the
			// selected events' state needs; sysdig prints those that do
			// not open the file (CAPTURE-HIDDEN-029), the filter on the
			// source selects none.
			if _, err := compat.Known("CAPTURE-HIDDEN-029"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantSys, testutil.SysdigLines(t, decompress(out), "-p", sysFormat, "evt.type!=container")); diff != "" {
				t.Errorf("sysdig -r of the written capture (-sysdig on the source with the filter +sysdig on it):\n%s", diff)
			}
		})
	}

	out := filepath.Join(t.TempDir(), "two.scap.zst")
	if _, _, err := runRetrace(t, "events", src, "../../testdata/attacks/clear-logs.scap.zst", "-w", out); err == nil || !strings.Contains(err.Error(), "one capture") {
		t.Errorf("-w with two captures: err = %v", err)
	}
}
