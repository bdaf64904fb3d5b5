package suite

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/replay/report"
)

var base = time.Date(2026, 11, 22, 20, 1, 0, 0, time.UTC)

// det builds a detection at base+ms with a process and output fields.
func det(ms int, rule, prio string, pid int64, cmdline string, fields map[string]any) report.Detection {
	name, _, _ := strings.Cut(cmdline, " ")
	return report.Detection{
		Time: base.Add(time.Duration(ms) * time.Millisecond), Rule: rule, Priority: prio,
		Process: report.Process{Pid: pid, Name: name, Cmdline: cmdline}, OutputFields: fields,
		Container: report.Container{ID: "host"},
	}
}

// parseCase parses a one-case suite from its expect block.
func parseCase(t *testing.T, expect string) *Case {
	t.Helper()
	src := "cases:\n  - name: c\n    capture: x.scap\n" + indent(expect, "    ")
	s, err := Parse([]byte(src), "s.yaml", ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	return s.Cases[0]
}

func indent(s, pre string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString(pre + l)
	}
	return b.String()
}

func TestCompare(t *testing.T) {
	shell := det(10, "Shell", "Notice", 10, "sh -c id", map[string]any{"fd.name": nil, "proc.tty": int64(34816)})
	shell2 := det(20, "Shell", "Notice", 11, "sh -i", nil)
	read := det(30, "Read", "Warning", 12, "cat /etc/shadow", map[string]any{"fd.name": "/etc/shadow"})
	noise := det(40, "Noise", "Debug", 13, "runc init", nil)
	tests := []struct {
		name   string
		expect string
		dets   []report.Detection
		// want is the rendered diff, "" for a pass.
		want string
	}{
		{
			name:   "no expectations and nothing fired",
			expect: "",
		},
		{
			name:   "no expectations: everything is unexpected",
			expect: "",
			dets:   []report.Detection{shell, read},
			want: `unexpected  2026-11-22T20:01:00.010000000Z Notice "Shell" pid 10 sh: sh -c id [host]
unexpected  2026-11-22T20:01:00.030000000Z Warning "Read" pid 12 cat: cat /etc/shadow [host]
`,
		},
		{
			name:   "counts pass",
			expect: "expect:\n  counts: {Shell: 2, Read: 1, Gone: 0}\n",
			dets:   []report.Detection{shell, shell2, read},
		},
		{
			name:   "counts differ and an uncounted rule fires",
			expect: "expect:\n  counts: {Shell: 1, Read: 2}\n",
			dets:   []report.Detection{shell, shell2, read, noise},
			want: `unexpected  2026-11-22T20:01:00.040000000Z Debug "Noise" pid 13 runc: runc init [host]
count       "Shell": want 1, got 2  [s.yaml:5]
              2026-11-22T20:01:00.010000000Z Notice "Shell" pid 10 sh: sh -c id [host]
              2026-11-22T20:01:00.020000000Z Notice "Shell" pid 11 sh: sh -i [host]
count       "Read": want 2, got 1  [s.yaml:5]
              2026-11-22T20:01:00.030000000Z Warning "Read" pid 12 cat: cat /etc/shadow [host]
`,
		},
		{
			name:   "not exhaustive ignores other rules",
			expect: "expect:\n  counts: {Read: 1}\n  exhaustive: false\n",
			dets:   []report.Detection{shell, read, noise},
		},
		{
			name: "alerts pass in any order, output and context fields",
			expect: `expect:
  alerts:
    - rule: Read
      priority: warning
      fields: {fd.name: /etc/shadow, proc.name: cat, container.name: host}
    - rule: Shell
      fields: {proc.cmdline: sh -i}
    - rule: Shell
      fields: {proc.cmdline: sh -c id, fd.name: <NA>, proc.tty: "34816"}
`,
			dets: []report.Detection{shell, shell2, read},
		},
		{
			name: "a vague alert does not take the detection a precise one needs",
			expect: `expect:
  alerts:
    - rule: Shell
    - rule: Shell
      fields: {proc.cmdline: sh -c id}
`,
			dets: []report.Detection{shell, shell2},
		},
		{
			name: "missing, changed and unexpected alerts",
			expect: `expect:
  alerts:
    - rule: Shell
      priority: Notice
      fields: {proc.cmdline: sh -c whoami}
    - rule: Read
      time: 2026-11-22T20:01:00.030000000Z
    - rule: Gone
      fields: {fd.name: /etc/sudoers}
    - rule: Read
      priority: Critical
`,
			dets: []report.Detection{shell, shell2, read},
			want: `missing     "Gone" fd.name="/etc/sudoers"  [s.yaml:11]
missing     Critical "Read"  [s.yaml:13]
changed     2026-11-22T20:01:00.010000000Z Notice "Shell" pid 10 sh: sh -c id [host]  [s.yaml:6]
              proc.cmdline: want "sh -c whoami", got "sh -c id"
unexpected  2026-11-22T20:01:00.020000000Z Notice "Shell" pid 11 sh: sh -i [host]
`,
		},
		{
			name: "changed priority, time and a field the alert does not have",
			expect: `expect:
  alerts:
    - rule: Read
      priority: Error
      time: 2026-11-22T20:01:00.031Z
      fields: {evt.arg.flags: O_RDONLY}
`,
			dets: []report.Detection{read},
			want: `changed     2026-11-22T20:01:00.030000000Z Warning "Read" pid 12 cat: cat /etc/shadow [host]  [s.yaml:6]
              priority: want "Error", got "Warning"
              time: want "2026-11-22T20:01:00.031Z", got "2026-11-22T20:01:00.03Z"
              evt.arg.flags: want "O_RDONLY", got "(no such field in this alert)"
`,
		},
		{
			name: "regular expressions",
			expect: `expect:
  alerts:
    - rule: Read
      fields: {fd.name: !re '/etc/(shadow|sudoers)', proc.cmdline: !re 'cat .*'}
    - rule: Shell
      fields: {proc.cmdline: !re 'sh -c (whoami|ls)'}
`,
			dets: []report.Detection{read, shell},
			want: `changed     2026-11-22T20:01:00.010000000Z Notice "Shell" pid 10 sh: sh -c id [host]  [s.yaml:8]
              proc.cmdline: want "!re sh -c (whoami|ls)", got "sh -c id"
`,
		},
		{
			name: "a pending alert that matches nothing passes",
			expect: `expect:
  alerts:
    - rule: Shell
      fields: {proc.cmdline: sh -c id}
    - rule: Shell
      fields: {proc.cmdline: sh -c whoami}
      pending: replay misses it (bug 1)
`,
			dets: []report.Detection{shell},
		},
		{
			name: "a pending alert that now fires fails",
			expect: `expect:
  alerts:
    - rule: Shell
      fields: {proc.cmdline: sh -c id}
    - rule: Shell
      pending: replay misses it (bug 1)
`,
			dets: []report.Detection{shell, shell2},
			want: `fixed       "Shell" now fires: remove its pending key  [s.yaml:8]
`,
		},
		{
			name: "a known false positive that still fires passes",
			expect: `expect:
  alerts:
    - rule: Shell
      fields: {proc.cmdline: sh -c id}
      false_positive: not a shell
`,
			dets: []report.Detection{shell},
		},
		{
			name: "a known false positive that no longer fires fails",
			expect: `expect:
  alerts:
    - rule: Read
    - rule: Shell
      false_positive: not a shell
`,
			dets: []report.Detection{read},
			want: `fixed       "Shell" (a known false positive) no longer fires: remove it  [s.yaml:7]
`,
		},
		{
			name:   "absent rules",
			expect: "expect:\n  counts: {Shell: 2}\n  absent: [Read, Never]\n",
			dets:   []report.Detection{shell, shell2, read},
			want: `fired       2026-11-22T20:01:00.030000000Z Warning "Read" pid 12 cat: cat /etc/shadow [host]  (must not fire, [s.yaml:6])
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := parseCase(t, tc.expect)
			d := Compare(c, tc.dets)
			if got := FormatDiff(&d); got != tc.want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, tc.want)
			}
			if d.Empty() != (tc.want == "") {
				t.Errorf("Empty() = %v with diff %q", d.Empty(), tc.want)
			}
		})
	}
}

func TestComparePending(t *testing.T) {
	c := parseCase(t, "expect:\n  alerts:\n    - {rule: A, pending: not yet}\n    - {rule: A}\n")
	d := Compare(c, []report.Detection{det(1, "A", "Notice", 1, "x", nil)})
	if !d.Empty() || len(d.Pending) != 1 || d.Pending[0].Pending != "not yet" {
		t.Fatalf("pending alert: empty=%v pending=%+v\n%s", d.Empty(), d.Pending, FormatDiff(&d))
	}
}

func TestDiffRules(t *testing.T) {
	c := parseCase(t, "expect:\n  counts: {A: 1}\n  alerts: [{rule: B}]\n  absent: [C]\n")
	d := Compare(c, []report.Detection{det(1, "C", "Notice", 1, "x", nil), det(2, "D", "Notice", 1, "x", nil)})
	if got, want := d.Rules(), []string{"A", "B", "C", "D"}; !slices.Equal(got, want) {
		t.Fatalf("Rules() = %q, want %q", got, want)
	}
}

func TestFieldValue(t *testing.T) {
	d := report.Detection{
		Rule: "R", Priority: "Notice", EventType: "openat", EventNum: 7,
		OutputFields: map[string]any{"fd.name": "/etc/shadow", "proc.cmdline": "from output", "evt.res": nil,
			"proc.aname": []string{"a", "b"}, "n": uint64(3), "f": 1.5, "b": true},
		Process:   report.Process{Pid: 5, Name: "cat", Exe: "/bin/cat", Cmdline: "cat x", User: "root", Tty: 1},
		Ancestry:  []report.Process{{Pid: 4, Name: "sh", Cmdline: "sh -i"}},
		Container: report.Container{ID: "abc", Name: "web", Image: "img"},
		Network:   []string{"tcp 1.2.3.4:5->6.7.8.9:10"},
	}
	tests := []struct {
		field, want string
		ok          bool
	}{
		{"fd.name", "/etc/shadow", true},
		{"proc.cmdline", "from output", true},
		{"evt.res", Missing, true},
		{"proc.aname", "a,b", true},
		{"n", "3", true},
		{"f", "1.5", true},
		{"b", "true", true},
		{"proc.name", "cat", true},
		{"proc.pid", "5", true},
		{"proc.exepath", "/bin/cat", true},
		{"user.name", "root", true},
		{"proc.tty", "1", true},
		{"proc.pname", "sh", true},
		{"proc.ppid", "4", true},
		{"proc.pcmdline", "sh -i", true},
		{"container.id", "abc", true},
		{"container.name", "web", true},
		{"container.image", "img", true},
		{"evt.type", "openat", true},
		{"evt.num", "7", true},
		{"rule", "R", true},
		{"priority", "Notice", true},
		{"proc.aname[3]", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			got, ok := FieldValue(&d, tc.field)
			if got != tc.want || ok != tc.ok {
				t.Errorf("FieldValue(%q) = %q, %v; want %q, %v", tc.field, got, ok, tc.want, tc.ok)
			}
		})
	}
	net := report.Detection{Network: []string{"tcp 1.2.3.4:5->6.7.8.9:10"}, Container: report.Container{ID: "host"}}
	if got, _ := FieldValue(&net, "fd.name"); got != "1.2.3.4:5->6.7.8.9:10" {
		t.Errorf("fd.name of a connection = %q", got)
	}
	if got, _ := FieldValue(&net, "container.name"); got != "host" {
		t.Errorf("container.name on the host = %q", got)
	}
}

func TestBipartite(t *testing.T) {
	// Alert 0 fits detections 0 and 1, alert 1 only detection 0: a greedy
	// pass would give alert 0 detection 0 and leave alert 1 unmatched.
	ok := func(i, j int) bool { return i == 0 || j == 0 }
	a, d := bipartite(2, 2, ok)
	if want := []int{1, 0}; !cmp.Equal(a, want) {
		t.Fatalf("matchA = %v, want %v", a, want)
	}
	if want := []int{1, 0}; !cmp.Equal(d, want) {
		t.Fatalf("matchD = %v, want %v", d, want)
	}
}
