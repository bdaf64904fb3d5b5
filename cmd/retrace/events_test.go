package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEvents checks sysdig's grammar: a positional filter, -p, --around
// and --pid.
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
		{"around an event of a process", []string{capFile, "evt.type=execve and evt.dir=<", "--around", "3400", "--context", "50",
			"--pid", "32094", "-p", "%evt.num %proc.pid %proc.cmdline"}, []string{"3382 32094 sh"}, ""},
		{"not a capture", []string{"nope.scap"}, nil, `"nope.scap" is not a capture file`},
		{"bad filter", []string{capFile, "evt.type=="}, nil, "parse filter"},
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
