package container

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture/scap"
)

const fullID = "697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3"

// TestEventRoundTrip writes containers as container JSON events and reads
// them back with the same codec.
func TestEventRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Info
	}{
		{"everything", Info{
			ID: fullID[:12], FullID: fullID, Type: TypePodman, Name: "web",
			Image: "docker.io/library/nginx@sha256:0d17", ImageID: "41cf0a7a611c", ImageRepo: "docker.io/library/nginx", ImageDigest: "sha256:0d17",
			Privileged: true, PrivilegedKnown: true, CreatedTime: 1795000000, IP: "10.88.0.2", IsPodSandbox: true,
			Labels: map[string]string{"app": "shop"},
			Mounts: []Mount{{Source: "/srv", Dest: "/data", Mode: "z", RW: true, Propagation: "rprivate"}, {Source: "/proc", Dest: "/host/proc"}},
		}},
		{"privileged unknown", Info{ID: fullID[:12], FullID: fullID, Type: TypeDocker}},
		{"not privileged", Info{ID: fullID[:12], FullID: fullID, Type: TypeCRIO, PrivilegedKnown: true}},
		{"lxc name", Info{ID: "web01", Type: TypeLXC, Name: "web01"}},
		{"full id only", Info{ID: fullID, Type: TypePodman}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.in
			want.Finish()
			var ev scap.Event
			raw := tc.in.AppendEvent(nil, 1234)
			if err := ev.Decode(raw, false); err != nil {
				t.Fatalf("decode the event: %v", err)
			}
			if ev.Type() != scap.ContainerJsonV2E || ev.Ts() != 1234 || ev.Tid() != -1 {
				t.Errorf("event type %v ts %d tid %d, want container JSON 2 at 1234 on tid -1", ev.Type(), ev.Ts(), ev.Tid())
			}
			got, ok := FromEvent(&ev)
			if !ok {
				t.Fatalf("FromEvent failed on %s", ev.Param(0))
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAppendJSONKeys checks the keys libsinsp reads, for a container with
// a full id only.
func TestAppendJSONKeys(t *testing.T) {
	in := Info{ID: fullID, Type: TypePodman, Name: "web", Image: "localhost/busybox:test", ImageRepo: "localhost/busybox", ImageTag: "test",
		Privileged: false, PrivilegedKnown: true}
	var doc struct {
		Container map[string]any `json:"container"`
	}
	if err := json.Unmarshal(in.AppendJSON(nil), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": fullID[:12], "full_id": fullID, "type": 11.0, "name": "web", "image": "localhost/busybox:test", "imageid": "",
		"imagerepo": "localhost/busybox", "imagetag": "test", "imagedigest": "", "privileged": false,
		"labels": map[string]any{}, "Mounts": []any{},
	}
	if diff := cmp.Diff(want, doc.Container); diff != "" {
		t.Errorf("container JSON (-want +got):\n%s", diff)
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
			name: "docker with mounts, as libsinsp writes it",
			json: `{"container":{"Mounts":[{"Source":"/","Destination":"/host","Mode":"ro","RW":false,"Propagation":"rprivate"}],"User":"","cpu_period":100000,` +
				`"created_time":1600000000,"env":[],"full_id":"9dbcbd0c435fabc","host_ipc":false,"id":"9dbcbd0c435f","image":"nginx:latest","imagedigest":"sha256:96",` +
				`"imageid":"f68d","imagerepo":"nginx","imagetag":"latest","ip":"172.17.0.2","is_pod_sandbox":false,"labels":{"a":"b"},"lookup_state":1,` +
				`"name":"epic_cray","port_mappings":[],"privileged":true,"type":0}}` + "\x00",
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
		{
			name: "full id in id",
			json: `{"container":{"id":"` + fullID + `"}}`,
			want: &Info{ID: fullID[:12], FullID: fullID, Type: TypeDocker},
		},
		{
			name: "image parts are not derived",
			json: `{"container":{"id":"abc","image":"nginx:1.25"}}`,
			want: &Info{ID: "abc", Image: "nginx:1.25", Type: TypeDocker},
		},
		{name: "no container object", json: `{"x":1}`, wantErr: true},
		{name: "null container", json: `{"container":null}`, wantErr: true},
		{name: "no id", json: `{"container":{"name":"x"}}`, wantErr: true},
		{name: "truncated", json: `{"container":{"id":"ab`, wantErr: true},
		{name: "empty", json: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseJSON([]byte(tc.json))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseJSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromEvent(t *testing.T) {
	tests := []struct {
		name string
		ev   []byte
		want *Info
	}{
		{"container event", scap.AppendEvent(nil, 1, -1, scap.ContainerE, scap.EncString(fullID), scap.EncUint32(uint32(TypeCRIO)),
			scap.EncString("web"), scap.EncString("nginx:1.25")),
			&Info{ID: fullID[:12], FullID: fullID, Type: TypeCRIO, Name: "web", Image: "nginx:1.25"}},
		{"container event without id", scap.AppendEvent(nil, 1, -1, scap.ContainerE, scap.EncString(""), scap.EncUint32(0),
			scap.EncString("web"), scap.EncString("nginx:1.25")), nil},
		{"container JSON event", scap.AppendEvent(nil, 1, -1, scap.ContainerJsonE, scap.EncString(`{"container":{"id":"abc","name":"web"}}`)),
			&Info{ID: "abc", Name: "web", Type: TypeDocker}},
		{"bad JSON", scap.AppendEvent(nil, 1, -1, scap.ContainerJsonV2E, scap.EncString(`{"container":`)), nil},
		{"other event", scap.AppendEvent(nil, 1, 5, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(3)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev scap.Event
			if err := ev.Decode(tc.ev, false); err != nil {
				t.Fatal(err)
			}
			got, ok := FromEvent(&ev)
			if ok != (tc.want != nil) {
				t.Fatalf("FromEvent ok = %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FromEvent (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMetadataRoundTrip encodes containers as records of the capture
// metadata and decodes them.
func TestMetadataRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		in       Info
		wantJSON string
		want     Info
	}{
		{"recorder's container",
			Info{ID: fullID[:12], FullID: fullID, Type: TypePodman, Name: "web", Image: "localhost/busybox:test", ImageID: "41cf",
				ImageRepo: "localhost/busybox", ImageTag: "test", Privileged: true, PrivilegedKnown: true, Labels: map[string]string{"a": "b"}},
			`{"id":"` + fullID + `","name":"web","image":"localhost/busybox:test","image_id":"41cf","runtime":"podman","privileged":true,"labels":{"a":"b"}}`,
			Info{ID: fullID, Type: TypePodman, Name: "web", Image: "localhost/busybox:test", ImageID: "41cf", Privileged: true, Labels: map[string]string{"a": "b"}}},
		{"id only",
			Info{ID: "0123456789ab", Type: TypeDocker},
			`{"id":"0123456789ab","runtime":"docker"}`,
			Info{ID: "0123456789ab", Type: TypeDocker}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.wantJSON {
				t.Errorf("json.Marshal = %s, want %s", b, tc.wantJSON)
			}
			var got Info
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetadataOlderRecords(t *testing.T) {
	tests := []struct {
		json string
		want Info
	}{
		{`{"id":"abc"}`, Info{ID: "abc", Type: TypeDocker}},
		{`{"id":"abc","runtime":"crio"}`, Info{ID: "abc", Type: TypeCRIO}},
		{`{"id":"abc","runtime":"who-knows"}`, Info{ID: "abc", Type: TypeDocker}},
		{`{"id":"abc","runtime":"host"}`, Info{ID: "abc", Type: TypeDocker}},
	}
	for _, tc := range tests {
		var got Info
		if err := json.Unmarshal([]byte(tc.json), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.json, diff)
		}
	}
	var got Info
	if err := json.Unmarshal([]byte(`{"id":1}`), &got); err == nil {
		t.Error("a numeric id decoded")
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

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"container":{"id":"abc","Mounts":[{"Source":"/"}]}}`))
	f.Add([]byte(`{"container":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseJSON(b)
		if err != nil {
			return
		}
		if c.ID == "" {
			t.Fatal("accepted a container without id")
		}
		// What ParseJSON accepts, AppendJSON writes back to the same Info.
		again, err := ParseJSON(c.AppendJSON(nil))
		if err != nil {
			t.Fatalf("re-parse %+v: %v", c, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
