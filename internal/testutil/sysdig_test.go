package testutil

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitSysdigArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		names []string
		want  []string
	}{
		{"all", "fd=3(<f>/etc/passwd) size=10", []string{"fd", "size"}, []string{"3(<f>/etc/passwd)", "10"}},
		{"value with blanks and =", "data=a b=c res=0", []string{"data", "res"}, []string{"a b=c", "0"}},
		{"empty value", "name= flags=0", []string{"name", "flags"}, []string{"", "0"}},
		{"missing first", "size=10", []string{"fd", "size"}, nil},
		{"fewer printed", "fd=3", []string{"fd", "size"}, []string{"3"}},
		{"no args", "", []string{"fd"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SplitSysdigArgs(tc.args, tc.names)); diff != "" {
				t.Errorf("SplitSysdigArgs(%q, %q) (-want +got):\n%s", tc.args, tc.names, diff)
			}
		})
	}
}

// TestSysdigEvents checks that records line up with sysdig's events where
// a value holds a newline (the container event of falco_psp_privileged.scap
// prints over two lines).
func TestSysdigEvents(t *testing.T) {
	path := SharedFile(t, "captures", "falco_psp_privileged.scap")
	rows := SysdigEvents(t, path, []string{"evt.num", "evt.args"})
	var nums []string
	multiline := 0
	for _, r := range rows {
		nums = append(nums, r[0])
		if strings.Contains(r[1], "\n") {
			multiline++
		}
	}
	if diff := cmp.Diff(SysdigLines(t, path, "-p", "%evt.num"), nums); diff != "" {
		t.Errorf("event numbers (-lines +records):\n%s", diff)
	}
	if multiline == 0 {
		t.Error("no value with a newline: the capture no longer tests records")
	}
}
