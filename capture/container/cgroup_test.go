package container

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchCgroups(t *testing.T) {
	const (
		id      = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"
		libsID  = "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef"
		payload = "9cc35a907a1e4e7ac8c021758b2bb28db60b3a787115f9114a641bf44f8ba99b"
	)
	hexMatch := func(full string, typ Type) Match { return Match{ID: full[:12], FullID: full, Type: typ} }
	nameMatch := func(name string, typ Type) Match { return Match{ID: name, FullID: name, Type: typ} }
	tests := []struct {
		name    string
		cgroups []string // one entry per cgroup, joined with NULs
		want    Match
		ok      bool
	}{
		// libs test/libsinsp_e2e/container/container_cgroup.cpp.
		{"libs: containerd cgroupfs (kubepods)",
			[]string{"cpu=/kubepods/besteffort/podac04f3f2-1f2c-11e9-b015-1ebee232acfa/605439acbd4fb18c145069289094b17f17e0cfa938f78012d4960bc797305f22"},
			hexMatch("605439acbd4fb18c145069289094b17f17e0cfa938f78012d4960bc797305f22", TypeDocker), true},
		{"libs: cri-o cgroupfs",
			[]string{"cpu=/kubepods/besteffort/pod63b3ebfc-2890-11e9-8154-16bf8ef8d9dc/crio-73bfe475650de66df8e2affdc98d440dcbe84f8df83b6f75a68a82eb7026136a"},
			hexMatch("73bfe475650de66df8e2affdc98d440dcbe84f8df83b6f75a68a82eb7026136a", TypeCRIO), true},
		{"libs: cri-o systemd",
			[]string{"cpu=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod63b3ebfc_2890_11e9_8154_16bf8ef8d9dc.slice/crio-17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f.scope"},
			hexMatch("17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f", TypeCRIO), true},
		{"libs: docker cgroupfs",
			[]string{"cpu=/docker/7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8"},
			hexMatch("7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8", TypeDocker), true},
		{"libs: docker systemd",
			[]string{"cpu=/docker.slice/docker-7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8.scope"},
			hexMatch("7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8", TypeDocker), true},
		{"libs: containerd without SystemdCgroup",
			[]string{"cpu=/kubepods-burstable-podbd12dd3393227d950605a2444b13c27a.slice:cri-containerd:d52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366"},
			hexMatch("d52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366", TypeContainerd), true},

		// falcosecurity/plugins container plugin test/matchers.cpp.
		{"plugin: root libpod no scope", []string{"cpu=/system.slice/libpod-" + libsID}, hexMatch(libsID, TypePodman), true},
		{"plugin: root libpod scope", []string{"cpu=/system.slice/libpod-" + libsID + ".scope"}, hexMatch(libsID, TypePodman), true},
		{"plugin: libpod cgroup mode split",
			[]string{"cpu=/system.slice/system-ceph-f952f5be-565c-11f0-ab72-0affea283157.slice/ceph-f952f5be-565c-11f0-ab72-0affea283157@mon.ip-10-0-25-96.service/libpod-payload-" + payload},
			hexMatch(payload, TypePodman), true},
		{"plugin: libpod cgroup mode split scope",
			[]string{"cpu=/system.slice/system-ceph-f952f5be-565c-11f0-ab72-0affea283157.slice/ceph-f952f5be-565c-11f0-ab72-0affea283157@mon.ip-10-0-25-96.service/libpod-payload-" + payload + ".scope"},
			hexMatch(payload, TypePodman), true},
		{"plugin: rootless user slice libpod", []string{"cpu=/user.slice/user-1000.slice/user@1000.service/libpod-" + libsID}, hexMatch(libsID, TypePodman), true},
		{"plugin: nerdctl systemd scope", []string{"cpu=/system.slice/nerdctl-" + libsID + ".scope"}, hexMatch(libsID, TypeContainerd), true},
		{"plugin: root only", []string{"cpu=/"}, Match{}, false},
		{"plugin: id too long", []string{"cpu=/user.slice/user-1000.slice/user@1000.service/libpod-" + libsID + libsID}, Match{}, false},
		{"plugin: invalid id character", []string{"cpu=/user.slice/user-1000.slice/user@1000.service/libpod-" + libsID + "g"}, Match{}, false},
		{"plugin: user service init scope", []string{"cpu=/user.slice/user-1000.slice/user@1000.service/init.scope"}, Match{}, false},
		{"plugin: containerd default short id", []string{"cpu=/default/abcdef123456"}, Match{ID: "abcdef123456", FullID: "abcdef123456", Type: TypeDocker}, true},
		{"plugin: containerd default name", []string{"cpu=/default/test_container"}, Match{ID: "test_contain", FullID: "test_container", Type: TypeDocker}, true},
		{"plugin: containerd default one character", []string{"cpu=/default/a"}, Match{ID: "a", FullID: "a", Type: TypeDocker}, true},
		{"plugin: default service unit", []string{"cpu=/default/some_short_id.service"}, Match{}, false},
		{"plugin: default slice unit", []string{"cpu=/default/some_short_id.slice"}, Match{}, false},
		{"plugin: default scope unit", []string{"cpu=/default/some_short_id.scope"}, Match{}, false},
		// The container plugin (current Falco) takes a short id under any
		// "/<namespace>/", not only containerd's /default/; libsinsp's own
		// matcher did not, and neither does retrace: the wider rule makes
		// containers of host cgroups such as /process_api/<32 hex> (this
		// project's CI sandbox) or /machine.slice/machine-qemu....scope/x.
		{"plugin only: other containerd namespace", []string{"cpu=/k8s.io/my-test_container"}, Match{}, false},
		{"plugin only: dotted namespace", []string{"cpu=/my.namespace/container.name"}, Match{}, false},
		{"plugin: default, unit name not at the end", []string{"cpu=/default/service.container"}, Match{ID: "service.cont", FullID: "service.container", Type: TypeDocker}, true},

		// The cases record/container and replay/container disagreed on.
		{"kubepods cgroupfs", []string{"cpu=/kubepods/besteffort/pod1234/" + id}, hexMatch(id, TypeDocker), true},
		{"kubepods burstable nested", []string{"memory=/kubepods/burstable/pod5f9c/" + id}, hexMatch(id, TypeDocker), true},
		{"lxc name", []string{"cpu=/lxc/web"}, nameMatch("web", TypeLXC), true},
		{"containerd default namespace", []string{"cpu=/default/" + id}, hexMatch(id, TypeDocker), true},
		{"podman systemd below container", []string{"0::/machine.slice/libpod-" + id + ".scope/container/sub"}, hexMatch(id, TypePodman), true},

		// Every layout.
		{"podman cgroupfs (libpod_parent)", []string{"cpuset=/", "pids=/libpod_parent/libpod-" + id}, hexMatch(id, TypePodman), true},
		{"podman systemd", []string{"0::/machine.slice/libpod-" + id + ".scope/container"}, hexMatch(id, TypePodman), true},
		{"podman systemd scope", []string{"cpu=/machine.slice/libpod-" + id + ".scope"}, hexMatch(id, TypePodman), true},
		{"podman rootless user slice", []string{"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope/container"}, hexMatch(id, TypePodman), true},
		{"podman rootless cgroupfs", []string{"cpu=/user.slice/user-1000.slice/user@1000.service/podman-4242.scope/" + id}, hexMatch(id, TypePodman), true},
		{"podman rootless service", []string{"cpu=/user.slice/user-1000.slice/user@1000.service/web.service/" + id}, hexMatch(id, TypePodman), true},
		{"podman conmon is the host", []string{"cpu=/machine.slice/libpod-conmon-" + id + ".scope"}, Match{}, false},
		{"docker cgroup v2 line", []string{"0::/system.slice/docker-" + id + ".scope"}, hexMatch(id, TypeDocker), true},
		{"docker in docker: the innermost", []string{"cpu=/docker/" + strings.Repeat("a", 64) + "/docker/" + id}, hexMatch(id, TypeDocker), true},
		{"cri-dockerd under kubepods", []string{"cpu=/kubepods.slice/kubepods-pod1.slice/docker-" + id + ".scope"}, hexMatch(id, TypeDocker), true},
		{"containerd systemd", []string{"cpu=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-" + id + ".scope"}, hexMatch(id, TypeContainerd), true},
		{"cri-o cgroupfs under kubepods", []string{"cpu=/kubepods/besteffort/pod1/crio-" + id}, hexMatch(id, TypeCRIO), true},
		{"lxc payload", []string{"0::/lxc.payload/web01/init.scope"}, nameMatch("web01", TypeLXC), true},
		{"lxc 4 payload", []string{"0::/lxc.payload.web02/init.scope"}, nameMatch("web02", TypeLXC), true},
		{"lxc monitor is the host", []string{"0::/lxc.monitor.web02"}, Match{}, false},
		{"libvirt lxc cgroupfs", []string{"cpu=/machine/vm1.libvirt-lxc"}, nameMatch("vm1", TypeLibvirtLXC), true},
		{"libvirt lxc systemd", []string{`cpu=/machine.slice/machine-lxc\x2d2293906\x2dlibvirt\x2dcontainer.scope`}, nameMatch(`2293906\x2dlibvirt\x2dcontainer`, TypeLibvirtLXC), true},
		{"libvirt lxc systemd libvirt", []string{`cpu=/machine.slice/machine-lxc\x2d2293906\x2dlibvirt\x2dcontainer.scope/libvirt`}, nameMatch(`2293906\x2dlibvirt\x2dcontainer`, TypeLibvirtLXC), true},
		// libsinsp's lxc engine comes before libvirt-lxc's and takes its
		// legacy layout.
		{"libvirt lxc legacy is lxc's", []string{"cpu=/libvirt/lxc/vm1"}, nameMatch("vm1", TypeLXC), true},
		{"bpm", []string{"cpu=/system.slice/bpm-web.job-0.scope"}, nameMatch("web.job-0", TypeBPM), true},
		{"bpm, bad character", []string{"cpu=/bpm-web job"}, Match{}, false},

		// Which entry and which engine win.
		{"the earlier engine wins over the earlier entry", []string{"cpu=/lxc/web", "memory=/docker/" + id}, hexMatch(id, TypeDocker), true},
		{"proc cgroup lines", []string{"12:pids:/", "4:memory:/libpod_parent/libpod-" + id}, hexMatch(id, TypePodman), true},
		{"upper-case hex keeps its case", []string{"cpu=/docker/" + strings.ToUpper(id)}, hexMatch(strings.ToUpper(id), TypeDocker), true},

		// Hosts.
		{"host user session", []string{"cpuset=/", "memory=/user.slice/user-0.slice/session-1.scope"}, Match{}, false},
		{"host service", []string{"cpu=/system.slice/ssh.service"}, Match{}, false},
		{"host 32-hex cgroup", []string{"memory=/process_api/ee08fb00bd7fcfbe2a975eeea77ad1be"}, Match{}, false},
		{"short hex is no id", []string{"cpu=/docker/085a22bca2be"}, Match{}, false},
		{"no path", []string{"garbage"}, Match{}, false},
		{"empty", nil, Match{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cg []byte
			for _, e := range tc.cgroups {
				cg = append(append(cg, e...), 0)
			}
			got, ok := MatchCgroups(cg)
			if ok != tc.ok {
				t.Fatalf("MatchCgroups(%q) ok = %v, want %v (match %+v)", tc.cgroups, ok, tc.ok, got)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MatchCgroups(%q) (-want +got):\n%s", tc.cgroups, diff)
			}
			id, typ, ok := IDFromCgroups(cg)
			wantTyp := tc.want.Type
			if !tc.ok {
				wantTyp = TypeHost
			}
			if id != tc.want.ID || typ != wantTyp || ok != tc.ok {
				t.Errorf("IDFromCgroups = %q, %v, %v; want %q, %v, %v", id, typ, ok, tc.want.ID, wantTyp, tc.ok)
			}
		})
	}
}

// TestMatchCgroupsKeepsNoReference checks that a match survives the
// caller reusing its buffer (MatchCgroups reads it through an unsafe view).
func TestMatchCgroupsKeepsNoReference(t *testing.T) {
	const id = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"
	buf := []byte("cpu=/docker/" + id + "\x00")
	m, ok := MatchCgroups(buf)
	if !ok {
		t.Fatal("no match")
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if m.ID != id[:12] || m.FullID != id {
		t.Errorf("match changed with the buffer: %+v", m)
	}
}

func TestShortID(t *testing.T) {
	const full = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"
	tests := []struct{ id, want string }{
		{full, full[:12]},
		{full[:12], full[:12]},
		{full[:63], full[:63]},
		{"web01", "web01"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := ShortID(tc.id); got != tc.want {
			t.Errorf("ShortID(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestTypeNames(t *testing.T) {
	for typ := TypeDocker; typ <= TypePodman; typ++ {
		got, ok := ParseType(typ.String())
		if !ok || got != typ {
			t.Errorf("ParseType(%q) = %v, %v; want %v", typ.String(), got, ok, typ)
		}
	}
	if got, ok := ParseType("host"); !ok || got != TypeHost {
		t.Errorf("ParseType(host) = %v, %v", got, ok)
	}
	if got, ok := ParseType("crio"); !ok || got != TypeCRIO {
		t.Errorf("ParseType(crio) = %v, %v", got, ok)
	}
	if _, ok := ParseType("nope"); ok {
		t.Error("ParseType(nope) succeeded")
	}
	if s := Type(200).String(); s != "unknown" {
		t.Errorf("Type(200) = %q", s)
	}
}

func FuzzMatchCgroups(f *testing.F) {
	f.Add([]byte("cpu=/docker/697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3\x00"))
	f.Add([]byte("0::/lxc.payload.x\x00"))
	f.Add([]byte("cpu=/default/ab\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := MatchCgroups(b)
		if ok != (m.ID != "") || !ok && m != (Match{}) {
			t.Fatalf("inconsistent result %+v %v", m, ok)
		}
		// Ids are at most 64 hex digits; lxc, libvirt-lxc and bpm name
		// their containers, and a name has no such bound.
		named := m.Type == TypeLXC || m.Type == TypeLibvirtLXC || m.Type == TypeBPM
		if ok && (m.Type == TypeHost || !strings.HasPrefix(m.FullID, m.ID) || len(m.ID) > 64 && !named) {
			t.Fatalf("bad match %+v", m)
		}
	})
}
