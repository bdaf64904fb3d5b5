// Package container is retrace's one container model: the [Info] the
// recorder writes and replay reads, the container id a thread's cgroups
// name ([MatchCgroups], following libsinsp's cgroup matchers for docker,
// podman, containerd, cri-o, kubepods, lxc, libvirt-lxc and bpm), the codec
// of the container JSON event (PPME_CONTAINER_JSON_2_E, written by
// [Info.AppendEvent] and read by [FromEvent] and [ParseJSON]), the
// container record of retrace's capture metadata (Info's JSON encoding),
// image references ([ParseImage]) and short ids ([ShortID]).
//
// It knows nothing of container runtimes: looking containers up at record
// time is the job of package record/container. Its functions are pure and
// safe for concurrent use; an Info is a plain value that one goroutine owns.
package container
