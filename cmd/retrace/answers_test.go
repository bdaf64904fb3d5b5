package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/retrace-dev/retrace/internal/habits"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestEmptyAnswersSayWhy runs the typos and out-of-range scopes that used
// to give an empty answer without a word, and checks what retrace says on
// stderr and its exit code (golden files in testdata/answers/, the
// capture's path shown as CAPTURE).
func TestEmptyAnswersSayWhy(t *testing.T) {
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "container-terminal-shell.scap.zst")
	emptyDir := t.TempDir()
	clean := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, capture, "CAPTURE"), emptyDir, "EMPTYDIR")
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"tag-unknown", []string{"-t", "nosuchtag"}, exitOK},
		{"tag-typo", []string{"-t", "shel"}, exitOK},
		{"nothing-selected", []string{"-p", "emergency"}, exitOK},
		{"exclude-tag-unknown", []string{"-T", "nosuch"}, exitOK},
		{"disable-nothing", []string{"-D", "curl"}, exitOK},
		{"disable-case", []string{"-D", "read sensitive"}, exitOK},
		{"container-unknown", []string{"--container", "nosuch"}, exitOK},
		{"container-typo", []string{"--container", "retrace-atack"}, exitOK},
		{"pid-unknown", []string{"--pid", "999999"}, exitOK},
		{"since-after-end", []string{"--since", "2030-01-01"}, exitOK},
		{"until-before-start", []string{"--until", "2000-01-01"}, exitOK},
		{"since-offset-after-end", []string{"--since", "+1h"}, exitOK},
		{"since-not-a-time", []string{"--since", "yesterday"}, exitUsage},
		{"until-before-since", []string{"--since", "07:38:15.3", "--until", "07:38:15.1"}, exitOK},
		{"format-field-missing", []string{"-F", "evt.type=openat", "--format", "%proc.name %user.loginname"}, exitOK},
		{"rules-dir-empty", []string{"-r", emptyDir}, exitUsage},
		{"since-as-printed", []string{"--since", "2026-12-05T07:38:15.2+0000", "--until", "07:38:16"}, exitOK},
		{"since-before-end", []string{"--since", "-5m"}, exitOK},
		{"since-epoch-ns", []string{"--since", "1796456295000000000"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkStderr(t, filepath.Join("answers", tc.name+".stderr"), tc.code, clean,
				append(append([]string{"replay", "-q"}, tc.args...), capture)...)
		})
	}
}

// TestHabits runs Falco's and sysdig's habits that mean something else in
// retrace and checks that each points to retrace's equivalent, or works
// (golden stderr in testdata/habits/, the capture's path shown as CAPTURE).
func TestHabits(t *testing.T) {
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	clean := func(s string) string { return strings.ReplaceAll(s, capture, "CAPTURE") }
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"positional-filter", []string{"replay", capture, "evt.type=execve"}, exitUsage},
		{"format-as-priority", []string{"replay", "-p", "%proc.cmdline", capture}, exitUsage},
		{"sysdig-write", []string{"replay", "-w", "out.scap", capture}, exitUsage},
		{"sysdig-json", []string{"replay", "-j", capture}, exitUsage},
		{"sysdig-chisel", []string{"timeline", capture, "-c", "spy_users"}, exitUsage},
		{"falco-duration-zero", []string{"replay", "-M", "0", capture}, exitUsage},
		{"falco-duration-and-until", []string{"replay", "-M", "3", "--until", "+1s", capture}, exitUsage},
		{"flag-typo", []string{"replay", "--contaner", "x", capture}, exitUsage},
		{"falco-capture-flag", []string{"replay", "-q", "-e", capture}, exitOK},
		{"falco-describe-unknown", []string{"replay", "-l", "Read Sensitive File by Untrusted Progam"}, exitUsage},
		{"no-capture", []string{"replay"}, exitUsage},
		{"convert-no-output", []string{"convert", capture}, exitUsage},
		{"command-typo", []string{"replya", capture}, exitUsage},
		{"rules-command-at-top", []string{"validate", "x.yaml"}, exitUsage},
		{"falco-json-output", []string{"replay", "-q", "-o", "json_output=true", "-o", "json", capture}, exitOK},
		{"timeline-view-after-missing-capture", []string{"timeline", "nosuch.scap", "connections"}, exitUsage},
		{"timeline-view-typo", []string{"timeline", capture, "conections"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkStderr(t, filepath.Join("habits", tc.name+".stderr"), tc.code, clean, tc.args...)
		})
	}
}

// TestFalcoSecondsFlag checks that Falco's -M SECONDS replays what
// --until +SECONDSs does, and that it cuts the capture short.
func TestFalcoSecondsFlag(t *testing.T) {
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "reverse-shell.scap.zst")
	all, _, err := runRetrace(t, "replay", "-q", "-F", "evt.num>0", "--format", "%evt.num %evt.time", capture)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"1", "2"} {
		got, _, err := runRetrace(t, "replay", "-q", "-M", n, "-F", "evt.num>0", "--format", "%evt.num %evt.time", capture)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := runRetrace(t, "replay", "-q", "--until", "+"+n+"s", "-F", "evt.num>0", "--format", "%evt.num %evt.time", capture)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("-M %s printed %d bytes, --until +%ss %d bytes; they differ", n, len(got), n, len(want))
		}
		if n == "1" && len(got) >= len(all) {
			t.Errorf("-M 1 printed %d bytes, the whole capture %d: nothing was cut", len(got), len(all))
		}
	}
}

// TestHelpShowsEquivalents checks that retrace --help and each command's
// help list the Falco and sysdig command lines it replaces.
func TestHelpShowsEquivalents(t *testing.T) {
	top, _, err := runRetrace(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range habits.Equivalents {
		help, _, err := runRetrace(t, e.Command, "--help")
		if err != nil {
			t.Fatal(err)
		}
		for name, text := range map[string][]byte{"retrace --help": top, "retrace " + e.Command + " --help": help} {
			if !strings.Contains(string(text), e.Theirs) || !strings.Contains(string(text), e.Ours) {
				t.Errorf("%s does not show %q → %q", name, e.Theirs, e.Ours)
			}
		}
	}
}

// TestFalcoInspectionFlags checks that replay's -L, -l, -V and --list
// print what the matching rules commands print.
func TestFalcoInspectionFlags(t *testing.T) {
	for _, tc := range []struct{ falco, rules []string }{
		{[]string{"replay", "-L"}, []string{"rules", "list"}},
		{[]string{"replay", "-l", "Terminal Shell in Container"}, []string{"rules", "show", "Terminal Shell in Container"}},
		{[]string{"replay", "--list"}, []string{"rules", "fields"}},
	} {
		t.Run(strings.Join(tc.falco[1:], " "), func(t *testing.T) {
			got, _, err := runRetrace(t, tc.falco...)
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := runRetrace(t, tc.rules...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || string(got) != string(want) {
				t.Errorf("%v printed %d bytes, %v %d bytes; they differ", tc.falco, len(got), tc.rules, len(want))
			}
		})
	}
}

// TestUnreadableInputs checks what replay and convert say about inputs and
// outputs they cannot use: each file named once, no summary line for
// captures that gave nothing, no temporary names (golden stderr in
// testdata/unreadable/, the temporary directory shown as DIR).
func TestUnreadableInputs(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.scap")
	empty := filepath.Join(dir, "empty.scap")
	if err := os.WriteFile(text, []byte("hello world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.scap")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	times := regexp.MustCompile(`in [0-9.]+s \([0-9]+ events/s\)`)
	clean := func(s string) string {
		s = times.ReplaceAllString(s, "in TIME")
		return strings.ReplaceAll(strings.ReplaceAll(s, dir, "DIR"), good, "CAPTURE")
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"text-file", []string{"replay", text}, exitFailure},
		{"empty-file", []string{"replay", empty}, exitFailure},
		{"fifo", []string{"replay", fifo}, exitFailure},
		{"info-text-file", []string{"info", text}, exitFailure},
		{"verify-fifo", []string{"verify", fifo}, exitUsage},
		{"verify-text-file", []string{"verify", text}, exitUsage},
		{"missing-file", []string{"replay", filepath.Join(dir, "missing.scap")}, exitUsage},
		{"one-of-two-unreadable", []string{"replay", "-o", "json", text, good}, exitFailure},
		{"convert-into-missing-dir", []string{"convert", good, filepath.Join(dir, "no", "out.scap")}, exitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkStderr(t, filepath.Join("unreadable", tc.name+".stderr"), tc.code, clean, tc.args...)
		})
	}
}

// checkStderr runs args and compares the exit code with code and what
// retrace printed on stderr (and the error main would print) with the
// golden file testdata/GOLDEN, after clean.
func checkStderr(t *testing.T, golden string, code int, clean func(string) string, args ...string) {
	t.Helper()
	_, stderr, err := runRetrace(t, args...)
	if got := exitCode(err); got != code {
		t.Errorf("exit code %d, want %d (%v)", got, code, err)
	}
	got := string(stderr)
	if err != nil {
		got += fmt.Sprintf("retrace: %v\n", err)
	}
	checkGolden(t, golden, []byte(clean(got)))
}
