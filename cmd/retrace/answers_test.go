package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestEmptyAnswersSayWhy runs the typos and out-of-range scopes that used
// to give an empty answer without a word, and checks what retrace says on
// stderr and its exit code (golden files in testdata/answers/, the
// capture's path shown as CAPTURE).
func TestEmptyAnswersSayWhy(t *testing.T) {
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "container-terminal-shell.scap.zst")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"tag-unknown", []string{"-t", "nosuchtag"}, exitUsage},
		{"tag-typo", []string{"-t", "shel"}, exitUsage},
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
		{"until-before-since", []string{"--since", "20:51:40.5", "--until", "20:51:40.2"}, exitOK},
		{"format-field-missing", []string{"-F", "evt.type=openat", "--format", "%proc.name %user.loginname"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runRetrace(t, append(append([]string{"replay", "-q"}, tc.args...), capture)...)
			if code := exitCode(err); code != tc.code {
				t.Errorf("exit code %d, want %d (%v)", code, tc.code, err)
			}
			got := string(stderr)
			if err != nil {
				got += fmt.Sprintf("retrace: %v\n", err)
			}
			checkGolden(t, filepath.Join("answers", tc.name+".stderr"), []byte(strings.ReplaceAll(got, capture, "CAPTURE")))
		})
	}
}
