package container

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hexID = "085a22bca2bea664d46930c1734be2569a1ba8afff8723cc094fe7ed966f0575"

func TestFromCgroups(t *testing.T) {
	tests := []struct {
		name    string
		cgroups []string
		want    Match
		ok      bool
	}{
		{"podman cgroupfs", []string{"cpuset=/", "pids=/libpod_parent/libpod-" + hexID}, Match{hexID, "podman"}, true},
		{"podman systemd", []string{"0::/machine.slice/libpod-" + hexID + ".scope/container"}, Match{hexID, "podman"}, true},
		{"podman systemd scope", []string{"cpu=/machine.slice/libpod-" + hexID + ".scope"}, Match{hexID, "podman"}, true},
		{"docker cgroupfs", []string{"memory=/docker/" + hexID}, Match{hexID, "docker"}, true},
		{"docker systemd", []string{"cpu=/system.slice/docker-" + hexID + ".scope"}, Match{hexID, "docker"}, true},
		{"containerd k8s", []string{"cpu=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-" + hexID + ".scope"}, Match{hexID, "containerd"}, true},
		{"cri-o", []string{"cpu=/kubepods/besteffort/pod1/crio-" + hexID}, Match{hexID, "cri-o"}, true},
		{"host", []string{"cpuset=/", "memory=/user.slice/user-0.slice/session-1.scope"}, Match{}, false},
		{"short id is not a container", []string{"cpu=/docker/085a22bca2be"}, Match{}, false},
		{"empty", nil, Match{}, false},
		{"upper-case hex", []string{"cpu=/docker/" + strings.ToUpper(hexID)}, Match{hexID, "docker"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FromCgroups(tc.cgroups)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("match (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShortID(t *testing.T) {
	if got := (Match{ID: hexID}).ShortID(); got != hexID[:12] {
		t.Errorf("ShortID = %q", got)
	}
}

func FuzzFromCgroups(f *testing.F) {
	f.Add("pids=/libpod_parent/libpod-" + hexID)
	f.Add("cpu=/system.slice/docker-" + hexID + ".scope")
	f.Add("0::/")
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := FromCgroups(strings.Split(s, "\x00"))
		if ok && (len(m.ID) != 64 || m.Runtime == "") {
			t.Fatalf("bad match %+v from %q", m, s)
		}
	})
}
