package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIDFromCgroups(t *testing.T) {
	const id = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"
	tests := []struct {
		name    string
		cgroups string
		wantID  string
		wantTyp Type
	}{
		{"docker", "cpuset=/docker/" + id + "\x00cpu=/docker/" + id + "\x00", id[:12], TypeDocker},
		{"docker systemd", "0::/system.slice/docker-" + id + ".scope\x00", id[:12], TypeDocker},
		{"cri-o", "cpu=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-" + id + ".scope\x00", id[:12], TypeCRIO},
		{"containerd systemd", "cpu=/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope\x00", id[:12], TypeContainerd},
		{"kubepods cgroupfs", "cpu=/kubepods/besteffort/pod1234/" + id + "\x00", id[:12], TypeCRI},
		{"podman", "0::/machine.slice/libpod-" + id + ".scope/container\x00", id[:12], TypePodman},
		{"podman libpod_parent", "cpu=/libpod_parent/libpod-" + id + "\x00", id[:12], TypePodman},
		{"podman rootless", "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope\x00", id[:12], TypePodman},
		{"containerd default namespace", "cpu=/default/" + id + "\x00", id[:12], TypeContainerd},
		{"lxc", "cpu=/lxc/web01\x00", "web01", TypeLXC},
		{"lxc payload", "0::/lxc.payload.web02/init.scope\x00", "web02", TypeLXC},
		{"libvirt lxc", "cpu=/libvirt/lxc/vm1\x00", "vm1", TypeLibvirtLXC},
		{"host user slice", "cpu=/user.slice/user-1000.slice/session-1.scope\x00", "", TypeHost},
		{"host root", "cpuset=/\x00cpu=/\x00", "", TypeHost},
		{"short hex is not an id", "cpu=/docker/abcdef\x00", "", TypeHost},
		{"no separator", "garbage", "", TypeHost},
		{"empty", "", "", TypeHost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, typ, ok := IDFromCgroups([]byte(tc.cgroups))
			if id != tc.wantID || typ != tc.wantTyp || ok != (tc.wantID != "") {
				t.Errorf("IDFromCgroups = %q, %v, %v; want %q, %v", id, typ, ok, tc.wantID, tc.wantTyp)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    *Info
		wantErr bool
	}{
		{
			name: "docker with mounts",
			json: `{"container":{"id":"9dbcbd0c435f","full_id":"9dbcbd0c435fabc","name":"epic_cray","image":"nginx:latest","imageid":"f68d",` +
				`"imagerepo":"nginx","imagetag":"latest","imagedigest":"sha256:96","privileged":true,"type":0,"created_time":1600000000,` +
				`"ip":"172.17.0.2","labels":{"a":"b"},"Mounts":[{"Source":"/","Destination":"/host","Mode":"ro","RW":false,"Propagation":"rprivate"}]}}` + "\x00",
			want: &Info{ID: "9dbcbd0c435f", FullID: "9dbcbd0c435fabc", Name: "epic_cray", Image: "nginx:latest", ImageID: "f68d",
				ImageRepo: "nginx", ImageTag: "latest", ImageDigest: "sha256:96", Privileged: true, PrivilegedKnown: true,
				Type: TypeDocker, CreatedTime: 1600000000, IP: "172.17.0.2", Labels: map[string]string{"a": "b"},
				Mounts:     []Mount{{Source: "/", Dest: "/host", Mode: "ro", Propagation: "rprivate"}},
				MountsText: "/:/host:ro:false:rprivate"},
		},
		{
			name: "podman without privileged",
			json: `{"container":{"id":"abc","type":11}}`,
			want: &Info{ID: "abc", Type: TypePodman},
		},
		{name: "no container object", json: `{"x":1}`, wantErr: true},
		{name: "no id", json: `{"container":{"name":"x"}}`, wantErr: true},
		{name: "truncated", json: `{"container":{"id":"ab`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseJSON([]byte(tc.json))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseJSON (-want +got):\n%s", d)
			}
		})
	}
}

func TestMountLookup(t *testing.T) {
	c := &Info{Mounts: []Mount{{Source: "/proc", Dest: "/host/proc"}, {Source: "/var/run/docker.sock", Dest: "/var/run/docker.sock", RW: true}}}
	if m, ok := c.MountBySource("/proc*"); !ok || m.Dest != "/host/proc" {
		t.Errorf("MountBySource(/proc*) = %v, %v", m, ok)
	}
	if _, ok := c.MountBySource("/etc"); ok {
		t.Error("MountBySource(/etc) found a mount")
	}
	if m, ok := c.MountByDest("/var/run/*.sock"); !ok || m.Source != "/var/run/docker.sock" {
		t.Errorf("MountByDest = %v, %v", m, ok)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"/proc*", "/proc", true},
		{"/proc*", "/proc/sys", true},
		{"/root*", "/home", false},
		{"/etc", "/etc", true},
		{"/etc", "/etc/x", false},
		{"/a?c", "/abc", true},
		{"/[a-c]x", "/bx", true},
		{"/[!a-c]x", "/bx", false},
		{"/[^a-c]x", "/dx", true},
		{"*.sock", "/var/run/docker.sock", true},
		{`\*`, "*", true},
		{"[", "[", true},
		{"", "", true},
		{"", "a", false},
	}
	for _, tc := range tests {
		if got := Glob(tc.pattern, tc.name); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"container":{"id":"abc","Mounts":[{"Source":"/"}]}}`))
	f.Add([]byte(`{"container":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseJSON(b)
		if err == nil && c.ID == "" {
			t.Fatal("accepted a container without id")
		}
	})
}

func FuzzIDFromCgroups(f *testing.F) {
	f.Add([]byte("cpu=/docker/697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3\x00"))
	f.Add([]byte("0::/lxc.payload.x\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, typ, ok := IDFromCgroups(b)
		if ok != (id != "") || !ok && typ != TypeHost {
			t.Fatalf("inconsistent result %q %v %v", id, typ, ok)
		}
	})
}

func TestStoreFullAndShortIDs(t *testing.T) {
	const full = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"
	tests := []struct {
		name   string
		put    *Info
		lookup []string
		wantID string
		wantFu string
	}{
		{"put full, find by both", &Info{ID: full, Name: "web"}, []string{full, full[:12]}, full[:12], full},
		{"put short with full_id, find by both", &Info{ID: full[:12], FullID: full, Name: "web"}, []string{full, full[:12]}, full[:12], full},
		{"lxc name is kept", &Info{ID: "web01", Type: TypeLXC}, []string{"web01"}, "web01", ""},
		{"63 hex digits are not shortened", &Info{ID: full[:63]}, []string{full[:63]}, full[:63], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore()
			s.Put(tc.put)
			for _, id := range tc.lookup {
				c, ok := s.Get(id)
				if !ok {
					t.Fatalf("Get(%q) found nothing", id)
				}
				if c.ID != tc.wantID || c.FullID != tc.wantFu {
					t.Errorf("Get(%q) = id %q full %q, want %q %q", id, c.ID, c.FullID, tc.wantID, tc.wantFu)
				}
			}
			if c := s.Ensure(tc.lookup[0], TypeDocker); c != tc.put {
				t.Errorf("Ensure(%q) created a second entry", tc.lookup[0])
			}
			if s.Len() != 1 {
				t.Errorf("Len = %d, want 1", s.Len())
			}
		})
	}
}
