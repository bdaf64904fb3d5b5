//go:build linux && amd64

package record

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tracepointAliases maps the recorded syscalls whose kernel function (and
// so tracepoint) is named differently from the syscall table's name.
var tracepointAliases = map[string]string{
	"umount2": "umount",
}

// tracepointName returns the name of syscall's tracepoints without the
// sys_enter_/sys_exit_ prefix.
func tracepointName(syscall string) string {
	if a, ok := tracepointAliases[syscall]; ok {
		return a
	}
	return syscall
}

// tracefsEvents are the places tracefs' events directory is found.
var tracefsEvents = []string{"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"}

// errNoTracefs reports that no tracefs is mounted.
var errNoTracefs = errors.New("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)")

// syscallEventsDir returns the tracefs directory of the syscalls events.
func syscallEventsDir() (string, error) {
	for _, d := range tracefsEvents {
		dir := filepath.Join(d, "syscalls")
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	if _, err := os.Stat(tracefsEvents[0]); err == nil {
		// tracefs is there but has no syscall events.
		return "", errors.New("the kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)")
	}
	return "", errNoTracefs
}

// hookPlan is the outcome of choosing the syscall hooks: the hooks to use,
// the recorded syscalls left unhooked, and why, for the log.
type hookPlan struct {
	hooks SyscallHooks
	// skip holds recorded syscalls that have no tracepoint because this
	// kernel does not implement them (they can only fail with ENOSYS).
	skip  map[string]bool
	notes []string
}

// planHooks decides between per-syscall tracepoints and the raw hooks.
// A recorded syscall without a tracepoint forces the raw hooks unless the
// kernel does not implement it at all (its __x64_sys_ symbol is the weak
// stub the kernel builds for syscalls configured out, e.g. init_module
// without CONFIG_MODULES).
func planHooks(want SyscallHooks, allSyscalls bool) (hookPlan, error) {
	if allSyscalls || want == HooksRaw {
		return hookPlan{hooks: HooksRaw}, nil
	}
	fail := func(reason string) (hookPlan, error) {
		if want == HooksTracepoints {
			return hookPlan{}, fmt.Errorf("per-syscall tracepoints: %s", reason)
		}
		return hookPlan{hooks: HooksRaw, notes: []string{reason + ": hooking the raw sys_enter/sys_exit tracepoints instead (every syscall pays for them; syscalls outside the profile are counted)"}}, nil
	}
	dir, err := syscallEventsDir()
	if err != nil {
		return fail(err.Error())
	}
	var missing []string
	for _, sc := range recordedSyscalls {
		if _, err := os.Stat(filepath.Join(dir, "sys_exit_"+tracepointName(sc.name))); err != nil {
			missing = append(missing, sc.name)
		}
	}
	plan := hookPlan{hooks: HooksTracepoints, skip: map[string]bool{}}
	if len(missing) == 0 {
		return plan, nil
	}
	stubs, err := stubSyscalls()
	if err != nil {
		return fail(fmt.Sprintf("no tracepoint for %s (%v)", strings.Join(missing, ", "), err))
	}
	var real []string
	for _, name := range missing {
		if stubs[tracepointName(name)] {
			plan.skip[name] = true
		} else {
			real = append(real, name)
		}
	}
	if len(real) > 0 {
		return fail(fmt.Sprintf("no syscalls/sys_exit_ tracepoint for %s", strings.Join(real, ", ")))
	}
	var skipped []string
	for _, sc := range recordedSyscalls {
		if plan.skip[sc.name] {
			skipped = append(skipped, sc.name)
		}
	}
	plan.notes = append(plan.notes, fmt.Sprintf("%s: not implemented by this kernel (no tracepoint; the syscall is a stub returning ENOSYS): not recorded", strings.Join(skipped, ", ")))
	return plan, nil
}

// stubSyscalls returns the syscalls whose x86_64 entry point is a weak
// symbol in /proc/kallsyms: the stub the kernel links for a syscall that
// is configured out (cond_syscall), which only returns ENOSYS.
func stubSyscalls() (map[string]bool, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "ffffffff81398ba0 W __x64_sys_init_module"
		line := sc.Text()
		i := strings.Index(line, " W __x64_sys_")
		if i < 0 {
			continue
		}
		name := line[i+len(" W __x64_sys_"):]
		if !strings.ContainsRune(name, ' ') {
			out[name] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read /proc/kallsyms: %w", err)
	}
	return out, nil
}

// SyscallTracepoints returns the syscalls/ tracepoints (sys_exit_<name>)
// that per-syscall hooks attach to on this kernel, for measurements that
// compare them with other hooks (record/internal/hookbench).
func SyscallTracepoints() ([]string, error) {
	plan, err := planHooks(HooksTracepoints, false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sc := range recordedSyscalls {
		if !plan.skip[sc.name] {
			out = append(out, "sys_exit_"+tracepointName(sc.name))
		}
	}
	return out, nil
}
