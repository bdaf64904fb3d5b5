package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/builtin"
)

// defaultEventFormat is what -F prints for each matching event when no
// --format is given: sysdig's default line. As in sysdig, a format that
// starts with '*' prints every event; any other format skips events for
// which one of its fields has no value.
const defaultEventFormat = "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args"

// compatFalco032 is the --compat value that reproduces Falco 0.32.
const compatFalco032 = "falco-0.32"

// replayFlags are the command line of `retrace replay`, as typed.
type replayFlags struct {
	rules        []string
	output       string
	out          string
	allEvents    bool
	tags         []string
	excludeTags  []string
	disable      []string
	priority     string
	since        string
	until        string
	container    string
	pid          int64
	tz           string
	ruleMatching string
	compat       string
	filter       string
	format       string
	quiet        bool
}

func newReplayCmd() *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay FILE|DIR...",
		Short: "Replay captures against Falco rules and report detections",
		Long: `replay rebuilds the recorded system state (processes, files, sockets, users,
containers) from one or more capture files (.scap, .scap.gz, .scap.zst, or
directories holding them) and evaluates rules written in Falco's rule language
on every event. Detections print as Falco alert lines (text), Falco JSON lines,
a timeline table or a self-contained HTML report.

Without -r the built-in rule set runs; -r replaces it (repeat -r for several
files or directories), as Falco's -r does. Like current Falco, rules see exit
events only (enter events of syscalls that have both directions are used for
state only) and skip the high-volume I/O syscalls unless -A is given.
--compat falco-0.32 reproduces Falco 0.32 instead: rules also see enter events,
and -A controls the set of events 0.32 skipped (EF_DROP_SIMPLE_CONS and friends).

With -F FILTER no rules run: every event matching the sysdig-style filter is
printed with --format (default: sysdig's line), like sysdig -r FILE FILTER -p FORMAT.

Several captures are replayed concurrently, one worker per file and core;
their outputs are merged in time order and written once all are read (a
single capture streams its text or JSON output as it goes). Times print in
UTC unless --tz names a zone; hostname comes from the capture's machine
information. A progress bar shows on stderr when it is a terminal, with a
summary line at the end; --quiet silences both.`,
		Example: `  retrace replay incident.scap.zst
  retrace replay -r falco_rules.yaml -o json --out alerts.json captures/
  retrace replay host.scap -o html --out report.html --container web
  retrace replay host.scap -F 'evt.type=execve and evt.dir=<' --format '%evt.time %proc.cmdline'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd, args)
			if err != nil {
				return withCode(exitUsage, err)
			}
			return runReplay(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.rules, "rules", "r", nil, "rules file or directory (repeatable); replaces the built-in rules")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, json, table or html")
	fl.StringVar(&f.out, "out", "", "write the output to this file instead of stdout")
	fl.BoolVarP(&f.allEvents, "all-events", "A", false, "also evaluate the high-volume events Falco skips by default")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "run only rules with this tag (repeatable)")
	fl.StringArrayVarP(&f.excludeTags, "exclude-tag", "T", nil, "do not run rules with this tag (repeatable)")
	fl.StringArrayVarP(&f.disable, "disable", "D", nil, "do not run rules whose name contains this text (repeatable)")
	fl.StringVarP(&f.priority, "priority", "p", "", "run only rules of this priority or more severe")
	fl.StringVar(&f.since, "since", "", "ignore events before this time: RFC 3339, a date and time in --tz, or Unix seconds")
	fl.StringVar(&f.until, "until", "", "ignore events after this time: RFC 3339, a date and time in --tz, or Unix seconds")
	fl.StringVar(&f.container, "container", "", "only events of the container with this id or name (\"host\" for the host)")
	fl.Int64Var(&f.pid, "pid", 0, "only events of this process id")
	fl.StringVar(&f.tz, "tz", "", "print times in this zone (e.g. Europe/Paris, Local); default UTC")
	fl.StringVar(&f.ruleMatching, "rule-matching", "first", "first: report the first matching rule per event; all: every one")
	fl.StringVar(&f.compat, "compat", "", "reproduce an older Falco: falco-0.32")
	fl.StringVarP(&f.filter, "filter", "F", "", "print the events matching this filter instead of running rules")
	fl.StringVar(&f.format, "format", "", "with -F: the line printed per event (%field tokens); default sysdig's")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar and no warnings on stderr")
	return cmd
}

// replayConfig is a validated replay run.
type replayConfig struct {
	files       []string
	ruleFiles   []string // nil: the built-in rules
	format      report.Format
	outPath     string
	compat032   bool
	allEvents   bool
	sel         engine.Selection
	mode        engine.MatchMode
	scope       scopeSpec
	loc         *time.Location
	filter      string
	eventFormat string
	quiet       bool
	progress    bool
}

// scopeSpec limits which events are evaluated and printed. The state is
// always updated with every event.
type scopeSpec struct {
	since, until uint64 // event timestamps in ns; 0 = unbounded
	container    string
	pid          int64
	hasPid       bool
}

// config validates the flags.
func (f *replayFlags) config(cmd *cobra.Command, args []string) (*replayConfig, error) {
	cfg := &replayConfig{ruleFiles: f.rules, outPath: f.out, allEvents: f.allEvents, quiet: f.quiet,
		filter: f.filter, eventFormat: f.format}
	files, err := expandCaptures(args)
	if err != nil {
		return nil, err
	}
	cfg.files = files
	if cfg.format, err = report.ParseFormat(f.output); err != nil {
		return nil, err
	}
	switch f.compat {
	case "":
	case compatFalco032:
		cfg.compat032 = true
	default:
		return nil, fmt.Errorf("parse --compat %q: want %s", f.compat, compatFalco032)
	}
	if len(f.tags) > 0 && (len(f.excludeTags) > 0 || len(f.disable) > 0) {
		return nil, errors.New("select rules: you can not specify both disabled (-D/-T) and enabled (-t) rules")
	}
	cfg.sel = engine.Selection{Tags: f.tags, ExcludeTags: f.excludeTags, Disable: f.disable}
	if f.priority != "" {
		if cfg.sel.MinPriority, err = engine.ParsePriority(f.priority); err != nil {
			return nil, err
		}
	}
	if cfg.mode, err = engine.ParseMatchMode(f.ruleMatching); err != nil {
		return nil, err
	}
	cfg.loc = time.UTC
	if f.tz != "" {
		if cfg.loc, err = time.LoadLocation(f.tz); err != nil {
			return nil, fmt.Errorf("parse --tz: %w", err)
		}
	}
	if cfg.scope.since, err = parseTimeFlag("since", f.since, cfg.loc); err != nil {
		return nil, err
	}
	if cfg.scope.until, err = parseTimeFlag("until", f.until, cfg.loc); err != nil {
		return nil, err
	}
	if cfg.scope.until != 0 && cfg.scope.until < cfg.scope.since {
		return nil, errors.New("parse --until: before --since")
	}
	cfg.scope.container = f.container
	if cmd.Flags().Changed("pid") {
		cfg.scope.pid, cfg.scope.hasPid = f.pid, true
	}
	if f.format != "" && f.filter == "" {
		return nil, errors.New("--format needs -F FILTER")
	}
	if f.filter != "" && cfg.eventFormat == "" {
		cfg.eventFormat = defaultEventFormat
	}
	if f.filter != "" && f.output != "text" {
		return nil, errors.New("-F prints events as text lines; -o does not apply")
	}
	cfg.progress = !f.quiet && isTerminal(cmd.ErrOrStderr())
	return cfg, nil
}

// parseTimeFlag parses an RFC 3339 time (the zone defaults to loc), a
// date-time without zone, or Unix seconds with an optional fraction. It
// returns nanoseconds since the epoch, 0 for an empty value.
func parseTimeFlag(name, s string, loc *time.Location) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		if secs < 0 {
			return 0, fmt.Errorf("parse --%s %q: negative time", name, s)
		}
		whole, frac, _ := strings.Cut(s, ".")
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || w > 1<<33 {
			return 0, fmt.Errorf("parse --%s %q: bad Unix time", name, s)
		}
		frac = (frac + "000000000")[:9]
		ns, err := strconv.ParseUint(frac, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse --%s %q: bad Unix time", name, s)
		}
		return w*1e9 + ns, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if t.Before(time.Unix(0, 0)) {
				return 0, fmt.Errorf("parse --%s %q: before 1970", name, s)
			}
			return uint64(t.UnixNano()), nil
		}
	}
	return 0, fmt.Errorf("parse --%s %q: want RFC 3339 (2024-05-01T10:00:00Z) or Unix seconds", name, s)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// captureSuffixes are the file names a directory argument contributes.
var captureSuffixes = []string{".scap", ".scap.gz", ".scap.zst"}

// expandCaptures returns the capture files named by args: files as given,
// directories contribute their capture files (not subdirectories), sorted.
func expandCaptures(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("open capture: %w", err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("read capture directory: %w", err)
		}
		n := len(out)
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			for _, suf := range captureSuffixes {
				if strings.HasSuffix(e.Name(), suf) {
					out = append(out, filepath.Join(a, e.Name()))
					break
				}
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("read capture directory %s: no .scap, .scap.gz or .scap.zst files", a)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Which events rules see.

// eventFilter says which events are handed to rules. Every event updates
// the state; this only decides rule evaluation.
type eventFilter struct {
	skipCode    [scap.NumTypes]bool
	skipSyscall [scap.NumSyscalls]bool // generic events, by ppm_sc code
}

// skip reports whether rules must not see ev.
func (f *eventFilter) skip(ev *scap.Event) bool {
	t := ev.Type()
	if int(t) >= len(f.skipCode) || f.skipCode[t] {
		return true
	}
	if scap.IsGeneric(t) {
		if p := ev.Param(0); len(p) == 2 {
			if id := int(p[0]) | int(p[1])<<8; id < len(f.skipSyscall) {
				return f.skipSyscall[id]
			}
		}
	}
	return false
}

// currentIgnoredEvents are the evt.type names of the high-volume I/O
// syscalls current Falco does not capture unless run with -A: libsinsp's
// io_sc_set() (syscalls whose events are EC_IO_READ or EC_IO_WRITE) minus
// sinsp_state_sc_set() (those whose events carry EF_MODIFIES_STATE), as
// falco::app::ignored_sc_set() computes it. pread64 and pwrite64 are the
// syscall names of the pread and pwrite events (for generic events).
var currentIgnoredEvents = []string{
	"read", "write", "readv", "writev", "pread", "pwrite", "preadv", "pwritev", "recv", "send", "sendfile",
	"pread64", "pwrite64",
}

// falco032SkippedEvents are the event codes Falco 0.32 did not hand to its
// rules unless run with -A: sinsp_evt::simple_consumer_consider() rejected
// events whose flags in libs 0.7's event table (driver/event_table.c)
// include EF_DROP_SIMPLE_CONS, EF_SKIPPARSERESET, EF_OLD_VERSION or
// EF_UNUSED. Names are current libs' enum names without the PPME_ prefix
// (0.7 called SOCKET_SEND "SYSCALL_SEND").
var falco032SkippedEvents = []string{
	"SYSCALL_CLOSE_E", "SYSCALL_CLOSE_X", "SYSCALL_READ_E", "SYSCALL_READ_X", "SYSCALL_WRITE_E",
	"SYSCALL_WRITE_X", "SYSCALL_BRK_1_E", "SYSCALL_BRK_1_X", "SYSCALL_EXECVE_8_E",
	"SYSCALL_EXECVE_8_X", "SYSCALL_CLONE_11_E", "SYSCALL_CLONE_11_X", "PROCEXIT_E", "SOCKET_ACCEPT_E",
	"SOCKET_ACCEPT_X", "SOCKET_SEND_E", "SOCKET_SEND_X", "SOCKET_RECV_E", "SOCKET_RECV_X",
	"SOCKET_SHUTDOWN_E", "SOCKET_SHUTDOWN_X", "SOCKET_GETSOCKNAME_E", "SOCKET_GETSOCKNAME_X",
	"SOCKET_GETPEERNAME_E", "SOCKET_GETPEERNAME_X", "SOCKET_GETSOCKOPT_E", "SOCKET_GETSOCKOPT_X",
	"SOCKET_SENDMMSG_E", "SOCKET_SENDMMSG_X", "SOCKET_RECVMMSG_E", "SOCKET_RECVMMSG_X",
	"SOCKET_ACCEPT4_E", "SOCKET_ACCEPT4_X", "SYSCALL_EVENTFD_E", "SYSCALL_EVENTFD_X",
	"SYSCALL_FUTEX_E", "SYSCALL_FUTEX_X", "SYSCALL_STAT_E", "SYSCALL_STAT_X", "SYSCALL_LSTAT_E",
	"SYSCALL_LSTAT_X", "SYSCALL_FSTAT_E", "SYSCALL_FSTAT_X", "SYSCALL_STAT64_E", "SYSCALL_STAT64_X",
	"SYSCALL_LSTAT64_E", "SYSCALL_LSTAT64_X", "SYSCALL_FSTAT64_E", "SYSCALL_FSTAT64_X",
	"SYSCALL_EPOLLWAIT_E", "SYSCALL_EPOLLWAIT_X", "SYSCALL_POLL_E", "SYSCALL_POLL_X",
	"SYSCALL_SELECT_E", "SYSCALL_SELECT_X", "SYSCALL_NEWSELECT_E", "SYSCALL_NEWSELECT_X",
	"SYSCALL_LSEEK_E", "SYSCALL_LSEEK_X", "SYSCALL_LLSEEK_E", "SYSCALL_LLSEEK_X", "SYSCALL_IOCTL_2_E",
	"SYSCALL_IOCTL_2_X", "SYSCALL_GETCWD_E", "SYSCALL_GETCWD_X", "SYSCALL_OPENAT_E",
	"SYSCALL_OPENAT_X", "SYSCALL_LINK_E", "SYSCALL_LINK_X", "SYSCALL_LINKAT_E", "SYSCALL_LINKAT_X",
	"SYSCALL_UNLINK_E", "SYSCALL_UNLINK_X", "SYSCALL_UNLINKAT_E", "SYSCALL_UNLINKAT_X",
	"SYSCALL_PREAD_E", "SYSCALL_PREAD_X", "SYSCALL_PWRITE_E", "SYSCALL_PWRITE_X", "SYSCALL_READV_E",
	"SYSCALL_READV_X", "SYSCALL_WRITEV_E", "SYSCALL_WRITEV_X", "SYSCALL_PREADV_E", "SYSCALL_PREADV_X",
	"SYSCALL_PWRITEV_E", "SYSCALL_PWRITEV_X", "SYSCALL_NANOSLEEP_E", "SYSCALL_NANOSLEEP_X",
	"SYSCALL_TIMERFD_CREATE_E", "SYSCALL_TIMERFD_CREATE_X", "SYSCALL_GETRLIMIT_E",
	"SYSCALL_GETRLIMIT_X", "SYSCALL_SETRLIMIT_E", "SYSCALL_SETRLIMIT_X", "SCHEDSWITCH_1_E", "DROP_E",
	"DROP_X", "SYSCALL_FCNTL_E", "SYSCALL_FCNTL_X", "SCHEDSWITCH_6_E", "SYSCALL_EXECVE_13_E",
	"SYSCALL_EXECVE_13_X", "SYSCALL_CLONE_16_E", "SYSCALL_CLONE_16_X", "SYSCALL_BRK_4_E",
	"SYSCALL_BRK_4_X", "SYSCALL_MMAP_E", "SYSCALL_MMAP_X", "SYSCALL_MMAP2_E", "SYSCALL_MMAP2_X",
	"SYSCALL_MUNMAP_E", "SYSCALL_MUNMAP_X", "SYSCALL_SPLICE_E", "SYSCALL_SPLICE_X",
	"SYSCALL_EXECVE_14_E", "SYSCALL_EXECVE_14_X", "SYSCALL_FORK_E", "SYSCALL_FORK_X",
	"SYSCALL_VFORK_E", "SYSCALL_VFORK_X", "SYSCALL_SENDFILE_E", "SYSCALL_SENDFILE_X", "SCAPEVENT_E",
	"SYSCALL_GETUID_E", "SYSCALL_GETUID_X", "SYSCALL_GETEUID_E", "SYSCALL_GETEUID_X",
	"SYSCALL_GETGID_E", "SYSCALL_GETGID_X", "SYSCALL_GETEGID_E", "SYSCALL_GETEGID_X",
	"SYSCALL_GETRESUID_E", "SYSCALL_GETRESUID_X", "SYSCALL_GETRESGID_E", "SYSCALL_GETRESGID_X",
	"SYSCALL_EXECVE_15_E", "SYSCALL_EXECVE_15_X", "SYSCALL_CLONE_17_E", "SYSCALL_CLONE_17_X",
	"SYSCALL_FORK_17_E", "SYSCALL_FORK_17_X", "SYSCALL_VFORK_17_E", "SYSCALL_VFORK_17_X",
	"CONTAINER_E", "SIGNALDELIVER_E", "PROCINFO_E", "SYSCALL_GETDENTS_E", "SYSCALL_GETDENTS_X",
	"SYSCALL_GETDENTS64_E", "SYSCALL_GETDENTS64_X", "CPU_HOTPLUG_E", "SYSCALL_SEMOP_E",
	"SYSCALL_SEMOP_X", "SYSCALL_SEMCTL_E", "SYSCALL_SEMCTL_X", "SYSCALL_PPOLL_E", "SYSCALL_PPOLL_X",
	"K8S_E", "SYSCALL_SEMGET_E", "SYSCALL_SEMGET_X", "SYSCALL_ACCESS_E", "SYSCALL_ACCESS_X", "MESOS_E",
	"NOTIFICATION_E", "SYSCALL_EXECVE_17_E", "SYSCALL_EXECVE_17_X", "INFRASTRUCTURE_EVENT_E",
	"SYSCALL_EXECVE_18_E", "SYSCALL_EXECVE_18_X", "PAGE_FAULT_E", "SYSCALL_MPROTECT_E",
	"SYSCALL_MPROTECT_X", "SYSCALL_IO_URING_SETUP_E", "SYSCALL_IO_URING_SETUP_X",
	"SYSCALL_IO_URING_ENTER_E", "SYSCALL_IO_URING_ENTER_X", "SYSCALL_IO_URING_REGISTER_E",
	"SYSCALL_IO_URING_REGISTER_X", "SYSCALL_MLOCK_E", "SYSCALL_MLOCK_X", "SYSCALL_MUNLOCK_E",
	"SYSCALL_MUNLOCK_X", "SYSCALL_MLOCKALL_E", "SYSCALL_MLOCKALL_X", "SYSCALL_MUNLOCKALL_E",
	"SYSCALL_MUNLOCKALL_X",
}

// falco032SkippedSyscalls are the generic syscalls (by libs 0.7's names,
// userspace/libscap/syscall_info_table.c) whose flags made Falco 0.32 skip
// them without -A.
var falco032SkippedSyscalls = []string{
	"alarm", "brk", "capget", "clock_getres", "clock_gettime", "clock_nanosleep", "clock_settime",
	"close", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "eventfd",
	"eventfd2", "exit_group", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "fstat",
	"fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "futex", "get_robust_list",
	"get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid",
	"getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt",
	"gettid", "gettimeofday", "getuid", "getxattr", "io_cancel", "io_destroy", "io_getevents",
	"io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ioprio_get",
	"ioprio_set", "lgetxattr", "listxattr", "llistxattr", "llseek", "lseek", "lstat", "lstat64",
	"madvise", "mincore", "mlock", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
	"mq_notify", "mq_timedreceive", "mq_timedsend", "mremap", "msgget", "msgrcv", "msgsnd", "munlock",
	"munlockall", "munmap", "nanosleep", "newfstatat", "newselect", "olduname", "pause", "poll",
	"ppoll", "pread64", "preadv", "pselect6", "pwrite64", "pwritev", "read", "readv",
	"remap_file_pages", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend",
	"rt_sigtimedwait", "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity",
	"sched_getparam", "sched_getscheduler", "sched_yield", "select", "semctl", "semget", "semop",
	"sendfile", "sendfile64", "sendmmsg", "recvmmsg", "setitimer", "setresgid", "setrlimit",
	"settimeofday", "sgetmask", "shutdown", "signalfd", "signalfd4", "sigpending", "sigprocmask",
	"sigreturn", "splice", "stat", "stat64", "statfs", "statfs64", "tee", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
	"timerfd_gettime", "timerfd_settime", "times", "ugetrlimit", "umask", "uname", "ustat",
	"vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
}

// newEventFilter builds the rule-visibility filter. Current Falco
// (default): enter events of syscalls that have an exit event are never
// evaluated (libs drops them), and without -A neither are the high-volume
// I/O syscalls. Falco 0.32: every direction is evaluated, and without -A
// the events 0.32's simple-consumer mode skipped are not.
func newEventFilter(compat032, allEvents bool) *eventFilter {
	f := &eventFilter{}
	if compat032 {
		if !allEvents {
			byEnum := map[string]bool{}
			for _, e := range falco032SkippedEvents {
				byEnum["PPME_"+e] = true
			}
			for c := range scap.NumTypes {
				if info, ok := scap.Lookup(scap.Type(c)); ok && (byEnum[info.Enum] || info.Flags&scap.EFUnused != 0) {
					f.skipCode[c] = true
				}
			}
			byName := map[string]bool{}
			for _, n := range falco032SkippedSyscalls {
				byName[n] = true
			}
			for id := range scap.NumSyscalls {
				if byName[scap.SyscallNameSysdig029(uint16(id))] {
					f.skipSyscall[id] = true
				}
			}
		}
		return f
	}
	ignored := map[string]bool{}
	if !allEvents {
		for _, n := range currentIgnoredEvents {
			ignored[n] = true
		}
	}
	for id := range scap.NumSyscalls {
		f.skipSyscall[id] = ignored[scap.SyscallName(uint16(id))]
	}
	for c := range scap.NumTypes {
		info, ok := scap.Lookup(scap.Type(c))
		if !ok {
			continue
		}
		switch {
		case ignored[info.Name], info.Code == scap.ProcinfoE:
			f.skipCode[c] = true
		case info.Dir == 'E' && c+1 < scap.NumTypes:
			if x, ok := scap.Lookup(scap.Type(c + 1)); ok && x.Dir == 'X' && x.Flags&scap.EFUnused == 0 {
				f.skipCode[c] = true
			}
		}
	}
	return f
}

// ignoredRuleEvents returns the evt.type names enabled rules of set ask
// for that filter never lets rules see, sorted (Falco's "ignored-evttype"
// warning). bothDirections says whether rules see enter events.
func ignoredRuleEvents(set *rules.Set, filter *eventFilter, bothDirections bool) []string {
	types := scap.EventTypeIndex{}
	var out []string
	seen := map[string]bool{}
	for _, r := range set.Rules {
		if !r.Enabled || r.AllEventTypes {
			continue
		}
		for _, name := range r.EventTypes {
			if seen[name] {
				continue
			}
			seen[name] = true
			relevant, skipped := 0, 0
			for _, id := range types.IDs(name) {
				if id >= scap.NumTypes {
					relevant++
					if filter.skipSyscall[id-scap.NumTypes] {
						skipped++
					}
					continue
				}
				info, ok := scap.Lookup(scap.Type(id))
				if !ok {
					continue
				}
				if !bothDirections && info.Dir == 'E' {
					if x, ok := scap.Lookup(scap.Type(id + 1)); ok && x.Dir == 'X' && x.Flags&scap.EFUnused == 0 {
						continue
					}
				}
				relevant++
				if filter.skipCode[id] {
					skipped++
				}
			}
			if relevant > 0 && skipped == relevant {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ---------------------------------------------------------------------------
// Rules.

// loadRules loads the rule files of cfg, or the built-in rules.
func loadRules(cfg *replayConfig, reg engine.Registry) (*rules.Set, error) {
	opts := rules.Options{Fields: reg, EventTypes: scap.EventTypeIndex{}}
	if len(cfg.ruleFiles) == 0 {
		files, err := builtin.Files()
		if err != nil {
			return nil, err
		}
		return rules.LoadFiles(files, opts)
	}
	return rules.Load(cfg.ruleFiles, opts)
}

// ---------------------------------------------------------------------------
// Per-event context for detections.

// probe extracts one field's values as text, for building detections.
type probe struct {
	ex  engine.Extractor
	typ engine.FieldType
	buf []engine.Value
	txt []byte
}

// newProbe binds field ref (e.g. "proc.aname[2]"); nil when the registry
// does not have it.
func newProbe(reg engine.Registry, ref string) *probe {
	info, arg, err := engine.ResolveField(reg, ref)
	if err != nil {
		return nil
	}
	b, err := reg.Bind(info.Name, arg)
	if err != nil {
		return nil
	}
	typ := b.Type
	if typ == engine.TypeInvalid {
		typ = info.Type
	}
	return &probe{ex: b.Extractor, typ: typ}
}

// text returns the field's first value as text and whether it has one.
func (p *probe) text(ev engine.Event) (string, bool) {
	if p == nil {
		return "", false
	}
	p.buf = p.ex.Extract(ev, p.buf[:0])
	if len(p.buf) == 0 {
		return "", false
	}
	p.txt = engine.AppendValue(p.txt[:0], p.typ, p.buf[0])
	return string(p.txt), true
}

// int returns the field's first value as a signed integer.
func (p *probe) int(ev engine.Event) (int64, bool) {
	if p == nil {
		return 0, false
	}
	p.buf = p.ex.Extract(ev, p.buf[:0])
	if len(p.buf) == 0 {
		return 0, false
	}
	return int64(p.buf[0].Num), true
}

// maxAncestry bounds the ancestors a detection lists.
const maxAncestry = 8

// procProbes extract one process's description.
type procProbes struct {
	pid, name, exe, cmdline *probe
}

// contextProbes are the fields a detection's context is built from.
type contextProbes struct {
	self                          procProbes
	user, uid, tty                *probe
	cid, cname, cimage            *probe
	evtType, fdName, fdType, fdL4 *probe
	source, target                *probe
	ancestors                     [maxAncestry]procProbes
}

func newContextProbes(reg engine.Registry) *contextProbes {
	p := &contextProbes{
		self: procProbes{newProbe(reg, "proc.pid"), newProbe(reg, "proc.name"), newProbe(reg, "proc.exepath"),
			newProbe(reg, "proc.cmdline")},
		user: newProbe(reg, "user.name"), uid: newProbe(reg, "user.uid"), tty: newProbe(reg, "proc.tty"),
		cid: newProbe(reg, "container.id"), cname: newProbe(reg, "container.name"),
		cimage: newProbe(reg, "container.image"), evtType: newProbe(reg, "evt.type"),
		fdName: newProbe(reg, "fd.name"), fdType: newProbe(reg, "fd.typechar"), fdL4: newProbe(reg, "fd.l4proto"),
		source: newProbe(reg, "fs.path.source"), target: newProbe(reg, "fs.path.target"),
	}
	for i := range p.ancestors {
		n := strconv.Itoa(i + 1)
		p.ancestors[i] = procProbes{newProbe(reg, "proc.apid["+n+"]"), newProbe(reg, "proc.aname["+n+"]"),
			newProbe(reg, "proc.aexepath["+n+"]"), newProbe(reg, "proc.acmdline["+n+"]")}
	}
	return p
}

// process describes the process of pp for ev; ok is false when it has no pid.
func (pp *procProbes) process(ev engine.Event) (report.Process, bool) {
	pid, ok := pp.pid.int(ev)
	if !ok {
		return report.Process{}, false
	}
	p := report.Process{Pid: pid}
	p.Name, _ = pp.name.text(ev)
	p.Exe, _ = pp.exe.text(ev)
	p.Cmdline, _ = pp.cmdline.text(ev)
	return p, true
}

// fill completes d with ev's process, ancestry, container and objects.
func (p *contextProbes) fill(d *report.Detection, ev engine.Event) {
	d.EventType, _ = p.evtType.text(ev)
	if proc, ok := p.self.process(ev); ok {
		if u, ok := p.user.text(ev); ok && u != "" && u != engine.Missing {
			proc.User = u
		} else if uid, ok := p.uid.text(ev); ok {
			proc.User = uid
		}
		proc.Tty, _ = p.tty.int(ev)
		d.Process = proc
		for i := range p.ancestors {
			a, ok := p.ancestors[i].process(ev)
			if !ok {
				break
			}
			d.Ancestry = append(d.Ancestry, a)
		}
	}
	d.Container.ID, _ = p.cid.text(ev)
	d.Container.Name, _ = p.cname.text(ev)
	d.Container.Image, _ = p.cimage.text(ev)
	for _, c := range []*string{&d.Container.Name, &d.Container.Image} {
		if *c == engine.Missing {
			*c = ""
		}
	}
	for _, pr := range []*probe{p.source, p.target} {
		if s, ok := pr.text(ev); ok && s != "" && s != engine.Missing {
			d.Files = append(d.Files, s)
		}
	}
	name, ok := p.fdName.text(ev)
	if !ok || name == "" {
		return
	}
	switch typ, _ := p.fdType.text(ev); typ {
	case "4", "6":
		l4, _ := p.fdL4.text(ev)
		d.Network = append(d.Network, strings.TrimSpace(l4+" "+name))
	case "f", "d":
		if !slices.Contains(d.Files, name) {
			d.Files = append(d.Files, name)
		}
	}
}

// outputFields returns the typed values of a rule output's fields, as
// Falco's output_fields carry them.
func outputFields(f *engine.Format, ev engine.Event, scratch []byte) map[string]any {
	names := f.Fields()
	m := make(map[string]any, len(names))
	for i, n := range names {
		scratch = f.AppendJSONValue(scratch[:0], ev, i)
		dec := json.NewDecoder(bytes.NewReader(scratch))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			m[n] = string(scratch)
			continue
		}
		m[n] = jsonToReport(v)
	}
	return m
}

// jsonToReport converts a decoded JSON value to the types report accepts.
func jsonToReport(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return u
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(jsonToReport(x)))
		}
		return out
	}
	return v
}

// ---------------------------------------------------------------------------
// Scope (--since, --until, --container, --pid).

// scope is a scopeSpec bound for one worker.
type scope struct {
	spec             scopeSpec
	cid, cname, pid  *probe
	containerFilters bool
}

func newScope(spec scopeSpec, reg engine.Registry) *scope {
	s := &scope{spec: spec}
	if spec.container != "" {
		s.cid, s.cname = newProbe(reg, "container.id"), newProbe(reg, "container.name")
	}
	if spec.hasPid {
		s.pid = newProbe(reg, "proc.pid")
	}
	return s
}

// in reports whether e is inside the scope.
func (s *scope) in(e *replay.Event) bool {
	ts := e.Ev.Ts()
	if ts < s.spec.since || s.spec.until != 0 && ts > s.spec.until {
		return false
	}
	if s.spec.hasPid {
		if pid, ok := s.pid.int(e); !ok || pid != s.spec.pid {
			return false
		}
	}
	if s.spec.container != "" {
		id, _ := s.cid.text(e)
		if id == "" || id == engine.Missing {
			id = "host"
		}
		if id != s.spec.container && !strings.HasPrefix(id, s.spec.container) {
			name, _ := s.cname.text(e)
			if name != s.spec.container {
				return false
			}
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Running.

// item is one output record of a worker: a detection or, with -F, a line.
type item struct {
	ts   uint64
	det  *report.Detection
	line []byte
}

// captureResult is what a worker reports about its capture.
type captureResult struct {
	info  report.CaptureInfo
	items []item
	found uint64 // detections or matching events
	err   error
}

// progressCounter tracks bytes read across workers for the progress bar.
type progressCounter struct {
	read, total atomic.Int64
}

// runReplay runs cfg, writing the output to stdout (or cfg.outPath) and
// progress and warnings to stderr.
func runReplay(ctx context.Context, cfg *replayConfig, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reg := replay.NewFieldRegistry()
	var set *rules.Set
	if cfg.filter == "" {
		var err error
		set, err = loadRules(cfg, reg)
		if err != nil {
			return withCode(exitUsage, err)
		}
		if !cfg.quiet && len(set.Warnings) > 0 {
			fmt.Fprintf(stderr, "retrace: %d warnings in the rules (retrace rules validate shows them)\n", len(set.Warnings))
		}
		if !cfg.quiet && !cfg.allEvents {
			if names := ignoredRuleEvents(set, newEventFilter(cfg.compat032, false), cfg.compat032); len(names) > 0 {
				fmt.Fprintf(stderr, "retrace: warning: the rules match events that are not evaluated unless -A is given: %s\n",
					strings.Join(names, ","))
			}
		}
	} else if _, _, err := compileFilter(cfg, reg); err != nil {
		return withCode(exitUsage, err)
	}
	return replayWith(ctx, cfg, reg, set, stdout, stderr)
}

// replayWith runs cfg with loaded rules (set is nil with -F).
func replayWith(ctx context.Context, cfg *replayConfig, reg engine.Registry, set *rules.Set, stdout, stderr io.Writer) error {
	// Compiled rules are not safe for concurrent use: one ruleset per
	// worker, handed from capture to capture through a pool, and compiled
	// here because compiling from a Set is not safe for concurrent use
	// either.
	workers := min(len(cfg.files), max(runtime.GOMAXPROCS(0), 1))
	pool := make(chan *engine.Ruleset, workers)
	for range workers {
		var rs *engine.Ruleset
		if set != nil {
			var err error
			if rs, err = set.Ruleset(cfg.sel, cfg.mode); err != nil {
				return withCode(exitUsage, err)
			}
		}
		pool <- rs
	}
	start := time.Now()

	var out io.Writer = stdout
	var file *os.File
	if cfg.outPath != "" {
		f, err := os.Create(cfg.outPath)
		if err != nil {
			return withCode(exitFailure, fmt.Errorf("create output: %w", err))
		}
		file = f
		out = f
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	ropts := report.Options{TZ: cfg.loc}
	stream := len(cfg.files) == 1 && (cfg.filter != "" || cfg.format == report.FormatText || cfg.format == report.FormatJSON)

	var prog progressCounter
	for _, f := range cfg.files {
		if st, err := os.Stat(f); err == nil {
			prog.total.Add(st.Size())
		}
	}
	stopProgress := func() {}
	if cfg.progress {
		stopProgress = startProgress(stderr, &prog)
	}

	var writeErr error
	emit := func(it item) {
		if writeErr != nil {
			return
		}
		var line []byte
		switch {
		case it.line != nil:
			line = it.line
		case cfg.format == report.FormatJSON:
			line = report.AppendJSON(nil, it.det, ropts)
		default:
			line = report.AppendText(nil, it.det, ropts)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			writeErr = fmt.Errorf("write output: %w", err)
		}
	}

	results := make([]captureResult, len(cfg.files))
	var wg sync.WaitGroup
	for i, path := range cfg.files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := <-pool // at most one capture per worker at a time
			defer func() { pool <- rs }()
			var sink func(item)
			if stream {
				sink = emit
			}
			results[i] = replayCapture(ctx, cfg, reg, rs, path, sink, &prog)
		}()
	}
	wg.Wait()
	stopProgress()

	var errs []error
	var rep report.Report
	rep.RuleFiles = cfg.ruleFiles
	var all []item
	var events, found uint64
	for i := range results {
		r := &results[i]
		rep.Captures = append(rep.Captures, r.info)
		all = append(all, r.items...)
		events += r.info.Events
		found += r.found
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if !cfg.quiet {
		secs := time.Since(start).Seconds()
		what := "detections"
		if cfg.filter != "" {
			what = "matching events"
		}
		fmt.Fprintf(stderr, "retrace: %d events from %d captures in %.2fs (%.0f events/s), %d %s\n",
			events, len(cfg.files), secs, float64(events)/max(secs, 1e-9), found, what)
	}
	if !stream {
		slices.SortStableFunc(all, func(a, b item) int {
			switch {
			case a.ts < b.ts:
				return -1
			case a.ts > b.ts:
				return 1
			}
			return 0
		})
		switch {
		case cfg.filter != "" || cfg.format == report.FormatText || cfg.format == report.FormatJSON:
			for _, it := range all {
				emit(it)
			}
		default:
			for _, it := range all {
				rep.Detections = append(rep.Detections, *it.det)
			}
			if err := report.Write(bw, &rep, cfg.format, ropts); err != nil {
				writeErr = err
			}
		}
	}
	if err := bw.Flush(); err != nil && writeErr == nil {
		writeErr = fmt.Errorf("write output: %w", err)
	}
	if file != nil {
		if err := file.Close(); err != nil && writeErr == nil {
			writeErr = fmt.Errorf("write output: %w", err)
		}
	}
	if writeErr != nil {
		errs = append(errs, writeErr)
	}
	if len(errs) > 0 {
		return withCode(exitFailure, errors.Join(errs...))
	}
	return nil
}

// compileFilter compiles -F's filter and event format.
func compileFilter(cfg *replayConfig, reg engine.Registry) (*engine.Condition, *engine.Format, error) {
	opts := engine.CompileOptions{Registry: reg, EventTypes: scap.EventTypeIndex{}}
	root, err := engine.Parse(cfg.filter, engine.ParseOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("parse filter: %w", err)
	}
	cond, _, err := engine.Compile(root, cfg.filter, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("compile filter: %w", err)
	}
	format := strings.TrimPrefix(cfg.eventFormat, "*")
	if _, ok := reg.Info("evt.outputtime"); !ok {
		format = strings.ReplaceAll(format, "%evt.outputtime", "%evt.time")
	}
	f, err := engine.CompileFormat(format, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("compile format: %w", err)
	}
	return cond, f, nil
}

// sysdigHidden reports events sysdig does not print (procinfo fillers and
// container events, consumed into its tables).
func sysdigHidden(t scap.Type) bool {
	switch t {
	case scap.ProcinfoE, scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E:
		return true
	}
	return false
}

// replayCapture replays one capture. Items go to sink as they are found
// when sink is not nil, else into the result.
func replayCapture(ctx context.Context, cfg *replayConfig, reg engine.Registry, rs *engine.Ruleset, path string,
	sink func(item), prog *progressCounter) captureResult {
	res := captureResult{info: report.CaptureInfo{File: path}}
	rd, err := capture.Open(path)
	if err != nil {
		res.err = fmt.Errorf("replay %s: %w", path, err)
		return res
	}
	defer rd.Close()
	if h := rd.Header(); h != nil {
		if h.Machine != nil {
			res.info.Hostname = h.Machine.Hostname
		}
		if h.Metadata != nil && h.Metadata.Drops != nil {
			res.info.Drops = h.Metadata.Drops.Total
		}
	}
	if sink == nil {
		sink = func(it item) { res.items = append(res.items, it) }
	}
	emit := sink
	sink = func(it item) {
		res.found++
		emit(it)
	}

	sc := newScope(cfg.scope, reg)
	var handle replay.Handler
	if cfg.filter != "" {
		cond, format, err := compileFilter(cfg, reg)
		if err != nil {
			res.err = err
			return res
		}
		printAll := strings.HasPrefix(cfg.eventFormat, "*")
		var scratch []byte
		handle = func(e *replay.Event) error {
			if e.StateOnly || sysdigHidden(e.Ev.Type()) || !cond.MatchesEventType(e.DispatchID()) ||
				!sc.in(e) || !cond.Eval(e) {
				return nil
			}
			if !printAll {
				for i := range format.Fields() {
					if scratch = format.AppendJSONValue(scratch[:0], e, i); string(scratch) == "null" {
						return nil
					}
				}
			}
			sink(item{ts: e.Ev.Ts(), line: format.Append(nil, e)})
			return nil
		}
	} else {
		filter := newEventFilter(cfg.compat032, cfg.allEvents)
		probes := newContextProbes(reg)
		var scratch []byte
		handle = func(e *replay.Event) error {
			if e.StateOnly || filter.skip(e.Ev) || !sc.in(e) {
				return nil
			}
			for _, r := range rs.Match(e) {
				scratch = r.Output.Append(scratch[:0], e)
				d := &report.Detection{
					Time:     time.Unix(0, int64(e.Ev.Ts())),
					Rule:     r.Name,
					Priority: r.Priority.String(),
					Source:   r.Source,
					Tags:     r.Tags,
					Output:   string(scratch),
					Hostname: res.info.Hostname,
					Capture:  path,
					EventNum: e.Num,
				}
				d.OutputFields = outputFields(r.Output, e, scratch)
				probes.fill(d, e)
				sink(item{ts: e.Ev.Ts(), det: d})
			}
			return nil
		}
	}

	var first, last uint64
	var lastBytes int64
	n := 0
	st, err := replay.ReplayReader(ctx, rd, replay.Options{}, func(e *replay.Event) error {
		ts := e.Ev.Ts()
		if first == 0 {
			first = ts
		}
		last = ts
		if n++; n&0x3fff == 0 && prog != nil {
			b := rd.Stats().FileBytes
			prog.read.Add(b - lastBytes)
			lastBytes = b
		}
		return handle(e)
	})
	if prog != nil {
		prog.read.Add(rd.Stats().FileBytes - lastBytes)
	}
	if st != nil {
		res.info.Events = st.Stats().Events
		if h := st.Machine.Hostname; h != "" {
			res.info.Hostname = h
		}
	}
	if first != 0 {
		res.info.Start, res.info.End = time.Unix(0, int64(first)), time.Unix(0, int64(last))
	}
	if err != nil && !errors.Is(err, replay.ErrStop) {
		res.err = err
	}
	return res
}

// startProgress draws a progress bar on w (a terminal) until the returned
// function is called.
func startProgress(w io.Writer, p *progressCounter) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, progressLine(p.read.Load(), p.total.Load(), time.Since(start)))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// progressLine renders one progress bar update.
func progressLine(read, total int64, elapsed time.Duration) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(float64(read)/float64(total), 1)
	}
	fill := int(frac * width)
	return fmt.Sprintf("\r\033[K[%s%s] %3.0f%% %s/%s %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		frac*100, humanBytes(read), humanBytes(total), elapsed.Truncate(time.Second))
}

// humanBytes formats n bytes with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
