package container

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const inspectOut = `[{"Id":"` + hexID + `","Name":"web","Image":"ae16ac475d8d","ImageName":"localhost/retrace-busybox:test","Created":"2026-11-22T20:46:58.114636217Z",
 "Config":{"Image":"ignored","Labels":{"app":"x"}},"HostConfig":{"Privileged":true},
 "Mounts":[{"Source":"/srv","Destination":"/data","Mode":"","RW":true,"Propagation":"rprivate"}]}]`

func TestParseInspect(t *testing.T) {
	got, err := parseInspect([]byte(inspectOut), Info{ID: hexID, Runtime: "podman"})
	if err != nil {
		t.Fatal(err)
	}
	want := Info{
		ID: hexID, Runtime: "podman", Name: "web", Image: "localhost/retrace-busybox:test", ImageID: "ae16ac475d8d",
		Privileged: true, Labels: map[string]string{"app": "x"}, Created: time.Date(2026, 11, 22, 20, 46, 58, 114636217, time.UTC),
		Mounts: []Mount{{Source: "/srv", Destination: "/data", RW: true, Propagation: "rprivate"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
}

func TestParseInspectErrors(t *testing.T) {
	for _, in := range []string{"", "[]", "{", `{"Id":1}`} {
		if _, err := parseInspect([]byte(in), Info{ID: hexID}); err == nil {
			t.Errorf("parseInspect(%q) succeeded", in)
		}
	}
}

func TestInfoJSON(t *testing.T) {
	info := Info{ID: hexID, Runtime: "podman", Name: "web", Image: "localhost/retrace-busybox:test", ImageID: "ae16", Privileged: true, Created: time.Unix(1795000000, 5)}
	var v struct {
		Container struct {
			ID, FullID, Name, Image, ImageRepo, ImageTag string
			Type                                         int
			Privileged                                   bool
			CreatedTime                                  int64 `json:"created_time"`
		} `json:"container"`
	}
	b := info.JSON()
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	c := v.Container
	if c.ID != hexID[:12] || c.Name != "web" || c.Type != typePodman || !c.Privileged || c.ImageTag != "test" || c.ImageRepo != "localhost/retrace-busybox" || c.CreatedTime != 1795000000 {
		t.Errorf("container JSON %s decodes to %+v", b, c)
	}
}

func FuzzParseInspect(f *testing.F) {
	f.Add([]byte(inspectOut))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseInspect(b, Info{ID: hexID})
		if err == nil && info.ID != hexID {
			t.Fatalf("id changed to %q", info.ID)
		}
		_ = info.JSON()
	})
}
