package record

// The BPF object is compiled from bpf/recorder.bpf.c by bpf2go; its output
// (recorder_x86_bpfel.go and .o) is committed so that go build needs no
// clang. `make generate` regenerates it; CI fails when the result differs.
// bpf/vmlinux.h is a trimmed, hand-written CO-RE header (see its comment).
//
// capture/scap/syscalls_x86_64.go (the x86_64 syscall names the recorder and
// the readers of generic events share) is written by internal/syscallgen
// from a copy of Linux's asm/unistd_64.h.

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64 -go-package record recorder bpf/recorder.bpf.c -- -I./bpf
//go:generate go run ./internal/syscallgen -unistd internal/syscallgen/unistd_64.h -out ../capture/scap/syscalls_x86_64.go
