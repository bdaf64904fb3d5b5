package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkTimesketchLine checks one line against Timesketch's documented
// import format for JSONL: a JSON object with a non-empty string
// "message", a "datetime" in ISO 8601 and a non-empty "timestamp_desc";
// retrace also promises "timestamp" in microseconds matching datetime and
// the provenance keys.
func checkTimesketchLine(line []byte, want ...string) error {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	for _, k := range []string{"message", "datetime", "timestamp_desc"} {
		s, ok := m[k].(string)
		if !ok || s == "" {
			return fmt.Errorf("required %q missing or not a non-empty string: %v", k, m[k])
		}
	}
	dt, err := time.Parse(time.RFC3339Nano, m["datetime"].(string))
	if err != nil {
		return fmt.Errorf("datetime is not ISO 8601: %v", err)
	}
	ts, err := m["timestamp"].(json.Number).Int64()
	if err != nil || ts != dt.UnixMicro() {
		return fmt.Errorf("timestamp %v is not datetime %s in microseconds", m["timestamp"], dt)
	}
	for _, k := range append([]string{"data_type", "host", "container_id", "proc_pid", "time_ns"}, want...) {
		if _, ok := m[k]; !ok {
			return fmt.Errorf("no %q", k)
		}
	}
	return nil
}

func TestTimesketchRequiredFields(t *testing.T) {
	tests := []struct {
		name   string
		report *Report
		lines  int
		keys   []string
	}{
		{"detections", sampleReport(), 4, []string{"rule", "priority", "tags", "output_fields", "capture", "frame", "evt_num", "proc_ancestry"}},
		{"shells", shellsReport(), 1, []string{"rule", "children", "capture"}},
		{"tree", treeReport(), 6, []string{"activity", "object", "capture", "frame", "evt_num"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tc.report, FormatTimesketch, Options{}); err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n"))
			if len(lines) != tc.lines {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), tc.lines, b.Bytes())
			}
			for i, l := range lines {
				if err := checkTimesketchLine(l, tc.keys...); err != nil {
					t.Errorf("line %d: %v\n%s", i+1, err, l)
				}
			}
			if bytes.IndexByte(b.Bytes(), 0x1b) >= 0 || bytes.IndexByte(b.Bytes(), 0xff) >= 0 {
				t.Error("output holds a raw escape or invalid byte")
			}
		})
	}
}

// TestTimesketchTreeSources checks that each tree activity names its own
// process's host and the file that holds its event, also when the tree
// covers several hosts, or a rotated set whose files hold one process's
// activities.
func TestTimesketchTreeSources(t *testing.T) {
	type source struct {
		Pid     int64  `json:"proc_pid"`
		Object  string `json:"object"`
		Host    string `json:"host"`
		Capture string `json:"capture"`
		Frame   int    `json:"frame"`
		EvtNum  uint64 `json:"evt_num"`
	}
	tests := []struct {
		name   string
		report *Report
		keep   func(s source) bool
		want   []source
	}{
		{
			name: "two hosts", report: treeHostsReport(),
			keep: func(s source) bool { return s.Object == "/etc/shadow" || s.Pid == 950 },
			want: []source{
				{8101, "/etc/shadow", "web-01", "hosts/web-01.scap.zst", 1, 815},
				{950, "/usr/sbin/cron -f", "db-01", "db-01.scap", -1, 77},
				{950, "/etc/cron.d/x", "db-01", "db-01.scap", -1, 80},
			},
		},
		{
			name: "rotated set", report: treeSetReport(),
			keep: func(s source) bool { return s.Pid == 8101 || s.Pid == 8120 },
			want: []source{
				{8101, "bash", "web-01", "rec/web-000001.scap.zst", 1, 812},
				{8101, "/etc/shadow", "web-01", "rec/web-000001.scap.zst", 1, 815},
				{8101, "tcp 10.0.0.5:40112->203.0.113.7:80", "web-01", "rec/web-000002.scap.zst", 0, 20480},
				{8120, "sh -c id", "web-01", "rec/web-000002.scap.zst", 0, 21000},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tc.report, FormatTimesketch, Options{}); err != nil {
				t.Fatal(err)
			}
			var got []source
			for _, l := range bytes.Split(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n")) {
				var s source
				if err := json.Unmarshal(l, &s); err != nil {
					t.Fatalf("%v: %s", err, l)
				}
				if tc.keep(s) {
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tree activities (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimesketchDetection(t *testing.T) {
	d := sampleReport().Detections[0]
	d.Frame = 12
	d.Provenance = &Provenance{Chain: []Origin{
		{Process: d.Process, How: "exec", Container: "3ad7b2c1e9f0"},
		{Process: Process{Pid: 4090, Name: "runc"}, How: "fork", Container: "host"},
	}, LoginUID: 1000, LoginUser: "alice", Session: 77, Tty: 34816}
	var m map[string]any
	if err := json.Unmarshal(AppendTimesketch(nil, &d, ""), &m); err != nil {
		t.Fatal(err)
	}
	anc, _ := m["proc_ancestry"].([]any)
	if len(anc) != 3 || anc[0] != "runc[4090] runc exec -t 3ad7b2c1e9f0 bash -i" || anc[2] != "systemd[1] systemd --system" {
		t.Errorf("proc_ancestry = %v", m["proc_ancestry"])
	}
	for k, want := range map[string]any{
		"message": d.Output, "datetime": "2026-11-20T09:14:03.120456+00:00", "timestamp_desc": TimesketchTimestampDesc,
		"data_type": "retrace:detection", "rule": d.Rule, "priority": "Notice", "host": "web-01",
		"container_id": "3ad7b2c1e9f0", "container_name": "web-frontend", "proc_cmdline": "bash -i",
		"capture": "incident-42.scap.zst", "frame": float64(12), "evt_num": float64(10421), "time_ns": float64(d.Time.UnixNano()),
		"provenance_chain": "runc[4090] > bash[4100]{container 3ad7b2c1e9f0}", "login_user": "alice",
		"login_uid": float64(1000), "session": float64(77), "tty": float64(34816),
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
}
