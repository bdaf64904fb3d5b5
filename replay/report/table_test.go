package report

import (
	"bytes"
	"fmt"
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

func TestWrapCell(t *testing.T) {
	tests := []struct {
		name, in string
		width    int
		want     string
	}{
		{"fits", "Read sensitive file", 20, "Read sensitive file"},
		{"at spaces", "Read sensitive file untrusted", 10, "Read\nsensitive\nfile\nuntrusted"},
		{"long path after slashes", "file: /work/main/testdata/attacks/scenarios/clear-logs.sh", 16, "file:\n/work/main/\ntestdata/\nattacks/\nscenarios/clear-\nlogs.sh"},
		{"arrow stays whole", "10.0.0.5:51514->203.0.113.7:4444", 14, "10.0.0.5:\n51514->\n203.0.113.7:\n4444"},
		{"no separator breaks anywhere", "abcdefghij", 4, "abcd\nefgh\nij"},
		{"keeps lines", "cmd: a\nuser: root", 10, "cmd: a\nuser: root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := wrapCell(tc.in, tc.width)
			if got != tc.want {
				t.Errorf("wrapCell(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
			}
			if strings.ReplaceAll(strings.ReplaceAll(got, "\n", ""), " ", "") != strings.ReplaceAll(strings.ReplaceAll(tc.in, "\n", ""), " ", "") {
				t.Errorf("wrapCell dropped or added characters: %q", got)
			}
			if w := cellWidth(got); w > tc.width {
				t.Errorf("wrapped cell is %d wide, limit %d", w, tc.width)
			}
		})
	}
}

// TestTableKeepsRuleWords checks that rule names wrap only between words at
// the usual terminal widths.
func TestTableKeepsRuleWords(t *testing.T) {
	r := demoReport()
	words := map[string]bool{}
	for _, d := range r.Detections {
		for w := range strings.FieldsSeq(d.Rule) {
			words[w] = true
		}
	}
	for _, width := range []int{80, 100, 120, 160} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTable(&b, r, Options{Width: width}); err != nil {
				t.Fatal(err)
			}
			for line := range strings.SplitSeq(b.String(), "\n") {
				cells := strings.Split(line, "│")
				if len(cells) < 5 {
					continue
				}
				for w := range strings.FieldsSeq(cells[4]) {
					if !words[w] && w != "RULE" {
						t.Errorf("rule cell holds a broken word %q: %s", w, line)
					}
				}
				if tw := twwidth.Width(line); tw > width {
					t.Errorf("line is %d wide, limit %d", tw, width)
				}
			}
		})
	}
}

// TestTableBound checks that a table over its bound prints the first rows
// and says how many it left out.
func TestTableBound(t *testing.T) {
	var b strings.Builder
	if err := WriteTable(&b, sampleReport(), Options{MaxDetections: 2, Width: 200}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if got := strings.Count(out, "evt.num "); got != 2 {
		t.Errorf("table has %d rows, want 2:\n%s", got, out)
	}
	if want := "4 detection(s), times in UTC on 2026-11-20; the table shows the first 2, 2 more rows left out (-o json has them all)\n"; !strings.HasSuffix(out, want) {
		t.Errorf("table ends %q, want %q", out[max(0, len(out)-200):], want)
	}
}
