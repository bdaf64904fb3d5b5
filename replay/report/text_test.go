package report

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// falcoCatWrite returns the detections Falco 0.32 printed for rule
// open_from_cat on cat_write.scap (../shared/falco-tests/output_files/),
// rebuilt from their timestamps.
func falcoCatWrite() *Report {
	stamps := []int64{881781397, 881785348, 881796705, 881799840, 882003104, 882008208, 882045694, 882054739}
	r := &Report{}
	for _, ns := range stamps {
		r.Detections = append(r.Detections, Detection{
			Time:         time.Unix(1470327477, ns),
			Rule:         "open_from_cat",
			Priority:     "Warning",
			Source:       "syscall",
			Tags:         []string{"testing", "filesystem", "process"},
			Output:       "An open was seen (command=cat /dev/null)",
			OutputFields: map[string]any{"proc.cmdline": "cat /dev/null"},
		})
	}
	return r
}

func TestTextFalcoOutputFile(t *testing.T) {
	want, err := os.ReadFile(testutil.SharedFile(t, "falco-tests", "output_files", "single_rule_with_cat_write.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteText(&got, falcoCatWrite(), Options{}); err != nil {
		t.Fatal(err)
	}
	// The reference file lacks the newline after its last line; Falco
	// itself ends every alert with one.
	if !bytes.Equal(got.Bytes(), append(bytes.TrimSuffix(want, []byte("\n")), '\n')) {
		t.Errorf("text differs from Falco's:\n got: %q\nwant: %q", got.String(), want)
	}
}

func TestTextGolden(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"text_utc.golden", Options{}},
		{"text_tz.golden", Options{TZ: time.FixedZone("UTC-7", -7*3600)}},
		{"text_timeofday.golden", Options{TimeFormat: TimeOfDay}},
		{"text_falco.golden", Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport()
			if tc.name == "text_falco.golden" {
				r = falcoCatWrite()
			}
			var b bytes.Buffer
			if err := WriteText(&b, r, tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
		})
	}
}

func TestTextNamedZone(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		testutil.SkipMissing(t, "no time zone database: %v", err)
	}
	d := Detection{Time: time.Date(2026, 7, 1, 12, 0, 0, 5, time.UTC), Priority: "Notice", Output: "x"}
	got := string(AppendText(nil, &d, Options{TZ: loc}))
	if want := "2026-07-01T14:00:00.000000005+0200: Notice x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "cat /dev/null", "cat /dev/null"},
		{"quotes and backslash", `a "b" \c`, `a \"b\" \\c`},
		{"short escapes", "\b\f\n\r\t", `\b\f\n\r\t`},
		{"other controls", "\x00\x01\x1b[31m\x1f", `\u0000\u0001\u001b[31m\u001f`},
		{"del and html kept", "\x7f<script>&", "\x7f<script>&"},
		{"utf8 kept", "héllo ✓ 𝄞 \u2028", "héllo ✓ 𝄞 \u2028"},
		{"lone continuation", "a\x80b", "a\uFFFDb"},
		{"invalid lead bytes", "\xc0\xc1\xf5\xff", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"truncated 3-byte", "\xe2\x82a", "\uFFFDa"},
		{"truncated 4-byte at end", "x\xf0\x9f\x98", "x\uFFFD"},
		{"surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"overlong 3-byte", "\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
		{"above U+10FFFF", "\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendEscaped(nil, tc.in)); got != tc.want {
				t.Errorf("appendEscaped(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzAppendEscaped checks that any string escapes to a valid JSON string
// body that decodes back to the input (with invalid UTF-8 replaced) and holds
// no raw control character or line break.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "cat /dev/null", "a\"\\\n\x1b", "\xe2\x82a\xff", "<img src=x onerror=alert(1)>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		esc := appendEscaped(nil, s)
		if bytes.ContainsFunc(esc, func(r rune) bool { return r < 0x20 }) {
			t.Fatalf("escaped %q holds a control character: %q", s, esc)
		}
		if !utf8.Valid(esc) {
			t.Fatalf("escaped %q is not valid UTF-8: %q", s, esc)
		}
		var back string
		if err := json.Unmarshal([]byte(`"`+string(esc)+`"`), &back); err != nil {
			t.Fatalf("escaped %q does not parse as JSON: %v", s, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
		if !utf8.ValidString(s) && !strings.Contains(back, "\uFFFD") {
			t.Fatalf("invalid UTF-8 in %q was not replaced: %q", s, back)
		}
	})
}
