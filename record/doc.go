// Package record is retrace's eBPF recorder: BPF programs on the syscall and
// scheduler tracepoints write scap-encoded events (the event profile of
// docs/FORMAT.md) into a BPF ring buffer; [Recorder] copies them, in
// timestamp order, into a capture file together with a snapshot of the
// host's processes, fds, users, interfaces and containers.
//
// The output is one file, or a rotated set of complete captures, each with
// its own snapshot, kept to the newest N files or staged in a ring that is
// written out on request ([Options], docs/FORMAT.md "Rotated sets and the
// ring"); it is created exclusively and locked, and a deleted or replaced
// output stops the recording ([ErrOutputGone]).
//
// One goroutine drains the ring buffer and another writes; neither waits
// on a container runtime: container metadata is looked up in the
// background (package record/container) and its container event put in
// its place in the event order (docs/FORMAT.md, "Container metadata").
//
// The BPF object is compiled by bpf2go from bpf/recorder.bpf.c and
// committed (see gen.go). Loading it needs root and a kernel with BTF; the
// package is Linux/amd64 only.
package record
