package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	model "github.com/retrace-dev/retrace/capture/container"
)

// A containerd CRI container's spec: CRI annotations, a volume, the
// runtime's own hostname and shm binds, containerd's socket bound in (the
// user's mount, kept), no privilege.
const containerdSpec = `{"ociVersion":"1.0.2","process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"]}},
"mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid"]},
{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","rprivate","ro"]},
{"destination":"/etc/hostname","type":"bind","source":"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/hostname","options":["rbind","rprivate","rw"]},
{"destination":"/dev/shm","type":"bind","source":"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm","options":["rbind","ro"]},
{"destination":"/run/containerd/containerd.sock","type":"bind","source":"/run/containerd/containerd.sock","options":["rbind","rprivate","rw"]}],
"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"web",
"io.kubernetes.cri.sandbox-name":"web-7d9f","io.kubernetes.cri.sandbox-namespace":"shop",
"io.kubernetes.cri.sandbox-uid":"0b6a3c1e-1111-2222-3333-444455556666","io.kubernetes.cri.image-name":"registry.local:5000/shop/web:1.2@sha256:abcd"},
"linux":{"maskedPaths":["/proc/kcore"]}}`

// A containerd sandbox (pause) container's spec, privileged.
const sandboxSpec = `{"process":{"capabilities":{"bounding":["CAP_SYS_ADMIN"]}},
"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-name":"web-7d9f",
"io.kubernetes.cri.sandbox-namespace":"shop","io.kubernetes.cri.podsandbox.image-name":"registry.k8s.io/pause:3.9"},
"linux":{}}`

// A cri-o container's spec.
const crioSpec = `{"process":{"capabilities":{"bounding":["CAP_SYS_ADMIN"]}},
"mounts":[{"destination":"/host","type":"bind","source":"/","options":["rbind","rslave","rw"]},
{"destination":"/etc/resolv.conf","type":"bind","source":"/run/containers/storage/overlay-containers/x/userdata/resolv.conf","options":["bind"]}],
"annotations":{"io.kubernetes.cri-o.ContainerType":"container","io.kubernetes.cri-o.ImageName":"quay.io/crio/redis:alpine",
"io.kubernetes.cri-o.ImageRef":"sha256:7614ae9453d1d87e740a2056257a6de7135c84037c367e1fffa92ae922784631",
"io.kubernetes.cri-o.Created":"2023-12-12T04:10:25.992573978Z","io.kubernetes.cri-o.Metadata":"{\"name\":\"redis\"}",
"io.kubernetes.cri-o.Labels":"{\"io.kubernetes.container.name\":\"redis\",\"io.kubernetes.pod.name\":\"cache-0\",\"io.kubernetes.pod.namespace\":\"db\",\"io.kubernetes.pod.uid\":\"u1\"}"}}`

// podman's bundles share cri-o's layout, without cri-o's annotations.
const podmanSpec = `{"annotations":{"io.container.manager":"libpod"}}`

func TestReadBundle(t *testing.T) {
	id := strings.Repeat("ab", 32)
	type file struct{ path, content string }
	ctrd := func(ns string) string {
		return "containerd/io.containerd.runtime.v2.task/" + ns + "/" + id + "/config.json"
	}
	crio := "storage/overlay-containers/" + id + "/userdata/config.json"
	tests := []struct {
		name   string
		files  []file
		skipNS string
		want   *model.Info // nil: not found
		err    string
	}{
		{"containerd CRI container", []file{{ctrd("k8s.io"), containerdSpec}}, "", &model.Info{
			Type: model.TypeContainerd, Name: "web", Image: "registry.local:5000/shop/web:1.2@sha256:abcd",
			ImageRepo: "registry.local:5000/shop/web", ImageTag: "1.2", ImageDigest: "sha256:abcd", PrivilegedKnown: true,
			Labels: map[string]string{"io.kubernetes.pod.name": "web-7d9f", "io.kubernetes.pod.namespace": "shop",
				"io.kubernetes.pod.uid": "0b6a3c1e-1111-2222-3333-444455556666", "io.kubernetes.container.name": "web"},
			Mounts: []model.Mount{{Source: "/srv/data", Dest: "/data", Propagation: "rprivate"},
				{Source: "/run/containerd/containerd.sock", Dest: "/run/containerd/containerd.sock", RW: true, Propagation: "rprivate"}},
			MountsText: "/srv/data:/data::false:rprivate,/run/containerd/containerd.sock:/run/containerd/containerd.sock::true:rprivate"}, ""},
		{"containerd sandbox", []file{{ctrd("k8s.io"), sandboxSpec}}, "", &model.Info{
			Type: model.TypeContainerd, Name: "web-7d9f", Image: "registry.k8s.io/pause:3.9", ImageRepo: "registry.k8s.io/pause", ImageTag: "3.9",
			IsPodSandbox: true, Privileged: true, PrivilegedKnown: true,
			Labels: map[string]string{"io.kubernetes.pod.name": "web-7d9f", "io.kubernetes.pod.namespace": "shop"}}, ""},
		{"plain ctr container", []file{{ctrd("default"), `{"annotations":{}}`}}, "", &model.Info{Type: model.TypeContainerd, PrivilegedKnown: true}, ""},
		{"docker's namespace skipped", []file{{ctrd("moby"), containerdSpec}}, "moby", nil, ""},
		{"cri-o container", []file{{crio, crioSpec}}, "", &model.Info{
			Type: model.TypeCRIO, Name: "redis", Image: "quay.io/crio/redis:alpine", ImageRepo: "quay.io/crio/redis", ImageTag: "alpine",
			ImageID:     "7614ae9453d1d87e740a2056257a6de7135c84037c367e1fffa92ae922784631",
			CreatedTime: time.Date(2023, 12, 12, 4, 10, 25, 0, time.UTC).Unix(), Privileged: true, PrivilegedKnown: true,
			Labels: map[string]string{"io.kubernetes.container.name": "redis", "io.kubernetes.pod.name": "cache-0",
				"io.kubernetes.pod.namespace": "db", "io.kubernetes.pod.uid": "u1"},
			Mounts: []model.Mount{{Source: "/", Dest: "/host", RW: true, Propagation: "rslave"}}, MountsText: "/:/host::true:rslave"}, ""},
		{"podman bundle is not cri-o's", []file{{crio, podmanSpec}}, "", nil, ""},
		{"nothing", nil, "", nil, ""},
		{"bad JSON", []file{{ctrd("k8s.io"), `{"annotations":`}}, "", &model.Info{}, "parse OCI spec: unexpected end of JSON input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(dir, f.path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rt := Runtimes{ContainerdState: filepath.Join(dir, "containerd"), CRIORunRoot: filepath.Join(dir, "storage")}
			info, ok, err := rt.ReadBundle(id, tc.skipNS)
			if tc.err != "" {
				var be *BundleError
				if !ok || !errors.As(err, &be) || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("ReadBundle = %v, %v; want a *BundleError naming the file and %q", ok, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.want != nil) {
				t.Fatalf("found = %v, want %v", ok, tc.want != nil)
			}
			if !ok {
				return
			}
			if tc.want.Type == model.TypeContainerd {
				info.CreatedTime = 0 // the file's modification time
			}
			tc.want.ID, tc.want.FullID = id[:12], id
			if diff := cmp.Diff(tc.want, info); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInspectBundleFirst checks that a docker-layout match (kubepods'
// cgroupfs path) found in containerd's state is typed containerd, and
// that a containerd match found nowhere reports ErrNoRuntime.
func TestInspectBundleFirst(t *testing.T) {
	id := strings.Repeat("cd", 32)
	dir := t.TempDir()
	p := filepath.Join(dir, "io.containerd.runtime.v2.task", "k8s.io", id, "config.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(containerdSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := Runtimes{ContainerdState: dir, CRIORunRoot: filepath.Join(dir, "none")}
	info, err := rt.Inspect(t.Context(), model.Match{ID: id[:12], FullID: id, Type: model.TypeDocker})
	if err != nil || info.Type != model.TypeContainerd || info.Name != "web" {
		t.Errorf("Inspect = %+v, %v; want the containerd container web", info, err)
	}
	other := strings.Repeat("ef", 32)
	info, err = rt.Inspect(t.Context(), model.Match{ID: other[:12], FullID: other, Type: model.TypeContainerd})
	if !errors.Is(err, ErrNoRuntime) || info.FullID != other || info.Type != model.TypeContainerd {
		t.Errorf("Inspect of an unknown containerd container = %+v, %v; want its id and ErrNoRuntime", info, err)
	}
}

func TestPodmanBundle(t *testing.T) {
	id := strings.Repeat("12", 32)
	tests := []struct {
		name string
		spec string
		want *model.Info
	}{
		{"privileged by annotation", `{"annotations":{"io.container.manager":"libpod","io.podman.annotations.privileged":"TRUE","io.kubernetes.cri-o.Created":"2026-12-04T21:57:05.225852242Z"},
"mounts":[{"source":"/tmp","destination":"/x","type":"bind","options":["ro","rprivate","rbind"]},
{"source":"/run/containers/storage/overlay-containers/x/userdata/hosts","destination":"/etc/hosts","type":"bind","options":["bind"]}]}`,
			&model.Info{Type: model.TypePodman, Privileged: true, PrivilegedKnown: true, CreatedTime: time.Date(2026, 12, 4, 21, 57, 5, 0, time.UTC).Unix(),
				Mounts: []model.Mount{{Source: "/tmp", Dest: "/x", Propagation: "rprivate"}}, MountsText: "/tmp:/x::false:rprivate"}},
		{"not privileged", `{"annotations":{"io.container.manager":"libpod","io.podman.annotations.privileged":"FALSE"}}`,
			&model.Info{Type: model.TypePodman, PrivilegedKnown: true}},
		{"not podman's", `{"annotations":{"io.container.manager":"cri-o"}}`, nil},
		{"bad JSON", `{`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "overlay-containers", id, "userdata", "config.json")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			info, ok := Runtimes{PodmanGraphRoot: dir}.PodmanBundle(id)
			if ok != (tc.want != nil) {
				t.Fatalf("found = %v, want %v", ok, tc.want != nil)
			}
			if !ok {
				return
			}
			tc.want.ID, tc.want.FullID = id[:12], id
			if diff := cmp.Diff(tc.want, info); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseSpec feeds arbitrary config.json contents to the bundle parser
// of both runtimes: it must not panic, and what it accepts must encode as
// a container event that parses back.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{containerdSpec, sandboxSpec, crioSpec, podmanSpec, `{}`, `{"annotations":{"io.kubernetes.cri-o.ContainerType":"x","io.kubernetes.cri-o.Labels":"[1]"}}`} {
		f.Add([]byte(s))
	}
	id := strings.Repeat("ab", 32)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, typ := range []model.Type{model.TypeContainerd, model.TypeCRIO} {
			info, err := Runtimes{}.parseSpec(b, typ, id, time.Unix(1, 0))
			if err != nil || info == nil {
				continue
			}
			back, err := model.ParseJSON(info.AppendJSON(nil))
			if err != nil {
				t.Fatalf("container event of %q does not parse back: %v", b, err)
			}
			if back.FullID != id || back.Type != typ {
				t.Fatalf("container event of %q: id %s type %v, want %s %v", b, back.FullID, back.Type, id, typ)
			}
		}
	})
}
