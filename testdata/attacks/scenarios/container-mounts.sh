#!/usr/bin/env bash
# A container started with host mounts (podman --runtime runc run --rm
# --name retrace-mounts): read-only binds of /, /etc, /proc, /root and of
# the paths the upstream rules look for (/etc/kubernetes[/manifests],
# /home/admin, /var/lib/kubelet[/pki], /var/run/docker.sock,
# /run/containerd/containerd.sock, /var/run/crio/crio.sock; empty stand-ins
# created for the recording and removed after), plus a scratch directory;
# the container's cat reads a file through the scratch mount.
set -euo pipefail
created=()
cleanup() {
	for ((i = ${#created[@]} - 1; i >= 0; i--)); do rm -rf -- "${created[i]}"; done
}
trap cleanup EXIT
# mkdirp PATH: creates PATH and remembers the topmost directory it created.
mkdirp() {
	local p=$1 top=""
	while [ ! -e "$p" ]; do top=$p; p=$(dirname "$p"); done
	[ -n "$top" ] || return 0
	mkdir -p "$1"
	created+=("$top")
}
# touchf PATH: creates an empty file (and its directories) if missing.
touchf() {
	[ -e "$1" ] && return 0
	mkdirp "$(dirname "$1")"
	: > "$1"
	created+=("$1")
}
mkdirp /tmp/retrace-mount-src
echo "read through a bind mount" > /tmp/retrace-mount-src/data.txt
mkdirp /etc/kubernetes/manifests
mkdirp /home/admin
mkdirp /var/lib/kubelet/pki
touchf /run/docker.sock
touchf /run/containerd/containerd.sock
touchf /run/crio/crio.sock
podman --runtime runc run --rm --name retrace-mounts \
	--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	-v /:/host:ro -v /etc:/host-etc:ro -v /proc:/host-proc:ro -v /root:/host-root:ro \
	-v /etc/kubernetes:/etc/kubernetes:ro -v /etc/kubernetes/manifests:/manifests:ro \
	-v /home/admin:/home/admin:ro -v /var/lib/kubelet:/var/lib/kubelet:ro \
	-v /var/lib/kubelet/pki:/pki:ro -v /var/run/docker.sock:/var/run/docker.sock \
	-v /run/containerd/containerd.sock:/run/containerd/containerd.sock \
	-v /var/run/crio/crio.sock:/var/run/crio/crio.sock \
	-v /tmp/retrace-mount-src:/data:ro \
	localhost/retrace-busybox:test /bin/cat /data/data.txt > /dev/null
