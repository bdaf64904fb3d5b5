package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseImage(t *testing.T) {
	const digest = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
	tests := []struct {
		name string
		ref  string
		want ImageRef
	}{
		// The cases.
		{"name and tag", "nginx:1.25", ImageRef{Repository: "nginx", Tag: "1.25"}},
		{"pinned by digest", "docker.io/library/nginx@" + digest, ImageRef{Repository: "docker.io/library/nginx", Digest: digest}},
		{"host, port, path, tag and digest", "host:5000/a/b:tag@" + digest, ImageRef{Repository: "host:5000/a/b", Tag: "tag", Digest: digest}},
		{"podman's local image", "localhost/retrace-busybox:test", ImageRef{Repository: "localhost/retrace-busybox", Tag: "test"}},
		// libs' container_image_splitting tests (userspace/libsinsp/test/
		// container_engine), with the repository rejoined where libs
		// splits host and port off.
		{"libs: bare name", "busybox", ImageRef{Repository: "busybox"}},
		{"libs: name:latest", "busybox:latest", ImageRef{Repository: "busybox", Tag: "latest"}},
		{"libs: tag and digest", "busybox:1.27.2@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "busybox", Tag: "1.27.2", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: host", "my.host.name/busybox:1.27.2@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "my.host.name/busybox", Tag: "1.27.2", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: host and port", "my.host.name:12345/library/busybox:1.27.2@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "my.host.name:12345/library/busybox", Tag: "1.27.2", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: localhost and port", "localhost:12345/library/busybox:1.27.2@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "localhost:12345/library/busybox", Tag: "1.27.2", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: port, no tag", "local.host:5000/libs/test", ImageRef{Repository: "local.host:5000/libs/test"}},
		{"libs: path and tag", "libs/test:dev", ImageRef{Repository: "libs/test", Tag: "dev"}},
		{"libs: port and tag", "local.host:5000/libs:1.0", ImageRef{Repository: "local.host:5000/libs", Tag: "1.0"}},
		{"libs: digest only", "libs@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "libs", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: port and digest", "local.host:5000/nginx@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "local.host:5000/nginx", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: name, tag, digest", "libs:1.0@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "libs", Tag: "1.0", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"libs: port, tag, digest", "local.host:5000/nginx:alpine@sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
			ImageRef{Repository: "local.host:5000/nginx", Tag: "alpine", Digest: "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"empty", "", ImageRef{}},
		{"image id", "41cf0a7a611c", ImageRef{Repository: "41cf0a7a611c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseImage(tc.ref)); diff != "" {
				t.Errorf("ParseImage(%q) (-want +got):\n%s", tc.ref, diff)
			}
		})
	}
}
