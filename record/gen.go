package record

// The BPF object is compiled from bpf/recorder.bpf.c by bpf2go; its output
// (recorder_x86_bpfel.go and .o) is committed so that go build needs no
// clang. `make generate` regenerates it; CI fails when the result differs.
// bpf/vmlinux.h is a trimmed, hand-written CO-RE header (see its comment).

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64 -go-package record recorder bpf/recorder.bpf.c -- -I./bpf
