package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

func TestTableGolden(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"table_120.golden", Options{}},
		{"table_80_tz.golden", Options{Width: 80, TZ: time.FixedZone("CET", 3600)}},
		{"table_200.golden", Options{Width: 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTable(&b, sampleReport(), tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
			width := tc.opts.Width
			if width == 0 {
				width = defaultTableWidth
			}
			for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				if w := twwidth.Width(line); w > width {
					t.Errorf("line %d is %d columns wide, limit %d: %q", i+1, w, width, line)
				}
				if strings.ContainsAny(line, "\x1b\t\r") {
					t.Errorf("line %d holds a raw control character: %q", i+1, line)
				}
			}
		})
	}
}

func TestProcessPath(t *testing.T) {
	p := func(name string, pid int64) Process { return Process{Name: name, Pid: pid} }
	tests := []struct {
		name string
		d    Detection
		want string
	}{
		{"no ancestry", Detection{Process: p("cat", 7)}, "cat[7]"},
		{"parent first", Detection{Process: p("cat", 7), Ancestry: []Process{p("sudo", 6), p("bash", 5)}}, "bash > sudo > cat[7]"},
		{"deep", Detection{Process: p("cat", 7), Ancestry: []Process{p("a", 6), p("b", 5), p("c", 4), p("d", 3)}}, "… > c > b > a > cat[7]"},
		{"unnamed", Detection{Process: p("", 0), Ancestry: []Process{p("", 9)}}, "9 > ?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := processPath(&tc.d, maxPathDepth); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCleanCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain /usr/bin/ls", "plain /usr/bin/ls"},
		{"a\nb\tc\r", `a\nb\tc\r`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"ok ✓ \u2028", `ok ✓ \u2028`},
		{"\u009b2J", `\u009b2J`},
		{"invoice\u202efdp.exe", `invoice\u202efdp.exe`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := cleanCell(tc.in); got != tc.want {
				t.Errorf("cleanCell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
