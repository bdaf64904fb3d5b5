// Package replay rebuilds, from a capture alone, the system state libsinsp
// keeps while it reads events, and exposes it to the rule engine.
//
// The state ([State]) holds the thread table and process tree (seeded from
// the capture's process list, updated by clone, fork, vfork, clone3,
// execve, execveat and procexit events of every version), the fd table of
// every process (seeded from the fd list, updated by open, openat,
// openat2, creat, socket, connect, accept, bind, dup, close, pipe,
// eventfd, memfd_create ... events), users and groups, and containers
// (from container events and from thread cgroups, see package
// [github.com/retrace-dev/retrace/capture/container]). Exit events that
// lack parameters their enter event carried take them from the enter
// event, as libs' savefile converter does; exit-only captures work too.
//
// [State.Apply] applies one event and returns the [Event] view that the
// fields of [NewFieldRegistry] read: every field the upstream Falco rules
// use and most sysdig fields (evt.*, proc.*, thread.*, fd.*, fdlist.*,
// user.*, group.*, container.*, k8s.* from container labels, fs.path.*),
// with libsinsp's semantics as sysdig 0.29.3 prints them (the package's
// tests compare every event of the shared captures with real sysdig).
//
// [ReplayFile], [ReplayReader] and [Run] drive whole captures through a
// [Handler]. A State is updated by one goroutine, in event order; Run
// replays several captures concurrently with one State each. Memory
// follows the live processes of the capture, not its length: exited
// threads are freed one event after their procexit (as libsinsp does, so
// the procexit event itself still resolves), and threads, fd tables and
// fd entries are recycled, so that state updates do not allocate in the
// steady state.
package replay
