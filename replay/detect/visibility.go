package detect

import (
	"slices"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/rules"
)

// This file decides which events rules see: current Falco's and Falco
// 0.32's event visibility, with and without -A.

// Visibility says which events are handed to rules. Every event updates
// the state; Visibility only decides rule evaluation. It is read-only once
// built and safe for concurrent use.
type Visibility struct {
	compat032   bool
	skipCode    [scap.NumTypes]bool
	skipSyscall [scap.NumSyscalls]bool // generic events, by ppm_sc code
}

// Skips reports whether rules must not see ev.
func (f *Visibility) Skips(ev *scap.Event) bool {
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

// NewVisibility builds the rule visibility of a Falco version. Current
// Falco (compat032 false): enter events of syscalls that have an exit
// event are never evaluated (libs drops them), and unless allEvents (-A)
// neither are the high-volume I/O syscalls. Falco 0.32: every direction is
// evaluated, and unless allEvents the events 0.32's simple-consumer mode
// skipped are not.
func NewVisibility(compat032, allEvents bool) *Visibility {
	f := &Visibility{compat032: compat032}
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
		case scap.Type(c).HasExit():
			f.skipCode[c] = true
		}
	}
	return f
}

// IgnoredRuleEvents returns the evt.type names that enabled rules of set
// ask for and f never lets rules see, sorted (Falco's "ignored-evttype"
// warning).
func (f *Visibility) IgnoredRuleEvents(set *rules.Set) []string {
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
					if f.skipSyscall[id-scap.NumTypes] {
						skipped++
					}
					continue
				}
				if _, ok := scap.Lookup(scap.Type(id)); !ok {
					continue
				}
				if !f.compat032 && scap.Type(id).HasExit() {
					continue
				}
				relevant++
				if f.skipCode[id] {
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
