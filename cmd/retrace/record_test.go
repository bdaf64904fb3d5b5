package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/record"
)

func TestRecordExitCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"not root", fmt.Errorf("load: %w", record.ErrNotRoot), exitNotRoot},
		{"no BTF", record.ErrNoBTF, exitNoBTF},
		{"verifier", &record.VerifierError{Program: "openat_x", LogTail: "R1 invalid mem access", Err: errors.New("permission denied")}, exitVerifier},
		{"other", errors.New("disk full"), exitFailure},
		{"output exists", fmt.Errorf("x: %w", record.ErrOutputExists), exitUsage},
		{"second recorder", fmt.Errorf("x: %w", record.ErrOutputBusy), exitUsage},
		{"output deleted", fmt.Errorf("x: %w: the file was deleted", record.ErrOutputGone), exitFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := recordExitCode(tc.err); got != tc.want {
				t.Errorf("recordExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestRecordNeedsOutput(t *testing.T) {
	_, _, err := runCaptureCLI(t, "record", "--duration", "1s")
	if exitCode(err) != exitUsage || !strings.Contains(fmt.Sprint(err), "-o FILE is required") {
		t.Errorf("record without -o: %v (exit %d), want a usage error", err, exitCode(err))
	}
}

// TestRecordRefuses checks the flag combinations record refuses before it
// loads anything: they would record the wrong thing or destroy a capture.
func TestRecordRefuses(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "old.scap.zst")
	if err := os.WriteFile(existing, []byte("evidence"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "new.scap.zst")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"only-command without a command", []string{"-o", fresh, "--only-command"}, "--only-command needs a command"},
		{"unknown snapshot scope", []string{"-o", fresh, "--snapshot-scope", "comand", "--", "/bin/true"}, `--snapshot-scope "comand": want command or all (did you mean "command"?)`},
		{"command scope without a command", []string{"-o", fresh, "--snapshot-scope", "command"}, "--snapshot-scope command needs a command"},
		{"negative duration", []string{"-o", fresh, "--duration", "-5s"}, "--duration -5s"},
		{"negative size", []string{"-o", fresh, "--max-size", "-5"}, "--max-size -5"},
		{"existing output", []string{"-o", existing, "--", "/bin/true"}, "exists; refusing to replace it"},
		{"keep without rotation", []string{"-o", fresh, "--keep", "3"}, "--keep needs --rotate-size or --rotate-time"},
		{"keep with a ring", []string{"-o", fresh, "--ring", "5m", "--keep", "3"}, "--keep and --ring do not go together"},
		{"bad rotate size", []string{"-o", fresh, "--rotate-size", "5XB"}, `--rotate-size: size "5XB": want bytes`},
		{"bad ring", []string{"-o", fresh, "--ring", "soon"}, `--ring: ring "soon": want a duration (e.g. 5m) or a size`},
		{"negative rotate time", []string{"-o", fresh, "--rotate-time", "-1s"}, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCaptureCLI(t, append([]string{"record"}, tc.args...)...)
			if exitCode(err) != exitUsage || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Errorf("got %v (exit %d), want a usage error with %q", err, exitCode(err), tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "evidence" {
		t.Errorf("the existing capture was touched: %q", b)
	}
}

// TestRecordCommand records `true` through the CLI (root and BPF needed)
// and checks the file reads back.
func TestRecordCommand(t *testing.T) {
	testutil.NeedRoot(t)
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		testutil.SkipMissing(t, "kernel has no BTF (/sys/kernel/btf/vmlinux)")
	}
	out := filepath.Join(t.TempDir(), "cli.scap.zst")
	_, stderr, err := runCaptureCLI(t, "record", "-o", out, "--no-env", "--", "/bin/true")
	if err != nil {
		t.Fatalf("record: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "events") {
		t.Errorf("summary missing from stderr: %q", stderr)
	}
	r, err := capture.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var execs int
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if ev.Info().Name == "execve" {
			execs++
		}
	}
	if execs == 0 {
		t.Error("no execve event recorded for /bin/true")
	}
	if m := r.Header().Metadata; m == nil || len(m.CommandLine) == 0 {
		t.Errorf("metadata command line missing: %+v", m)
	}
}
