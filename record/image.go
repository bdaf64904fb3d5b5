package record

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildBusyboxImage imports a minimal container image named name from the
// host's static busybox (/bin/busybox, Debian's busybox-static): busybox
// with its common applets, /etc/passwd and a /etc/shadow. work is a scratch
// directory. It is what the container tests and attack scenarios run in;
// no registry is needed.
func BuildBusyboxImage(name, work string) error {
	root := filepath.Join(work, "rootfs")
	for _, d := range []string{"bin", "etc", "tmp", "root", "usr/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("build image: %w", err)
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("build image: %w", err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755); err != nil {
		return fmt.Errorf("build image: %w", err)
	}
	for _, applet := range []string{"sh", "cat", "ls", "echo", "sleep", "id", "nc", "cp", "chmod", "rm", "wget", "mkdir", "tty", "true", "ps"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			return fmt.Errorf("build image: %w", err)
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
			return fmt.Errorf("build image: %w", err)
		}
	}
	tarball := filepath.Join(work, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("build image: tar: %v: %s", err, out)
	}
	if out, err := exec.Command("podman", "import", tarball, name).CombinedOutput(); err != nil {
		return fmt.Errorf("build image: podman import: %v: %s", err, out)
	}
	return nil
}
