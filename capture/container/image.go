package container

import "strings"

// ImageRef is an image reference split as libsinsp splits it
// (sinsp_utils::split_container_image without splitting the repository):
// "host:5000/a/b:tag@sha256:…" has Repository "host:5000/a/b", Tag "tag"
// and Digest "sha256:…".
type ImageRef struct {
	Repository string
	Tag        string
	Digest     string
}

// ParseImage splits an image reference. Everything before the first '/'
// is the registry host (and port) and stays in the repository; after it,
// the digest follows the first '@' and the tag the first ':'. A reference
// without tag or digest has neither: no "latest" is implied.
func ParseImage(ref string) ImageRef {
	var host string
	rest := ref
	if h, r, ok := strings.Cut(ref, "/"); ok {
		host, rest = h+"/", r
	}
	var img ImageRef
	if name, digest, ok := strings.Cut(rest, "@"); ok {
		rest, img.Digest = name, digest
	}
	if name, tag, ok := strings.Cut(rest, ":"); ok {
		rest, img.Tag = name, tag
	}
	img.Repository = host + rest
	return img
}
