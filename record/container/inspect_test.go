package container

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	model "github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/internal/testutil"
)

const hexID = "085a22bca2bea664d46930c1734be2569a1ba8afff8723cc094fe7ed966f0575"

func TestParseInspect(t *testing.T) {
	const digest = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
	tests := []struct {
		name string
		out  string
		want model.Info
	}{
		{
			name: "podman, local image",
			out: `[{"Id":"` + hexID + `","Name":"web","Image":"ae16ac475d8d","ImageName":"localhost/retrace-busybox:test",
				"ImageDigest":"sha256:71a6","Created":"2026-11-22T20:46:58.114636217Z",
				"Config":{"Image":"ignored","Labels":{"app":"x"}},"HostConfig":{"Privileged":true},
				"Mounts":[{"Source":"/srv","Destination":"/data","Mode":"","RW":true,"Propagation":"rprivate"}]}]`,
			want: model.Info{ID: hexID[:12], FullID: hexID, Type: model.TypePodman, Name: "web",
				Image: "localhost/retrace-busybox:test", ImageID: "ae16ac475d8d", ImageRepo: "localhost/retrace-busybox", ImageTag: "test", ImageDigest: "sha256:71a6",
				Privileged: true, PrivilegedKnown: true, Labels: map[string]string{"app": "x"}, CreatedTime: 1795380418,
				Mounts: []model.Mount{{Source: "/srv", Dest: "/data", RW: true, Propagation: "rprivate"}}, MountsText: "/srv:/data::true:rprivate"},
		},
		{
			// The case: the reference's digest is no tag.
			name: "podman, image pinned by digest",
			out:  `[{"Id":"` + hexID + `","Name":"pinned","Image":"605c77e624dd","ImageName":"docker.io/library/nginx@` + digest + `","ImageDigest":"` + digest + `"}]`,
			want: model.Info{ID: hexID[:12], FullID: hexID, Type: model.TypePodman, Name: "pinned",
				Image: "docker.io/library/nginx@" + digest, ImageID: "605c77e624dd", ImageRepo: "docker.io/library/nginx", ImageDigest: digest,
				PrivilegedKnown: true},
		},
		{
			name: "docker-shaped: name with a slash, image id with its algorithm, reference from Config",
			out:  `[{"Id":"` + hexID + `","Name":"/web","Image":"sha256:ae16ac475d8d","Config":{"Image":"registry:5000/shop/web:2.1@sha256:aa"}}]`,
			want: model.Info{ID: hexID[:12], FullID: hexID, Type: model.TypePodman, Name: "web",
				Image: "registry:5000/shop/web:2.1@sha256:aa", ImageID: "ae16ac475d8d", ImageRepo: "registry:5000/shop/web", ImageTag: "2.1", ImageDigest: "sha256:aa",
				PrivilegedKnown: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := &model.Info{ID: hexID[:12], FullID: hexID, Type: model.TypePodman}
			if err := parseInspect([]byte(tc.out), got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseInspectErrors(t *testing.T) {
	for _, in := range []string{"", "[]", "{", `{"Id":1}`, `[{"Name":5}]`} {
		if err := parseInspect([]byte(in), &model.Info{ID: hexID}); err == nil {
			t.Errorf("parseInspect(%q) succeeded", in)
		}
	}
}

func TestInspectError(t *testing.T) {
	tests := []struct {
		name     string
		err      *InspectError
		text     string
		notFound bool
	}{
		{"podman, gone", &InspectError{Runtime: "podman", ID: hexID, Stderr: "Error: inspecting object: no such container " + hexID, Err: errors.New("exit status 125")},
			"podman inspect 085a22bca2be: exit status 125: Error: inspecting object: no such container " + hexID, true},
		{"docker, gone", &InspectError{Runtime: "docker", ID: hexID, Stderr: "Error: No such object: " + hexID, Err: errors.New("exit status 1")},
			"docker inspect 085a22bca2be: exit status 1: Error: No such object: " + hexID, true},
		{"timeout, no stderr", &InspectError{Runtime: "podman", ID: hexID, Err: errors.New("signal: killed")},
			"podman inspect 085a22bca2be: signal: killed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.text {
				t.Errorf("Error() = %q, want %q", got, tc.text)
			}
			if got := tc.err.NotFound(); got != tc.notFound {
				t.Errorf("NotFound() = %v, want %v", got, tc.notFound)
			}
			if !errors.Is(tc.err, tc.err.Err) {
				t.Error("errors.Is does not reach the cause")
			}
		})
	}
}

func TestInspectWithoutRuntime(t *testing.T) {
	for _, typ := range []model.Type{model.TypeLXC, model.TypeCRIO, model.TypeContainerd} {
		m := model.Match{ID: "web", FullID: "web", Type: typ}
		info, err := Inspect(t.Context(), m)
		if !errors.Is(err, ErrNoRuntime) {
			t.Errorf("Inspect(%v) error = %v, want ErrNoRuntime", typ, err)
		}
		if diff := cmp.Diff(&model.Info{ID: "web", FullID: "web", Type: typ}, info); diff != "" {
			t.Errorf("Inspect(%v) info (-want +got):\n%s", typ, diff)
		}
	}
}

// TestInspectMissingContainer asks the real podman about a container that
// does not exist: the error carries podman's stderr.
func TestInspectMissingContainer(t *testing.T) {
	testutil.NeedTool(t, "podman")
	_, err := Inspect(t.Context(), model.Match{ID: hexID[:12], FullID: hexID, Type: model.TypePodman})
	var ie *InspectError
	if !errors.As(err, &ie) {
		t.Fatalf("Inspect of a missing container: %v, want an *InspectError", err)
	}
	if !ie.NotFound() || ie.Stderr == "" {
		t.Errorf("error %q: want podman's stderr saying no such container", err)
	}
}

func FuzzParseInspect(f *testing.F) {
	f.Add([]byte(`[{"Id":"x","Name":"/web","ImageName":"nginx@sha256:1","Mounts":[{"Source":"/a"}]}]`))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info := &model.Info{ID: hexID[:12], FullID: hexID, Type: model.TypePodman}
		if err := parseInspect(b, info); err != nil {
			return
		}
		if info.ID != hexID[:12] || info.FullID != hexID {
			t.Fatalf("id changed to %q / %q", info.ID, info.FullID)
		}
		if _, err := model.ParseJSON(info.AppendJSON(nil)); err != nil {
			t.Fatalf("the container event of %+v does not parse: %v", info, err)
		}
	})
}
