// Package container finds the container a thread runs in from its cgroups
// and reads the container's metadata (name, image, privileges, mounts,
// labels) from the container runtime at record time, so that replay needs no
// runtime. Podman is supported through its CLI (podman inspect); the id
// patterns also cover docker, containerd, cri-o and lxc.
package container
