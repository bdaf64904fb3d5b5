//go:build linux && amd64

// Command hookbench measures what the recorder's syscall hooks cost the
// traced workload (docs/PERFORMANCE.md, "Recorder"). As root, from the
// repository root:
//
//	go run ./record/internal/hookbench [-runs 5] [-getpid 3000000] [-orc 200000]
//
// For a getpid loop (no syscall of it is recorded) it alternates, run by
// run, five setups: nothing attached; empty tp_btf programs on the raw
// sys_enter and sys_exit tracepoints (the floor of the raw design); empty
// tracepoint programs on syscalls/sys_exit_<name> of every recorded
// syscall (the floor of the per-syscall design); one empty tracepoint
// program on one of them (what enabling any syscall tracepoint costs, the
// kernel's own part of that floor); retrace record with the
// raw hooks; retrace record with per-syscall tracepoints. For an
// open/read/close loop (recorded syscalls) it alternates nothing, raw and
// tracepoints, with the kernel's BPF run-time stats on, and reports the
// BPF time per written event. It prints the median workload CPU time per
// iteration (loadgen's getrusage figure) and its ratio to no hooks.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/retrace-dev/retrace/record"
)

func main() {
	runs := flag.Int("runs", 5, "alternating runs per setup")
	getpid := flag.Int("getpid", 3000000, "getpid calls per run")
	orc := flag.Int("orc", 200000, "open/read/close rounds per run (0: skip that workload)")
	flag.Parse()
	if err := run(*runs, *getpid, *orc); err != nil {
		fmt.Fprintln(os.Stderr, "hookbench:", err)
		os.Exit(1)
	}
}

// setup attaches something for the length of one workload run and
// returns what to detach, or runs the workload itself (recordings).
type setup struct {
	name string
	// attach, when set, attaches programs around a plain workload run.
	attach func() (func(), error)
	// hooks, when attach is nil and recorded is set, records the workload.
	recorded bool
	hooks    record.SyscallHooks
}

type sample struct {
	cpuNs      float64 // workload CPU ns per iteration
	bpfNsEvent float64 // BPF ns per written event (recordings with stats)
}

func run(runs, getpid, orc int) error {
	tmp, err := os.MkdirTemp("", "hookbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	lg := filepath.Join(tmp, "loadgen")
	if out, err := exec.Command("go", "build", "-o", lg, "./record/internal/loadgen").CombinedOutput(); err != nil {
		return fmt.Errorf("build loadgen (run from the repository root): %v\n%s", err, out)
	}
	tps, err := record.SyscallTracepoints()
	if err != nil {
		return err
	}
	fmt.Printf("hookbench: %d runs each, alternating; %d per-syscall tracepoints; %s\n", runs, len(tps), time.Now().UTC().Format(time.RFC3339))
	getpidSetups := []setup{
		{name: "none"},
		{name: "empty tp_btf sys_enter+sys_exit", attach: emptyRaw},
		{name: fmt.Sprintf("empty tracepoints x%d", len(tps)), attach: func() (func(), error) { return emptyTracepoints(tps) }},
		{name: "empty tracepoint x1", attach: func() (func(), error) { return emptyTracepoints(tps[:1]) }},
		{name: "record, raw hooks (old)", recorded: true, hooks: record.HooksRaw},
		{name: "record, tracepoints (new)", recorded: true, hooks: record.HooksTracepoints},
	}
	if err := measure(tmp, lg, runs, getpidSetups, false, "getpid", strconv.Itoa(getpid)); err != nil {
		return err
	}
	if orc == 0 {
		return nil
	}
	orcSetups := []setup{
		{name: "none"},
		{name: "record, raw hooks (old)", recorded: true, hooks: record.HooksRaw},
		{name: "record, tracepoints (new)", recorded: true, hooks: record.HooksTracepoints},
	}
	return measure(tmp, lg, runs, orcSetups, true, "orc", strconv.Itoa(orc))
}

var cpuRe = regexp.MustCompile(`cpu ([0-9.]+) ns/iteration`)

func measure(tmp, lg string, runs int, setups []setup, stats bool, args ...string) error {
	samples := make([][]sample, len(setups))
	for i := 0; i < runs; i++ {
		for j, st := range setups {
			s, err := once(tmp, lg, st, stats, args)
			if err != nil {
				return fmt.Errorf("%s %v, %s: %w", lg, args, st.name, err)
			}
			samples[j] = append(samples[j], s)
		}
	}
	fmt.Printf("\nloadgen %v, median of %d:\n", args, runs)
	base := median(samples[0], func(s sample) float64 { return s.cpuNs })
	for j, st := range setups {
		cpu := median(samples[j], func(s sample) float64 { return s.cpuNs })
		line := fmt.Sprintf("  %-34s %8.1f CPU ns/iter  ratio %.2f", st.name, cpu, cpu/base)
		if stats && st.recorded {
			line += fmt.Sprintf("  BPF %.0f ns/event", median(samples[j], func(s sample) float64 { return s.bpfNsEvent }))
		}
		fmt.Println(line)
	}
	return nil
}

func once(tmp, lg string, st setup, stats bool, args []string) (sample, error) {
	var out bytes.Buffer
	if !st.recorded {
		if st.attach != nil {
			detach, err := st.attach()
			if err != nil {
				return sample{}, err
			}
			defer detach()
		}
		cmd := exec.Command(lg, args...)
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			return sample{}, err
		}
		return parse(out.Bytes())
	}
	outFile := filepath.Join(tmp, "out.scap.zst")
	os.Remove(outFile)
	res, err := record.Record(context.Background(), record.Options{
		Output: outFile, Snaplen: 80, Command: append([]string{lg}, args...), OnlyCommand: true,
		CommandStdout: &out, SyscallHooks: st.hooks, BPFStats: stats,
	})
	if err != nil {
		return sample{}, err
	}
	if res.Hooks != st.hooks {
		return sample{}, fmt.Errorf("recorded with %v hooks, want %v", res.Hooks, st.hooks)
	}
	s, err := parse(out.Bytes())
	if err != nil {
		return s, err
	}
	var bpf time.Duration
	for _, p := range res.Programs {
		bpf += p.Time
	}
	if res.Submitted > 0 {
		s.bpfNsEvent = float64(bpf.Nanoseconds()) / float64(res.Submitted)
	}
	return s, nil
}

func parse(out []byte) (sample, error) {
	m := cpuRe.FindSubmatch(out)
	if m == nil {
		return sample{}, fmt.Errorf("no CPU figure in loadgen output %q", out)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	return sample{cpuNs: v}, err
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

var returnZero = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}

// emptyRaw attaches programs that return at once to the raw sys_enter and
// sys_exit tracepoints (tp_btf), as the raw design does.
func emptyRaw() (func(), error) {
	var closers []func()
	cleanup := func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	for _, tp := range []string{"sys_enter", "sys_exit"} {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.Tracing, AttachType: ebpf.AttachTraceRawTp,
			AttachTo: tp, Instructions: returnZero, License: "GPL"})
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("load empty %s program: %w", tp, err)
		}
		closers = append(closers, func() { prog.Close() })
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("attach empty %s program: %w", tp, err)
		}
		closers = append(closers, func() { l.Close() })
	}
	return cleanup, nil
}

// emptyTracepoints attaches one program that returns at once to each of
// the syscalls/ tracepoints.
func emptyTracepoints(tps []string) (func(), error) {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.TracePoint, Instructions: returnZero, License: "GPL"})
	if err != nil {
		return nil, fmt.Errorf("load empty tracepoint program: %w", err)
	}
	var links []link.Link
	cleanup := func() {
		for _, l := range links {
			l.Close()
		}
		prog.Close()
	}
	for _, tp := range tps {
		l, err := link.Tracepoint("syscalls", tp, prog, nil)
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("attach empty program to syscalls/%s: %w", tp, err)
		}
		links = append(links, l)
	}
	return cleanup, nil
}
