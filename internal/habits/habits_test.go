package habits

import (
	"regexp"
	"strings"
	"testing"
)

func TestUnknownFlagName(t *testing.T) {
	for _, tc := range []struct {
		msg, want string
		ok        bool
	}{
		{"unknown flag: --contaner", "contaner", true},
		{"unknown flag: --json=true", "json", true},
		{"unknown shorthand flag: 'w' in -w", "w", true},
		{"unknown shorthand flag: 'j' in -jq", "j", true},
		{"flag needs an argument: --out", "", false},
	} {
		got, ok := UnknownFlagName(tc.msg)
		if got != tc.want || ok != tc.ok {
			t.Errorf("UnknownFlagName(%q) = %q, %v; want %q, %v", tc.msg, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLooksLikeFilter(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want bool
	}{
		{"evt.type=execve", true},
		{"proc.name contains sh", true},
		{"(fd.num>2)", true},
		{"not fd.name exists", true},
		{"capture.scap.zst", false},
		{"hosts/web-1/trace.scap", false},
		{"evt", false},
	} {
		if got := LooksLikeFilter(tc.arg); got != tc.want {
			t.Errorf("LooksLikeFilter(%q) = %v, want %v", tc.arg, got, tc.want)
		}
	}
}

func TestFormatAsPriority(t *testing.T) {
	if got := FormatAsPriority("warning"); got != "" {
		t.Errorf("a priority got a hint: %q", got)
	}
	if got := FormatAsPriority("%proc.cmdline"); !strings.Contains(got, "--format") || !strings.Contains(got, "retrace events") {
		t.Errorf("a format's hint does not name --format and retrace events: %q", got)
	}
}

func TestForeignFlag(t *testing.T) {
	for _, name := range []string{"w", "j", "c", "M", "s"} {
		if hint, ok := ForeignFlag(name); !ok || !strings.Contains(hint, "retrace") && !strings.Contains(hint, "--") {
			t.Errorf("-%s: hint %q, %v; want one naming retrace's equivalent", name, hint, ok)
		}
	}
	if _, ok := ForeignFlag("contaner"); ok {
		t.Error("a typo got a foreign-flag hint")
	}
}

func TestHelp(t *testing.T) {
	all := Help("")
	commands := map[string]bool{}
	for _, e := range Equivalents {
		commands[e.Command] = true
		if !strings.Contains(all, e.Theirs) {
			t.Errorf("the top-level section lacks %q", e.Theirs)
		}
	}
	for c := range commands {
		h := Help(c)
		if !strings.HasPrefix(h, "\n\nFalco and sysdig equivalents:\n") {
			t.Errorf("Help(%q) = %q", c, h)
		}
		for _, e := range Equivalents {
			line := regexp.MustCompile(`\n  ` + regexp.QuoteMeta(e.Theirs) + ` +` + regexp.QuoteMeta(e.Ours) + `\n`)
			if got := line.MatchString(h); got != (e.Command == c) {
				t.Errorf("Help(%q) lists %q: %v", c, e.Theirs, got)
			}
		}
	}
	if got := Help("keygen"); got != "" {
		t.Errorf("Help(keygen) = %q, want none", got)
	}
}
