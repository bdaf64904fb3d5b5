package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
)

func TestAddOrNameMergesShortAndFullIDs(t *testing.T) {
	full := "f00903864d9857250ebb4d1583ba6b8c19e0130ea98edac2adfb7423bc7030cf"
	tests := []struct {
		name string
		in   []Container
		want []Container
	}{
		{"full id then short id", []Container{
			{ID: full, Runtime: "podman", From: "cgroups"},
			{ID: "f00903864d98", Name: "web", Image: "img", From: "event"},
		}, []Container{{ID: "f00903864d98", Name: "web", Image: "img", Runtime: "podman", From: "event"}}},
		{"event then metadata", []Container{
			{ID: "f00903864d98", Name: "web", Image: "img", From: "event"},
			{ID: full, Name: "web", Image: "img", Runtime: "podman", From: "metadata"},
		}, []Container{{ID: "f00903864d98", Name: "web", Image: "img", From: "event"}}},
		{"non-hex ids stay apart", []Container{
			{ID: "lxc-one", From: "cgroups"}, {ID: "lxc-two", From: "cgroups"},
		}, []Container{{ID: "lxc-one", From: "cgroups"}, {ID: "lxc-two", From: "cgroups"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := &Description{}
			seen := map[string]bool{}
			for _, c := range tc.in {
				addOrName(info, seen, c)
			}
			if diff := cmp.Diff(tc.want, info.Containers); diff != "" {
				t.Errorf("containers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRedactionTextChain describes a copy of a copy: each earlier
// redaction in order, at most maxPreviousShown of them, then a count.
func TestRedactionTextChain(t *testing.T) {
	step := func(tool, source string, prev *capture.Redaction) *capture.Redaction {
		return &capture.Redaction{Tool: tool, Source: source, SourceSHA256: "ab", Buffers: true, Previous: prev}
	}
	tests := []struct {
		name string
		r    *capture.Redaction
		want string
	}{
		{"one step", step("t1", "a.scap", nil), "buffers (0 bytes) by t1, from a.scap sha256 ab"},
		{"copy of a copy", step("t2", "b.scap", step("t1", "a.scap", nil)),
			"buffers (0 bytes) by t2, from b.scap sha256 ab; before that: buffers (0 bytes) by t1, from a.scap sha256 ab"},
		{"long chain", step("t6", "f", step("t5", "e", step("t4", "d", step("t3", "c", step("t2", "b", step("t1", "a", nil)))))),
			"buffers (0 bytes) by t6, from f sha256 ab; before that: buffers (0 bytes) by t5, from e sha256 ab; " +
				"before that: buffers (0 bytes) by t4, from d sha256 ab; before that: buffers (0 bytes) by t3, from c sha256 ab; " +
				"and 2 earlier redactions"},
	}
	for _, tc := range tests {
		if got := redactionText(tc.r); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
