package suggest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClosest(t *testing.T) {
	fields := []string{"proc.name", "proc.pname", "proc.cmdline", "fd.name", "user.loginname", "user.name"}
	for _, tc := range []struct {
		word       string
		candidates []string
		want       []string
	}{
		{"proc.nme", fields, []string{"proc.name", "proc.pname"}},
		{"PROC.NAME", fields, []string{"proc.name", "proc.pname"}},
		{"loginname", fields, []string{"user.loginname"}},
		{"xyz", fields, []string{}},
		{"shel", []string{"shell", "shells", "tree"}, []string{"shell", "shells"}},
		{"connections", []string{"shells", "tree", "connection"}, []string{"connection"}},
		{"a", []string{"b", "ab", "abc"}, []string{"b", "ab"}},
	} {
		t.Run(tc.word, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Closest(tc.word, tc.candidates, 3)); diff != "" {
				t.Errorf("Closest(%q) (-want +got):\n%s", tc.word, diff)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	if got, want := DidYouMean("sheels", []string{"shells", "tree"}), ` (did you mean "shells"?)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := DidYouMean("zzzz", []string{"shells", "tree"}); got != "" {
		t.Errorf("got %q for a word close to nothing", got)
	}
}
