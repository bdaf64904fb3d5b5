package record

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildBusyboxImage imports a minimal container image named name from the
// host's static busybox (/bin/busybox, Debian's busybox-static) into
// podman: busybox with its common applets, /etc/passwd and a /etc/shadow.
// work is a scratch directory. It is what the container tests and attack
// scenarios run in; no registry is needed.
func BuildBusyboxImage(name, work string) error {
	tarball, err := busyboxRootfs(work)
	if err != nil {
		return err
	}
	if out, err := exec.Command("podman", "import", tarball, name).CombinedOutput(); err != nil {
		return fmt.Errorf("build image: podman import: %v: %s", err, out)
	}
	return nil
}

// BuildBusyboxOCIArchive writes the busybox image of [BuildBusyboxImage]
// as an OCI image layout archive named name (one uncompressed layer) to
// work/busybox-oci.tar and returns its path, for `ctr image import`.
func BuildBusyboxOCIArchive(name, work string) (string, error) {
	layer, err := busyboxRootfs(work)
	if err != nil {
		return "", err
	}
	lb, err := os.ReadFile(layer)
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	type descriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int               `json:"size"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	blobs := map[string][]byte{}
	add := func(mediaType string, b []byte) descriptor {
		d := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
		blobs[d] = b
		return descriptor{MediaType: mediaType, Digest: d, Size: len(b)}
	}
	mustJSON := func(v any) []byte { b, _ := json.Marshal(v); return b }
	layerDesc := add("application/vnd.oci.image.layer.v1.tar", lb)
	config := add("application/vnd.oci.image.config.v1+json", mustJSON(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDesc.Digest}},
		"config": map[string]any{},
	}))
	manifest := add("application/vnd.oci.image.manifest.v1+json", mustJSON(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": config, "layers": []descriptor{layerDesc},
	}))
	manifest.Annotations = map[string]string{"org.opencontainers.image.ref.name": name}
	files := []struct {
		name string
		b    []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", mustJSON(map[string]any{"schemaVersion": 2, "manifests": []descriptor{manifest}})},
	}
	for _, d := range []string{layerDesc.Digest, config.Digest, manifest.Digest} {
		files = append(files, struct {
			name string
			b    []byte
		}{"blobs/sha256/" + strings.TrimPrefix(d, "sha256:"), blobs[d]})
	}
	path := filepath.Join(work, "busybox-oci.tar")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	tw := tar.NewWriter(f)
	for _, fl := range files {
		if err := tw.WriteHeader(&tar.Header{Name: fl.name, Mode: 0o644, Size: int64(len(fl.b)), Typeflag: tar.TypeReg}); err != nil {
			f.Close()
			return "", fmt.Errorf("build image: %w", err)
		}
		if _, err := tw.Write(fl.b); err != nil {
			f.Close()
			return "", fmt.Errorf("build image: %w", err)
		}
	}
	if err := errors.Join(tw.Close(), f.Close()); err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	return path, nil
}

// busyboxRootfs builds the busybox root file system below work and
// returns the path of its tar archive.
func busyboxRootfs(work string) (string, error) {
	root := filepath.Join(work, "rootfs")
	for _, d := range []string{"bin", "etc", "tmp", "root", "usr/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", fmt.Errorf("build image: %w", err)
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755); err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	for _, applet := range []string{"sh", "cat", "ls", "echo", "sleep", "id", "nc", "cp", "chmod", "rm", "wget", "mkdir", "tty", "true", "ps"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			return "", fmt.Errorf("build image: %w", err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
		"etc/shadow": "root:$6$retrace$notarealhash:19000:0:99999:7:::\n",
	}
	for f, content := range files {
		mode := os.FileMode(0o644)
		if f == "etc/shadow" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(root, f), []byte(content), mode); err != nil {
			return "", fmt.Errorf("build image: %w", err)
		}
	}
	tarball := filepath.Join(work, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build image: tar: %v: %s", err, out)
	}
	return tarball, nil
}
