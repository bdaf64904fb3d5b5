// Package container looks containers up in their runtime while recording:
// [Runtimes.Inspect] reads a container's OCI bundle from containerd's or
// cri-o's state directory (no daemon socket), or runs podman's or docker's
// inspect, for a container the recorder found in a thread's cgroups; a
// [Watcher] follows podman's container events, which still name a
// container its runtime has already removed. What the recorder writes
// about containers (the model, the cgroup matcher, the container event) is
// package capture/container's.
package container
