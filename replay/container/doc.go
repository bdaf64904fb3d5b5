// Package container derives container identity from what a capture carries:
// the cgroup paths of a thread (matched against the layouts of docker,
// containerd/CRI, cri-o, podman and lxc) and the container metadata events
// (PPME_CONTAINER_E, PPME_CONTAINER_JSON_E and PPME_CONTAINER_JSON_2_E) that
// sysdig and Falco wrote into their captures.
//
// A [Store] holds the containers seen so far; it is not safe for concurrent
// use (one replay goroutine owns it).
package container
