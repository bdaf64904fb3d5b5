package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
