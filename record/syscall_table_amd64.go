// Code generated from Linux asm/unistd_64.h (x86_64 syscall numbers) and the
// PPM_SC_* codes of falcosecurity/libs driver/ppm_events_public.h; DO NOT EDIT.

package record

// syscallNames maps x86_64 syscall numbers to names.
var syscallNames = map[uint32]string{
	0:   "read",
	1:   "write",
	2:   "open",
	3:   "close",
	4:   "stat",
	5:   "fstat",
	6:   "lstat",
	7:   "poll",
	8:   "lseek",
	9:   "mmap",
	10:  "mprotect",
	11:  "munmap",
	12:  "brk",
	13:  "rt_sigaction",
	14:  "rt_sigprocmask",
	15:  "rt_sigreturn",
	16:  "ioctl",
	17:  "pread64",
	18:  "pwrite64",
	19:  "readv",
	20:  "writev",
	21:  "access",
	22:  "pipe",
	23:  "select",
	24:  "sched_yield",
	25:  "mremap",
	26:  "msync",
	27:  "mincore",
	28:  "madvise",
	29:  "shmget",
	30:  "shmat",
	31:  "shmctl",
	32:  "dup",
	33:  "dup2",
	34:  "pause",
	35:  "nanosleep",
	36:  "getitimer",
	37:  "alarm",
	38:  "setitimer",
	39:  "getpid",
	40:  "sendfile",
	41:  "socket",
	42:  "connect",
	43:  "accept",
	44:  "sendto",
	45:  "recvfrom",
	46:  "sendmsg",
	47:  "recvmsg",
	48:  "shutdown",
	49:  "bind",
	50:  "listen",
	51:  "getsockname",
	52:  "getpeername",
	53:  "socketpair",
	54:  "setsockopt",
	55:  "getsockopt",
	56:  "clone",
	57:  "fork",
	58:  "vfork",
	59:  "execve",
	60:  "exit",
	61:  "wait4",
	62:  "kill",
	63:  "uname",
	64:  "semget",
	65:  "semop",
	66:  "semctl",
	67:  "shmdt",
	68:  "msgget",
	69:  "msgsnd",
	70:  "msgrcv",
	71:  "msgctl",
	72:  "fcntl",
	73:  "flock",
	74:  "fsync",
	75:  "fdatasync",
	76:  "truncate",
	77:  "ftruncate",
	78:  "getdents",
	79:  "getcwd",
	80:  "chdir",
	81:  "fchdir",
	82:  "rename",
	83:  "mkdir",
	84:  "rmdir",
	85:  "creat",
	86:  "link",
	87:  "unlink",
	88:  "symlink",
	89:  "readlink",
	90:  "chmod",
	91:  "fchmod",
	92:  "chown",
	93:  "fchown",
	94:  "lchown",
	95:  "umask",
	96:  "gettimeofday",
	97:  "getrlimit",
	98:  "getrusage",
	99:  "sysinfo",
	100: "times",
	101: "ptrace",
	102: "getuid",
	103: "syslog",
	104: "getgid",
	105: "setuid",
	106: "setgid",
	107: "geteuid",
	108: "getegid",
	109: "setpgid",
	110: "getppid",
	111: "getpgrp",
	112: "setsid",
	113: "setreuid",
	114: "setregid",
	115: "getgroups",
	116: "setgroups",
	117: "setresuid",
	118: "getresuid",
	119: "setresgid",
	120: "getresgid",
	121: "getpgid",
	122: "setfsuid",
	123: "setfsgid",
	124: "getsid",
	125: "capget",
	126: "capset",
	127: "rt_sigpending",
	128: "rt_sigtimedwait",
	129: "rt_sigqueueinfo",
	130: "rt_sigsuspend",
	131: "sigaltstack",
	132: "utime",
	133: "mknod",
	134: "uselib",
	135: "personality",
	136: "ustat",
	137: "statfs",
	138: "fstatfs",
	139: "sysfs",
	140: "getpriority",
	141: "setpriority",
	142: "sched_setparam",
	143: "sched_getparam",
	144: "sched_setscheduler",
	145: "sched_getscheduler",
	146: "sched_get_priority_max",
	147: "sched_get_priority_min",
	148: "sched_rr_get_interval",
	149: "mlock",
	150: "munlock",
	151: "mlockall",
	152: "munlockall",
	153: "vhangup",
	154: "modify_ldt",
	155: "pivot_root",
	156: "_sysctl",
	157: "prctl",
	158: "arch_prctl",
	159: "adjtimex",
	160: "setrlimit",
	161: "chroot",
	162: "sync",
	163: "acct",
	164: "settimeofday",
	165: "mount",
	166: "umount2",
	167: "swapon",
	168: "swapoff",
	169: "reboot",
	170: "sethostname",
	171: "setdomainname",
	172: "iopl",
	173: "ioperm",
	174: "create_module",
	175: "init_module",
	176: "delete_module",
	177: "get_kernel_syms",
	178: "query_module",
	179: "quotactl",
	180: "nfsservctl",
	181: "getpmsg",
	182: "putpmsg",
	183: "afs_syscall",
	184: "tuxcall",
	185: "security",
	186: "gettid",
	187: "readahead",
	188: "setxattr",
	189: "lsetxattr",
	190: "fsetxattr",
	191: "getxattr",
	192: "lgetxattr",
	193: "fgetxattr",
	194: "listxattr",
	195: "llistxattr",
	196: "flistxattr",
	197: "removexattr",
	198: "lremovexattr",
	199: "fremovexattr",
	200: "tkill",
	201: "time",
	202: "futex",
	203: "sched_setaffinity",
	204: "sched_getaffinity",
	205: "set_thread_area",
	206: "io_setup",
	207: "io_destroy",
	208: "io_getevents",
	209: "io_submit",
	210: "io_cancel",
	211: "get_thread_area",
	212: "lookup_dcookie",
	213: "epoll_create",
	214: "epoll_ctl_old",
	215: "epoll_wait_old",
	216: "remap_file_pages",
	217: "getdents64",
	218: "set_tid_address",
	219: "restart_syscall",
	220: "semtimedop",
	221: "fadvise64",
	222: "timer_create",
	223: "timer_settime",
	224: "timer_gettime",
	225: "timer_getoverrun",
	226: "timer_delete",
	227: "clock_settime",
	228: "clock_gettime",
	229: "clock_getres",
	230: "clock_nanosleep",
	231: "exit_group",
	232: "epoll_wait",
	233: "epoll_ctl",
	234: "tgkill",
	235: "utimes",
	236: "vserver",
	237: "mbind",
	238: "set_mempolicy",
	239: "get_mempolicy",
	240: "mq_open",
	241: "mq_unlink",
	242: "mq_timedsend",
	243: "mq_timedreceive",
	244: "mq_notify",
	245: "mq_getsetattr",
	246: "kexec_load",
	247: "waitid",
	248: "add_key",
	249: "request_key",
	250: "keyctl",
	251: "ioprio_set",
	252: "ioprio_get",
	253: "inotify_init",
	254: "inotify_add_watch",
	255: "inotify_rm_watch",
	256: "migrate_pages",
	257: "openat",
	258: "mkdirat",
	259: "mknodat",
	260: "fchownat",
	261: "futimesat",
	262: "newfstatat",
	263: "unlinkat",
	264: "renameat",
	265: "linkat",
	266: "symlinkat",
	267: "readlinkat",
	268: "fchmodat",
	269: "faccessat",
	270: "pselect6",
	271: "ppoll",
	272: "unshare",
	273: "set_robust_list",
	274: "get_robust_list",
	275: "splice",
	276: "tee",
	277: "sync_file_range",
	278: "vmsplice",
	279: "move_pages",
	280: "utimensat",
	281: "epoll_pwait",
	282: "signalfd",
	283: "timerfd_create",
	284: "eventfd",
	285: "fallocate",
	286: "timerfd_settime",
	287: "timerfd_gettime",
	288: "accept4",
	289: "signalfd4",
	290: "eventfd2",
	291: "epoll_create1",
	292: "dup3",
	293: "pipe2",
	294: "inotify_init1",
	295: "preadv",
	296: "pwritev",
	297: "rt_tgsigqueueinfo",
	298: "perf_event_open",
	299: "recvmmsg",
	300: "fanotify_init",
	301: "fanotify_mark",
	302: "prlimit64",
	303: "name_to_handle_at",
	304: "open_by_handle_at",
	305: "clock_adjtime",
	306: "syncfs",
	307: "sendmmsg",
	308: "setns",
	309: "getcpu",
	310: "process_vm_readv",
	311: "process_vm_writev",
	312: "kcmp",
	313: "finit_module",
	314: "sched_setattr",
	315: "sched_getattr",
	316: "renameat2",
	317: "seccomp",
	318: "getrandom",
	319: "memfd_create",
	320: "kexec_file_load",
	321: "bpf",
	322: "execveat",
	323: "userfaultfd",
	324: "membarrier",
	325: "mlock2",
	326: "copy_file_range",
	327: "preadv2",
	328: "pwritev2",
	329: "pkey_mprotect",
	330: "pkey_alloc",
	331: "pkey_free",
	332: "statx",
	333: "io_pgetevents",
	334: "rseq",
	424: "pidfd_send_signal",
	425: "io_uring_setup",
	426: "io_uring_enter",
	427: "io_uring_register",
	428: "open_tree",
	429: "move_mount",
	430: "fsopen",
	431: "fsconfig",
	432: "fsmount",
	433: "fspick",
	434: "pidfd_open",
	435: "clone3",
	436: "close_range",
	437: "openat2",
	438: "pidfd_getfd",
	439: "faccessat2",
	440: "process_madvise",
	441: "epoll_pwait2",
	442: "mount_setattr",
	443: "quotactl_fd",
	444: "landlock_create_ruleset",
	445: "landlock_add_rule",
	446: "landlock_restrict_self",
	447: "memfd_secret",
	448: "process_mrelease",
	449: "futex_waitv",
	450: "set_mempolicy_home_node",
}

// ppmSyscallCodes maps x86_64 syscall numbers to scap's syscall codes (PPM_SC_*),
// the ID parameter of generic events.
var ppmSyscallCodes = map[uint32]uint16{
	0:   3,   // read
	1:   4,   // write
	2:   5,   // open
	3:   6,   // close
	4:   14,  // stat
	5:   20,  // fstat
	6:   50,  // lstat
	7:   105, // poll
	8:   15,  // lseek
	9:   55,  // mmap
	10:  75,  // mprotect
	11:  56,  // munmap
	12:  32,  // brk
	13:  107, // rt_sigaction
	14:  108, // rt_sigprocmask
	15:  298, // rt_sigreturn
	16:  34,  // ioctl
	17:  294, // pread64
	18:  295, // pwrite64
	19:  87,  // readv
	20:  88,  // writev
	21:  23,  // access
	22:  30,  // pipe
	23:  84,  // select
	24:  99,  // sched_yield
	25:  104, // mremap
	26:  86,  // msync
	27:  138, // mincore
	28:  139, // madvise
	29:  267, // shmget
	30:  297, // shmat
	31:  268, // shmctl
	32:  29,  // dup
	33:  40,  // dup2
	34:  21,  // pause
	35:  103, // nanosleep
	36:  66,  // getitimer
	37:  19,  // alarm
	38:  65,  // setitimer
	39:  16,  // getpid
	40:  116, // sendfile
	41:  241, // socket
	42:  243, // connect
	43:  245, // accept
	44:  249, // sendto
	45:  250, // recvfrom
	46:  254, // sendmsg
	47:  256, // recvmsg
	48:  251, // shutdown
	49:  242, // bind
	50:  244, // listen
	51:  246, // getsockname
	52:  247, // getpeername
	53:  248, // socketpair
	54:  252, // setsockopt
	55:  253, // getsockopt
	56:  327, // clone
	57:  303, // fork
	58:  304, // vfork
	59:  324, // execve
	60:  2,   // exit
	61:  69,  // wait4
	62:  25,  // kill
	63:  67,  // uname
	64:  260, // semget
	65:  259, // semop
	66:  261, // semctl
	67:  266, // shmdt
	68:  264, // msgget
	69:  262, // msgsnd
	70:  263, // msgrcv
	71:  265, // msgctl
	72:  35,  // fcntl
	73:  85,  // flock
	74:  72,  // fsync
	75:  90,  // fdatasync
	76:  57,  // truncate
	77:  58,  // ftruncate
	78:  83,  // getdents
	79:  113, // getcwd
	80:  10,  // chdir
	81:  80,  // fchdir
	82:  26,  // rename
	83:  27,  // mkdir
	84:  28,  // rmdir
	85:  7,   // creat
	86:  8,   // link
	87:  9,   // unlink
	88:  49,  // symlink
	89:  51,  // readlink
	90:  13,  // chmod
	91:  59,  // fchmod
	92:  132, // chown
	93:  127, // fchown
	94:  118, // lchown
	95:  37,  // umask
	96:  47,  // gettimeofday
	97:  117, // getrlimit
	98:  46,  // getrusage
	99:  71,  // sysinfo
	100: 31,  // times
	101: 18,  // ptrace
	102: 119, // getuid
	103: 64,  // syslog
	104: 120, // getgid
	105: 133, // setuid
	106: 134, // setgid
	107: 121, // geteuid
	108: 122, // getegid
	109: 36,  // setpgid
	110: 41,  // getppid
	111: 42,  // getpgrp
	112: 43,  // setsid
	113: 123, // setreuid
	114: 124, // setregid
	115: 125, // getgroups
	116: 126, // setgroups
	117: 128, // setresuid
	118: 129, // getresuid
	119: 130, // setresgid
	120: 131, // getresgid
	121: 79,  // getpgid
	122: 135, // setfsuid
	123: 136, // setfsgid
	124: 89,  // getsid
	125: 114, // capget
	126: 115, // capset
	127: 109, // rt_sigpending
	128: 110, // rt_sigtimedwait
	129: 111, // rt_sigqueueinfo
	130: 112, // rt_sigsuspend
	131: 317, // sigaltstack
	132: 22,  // utime
	133: 12,  // mknod
	134: 52,  // uselib
	135: 82,  // personality
	136: 39,  // ustat
	137: 62,  // statfs
	138: 63,  // fstatfs
	139: 81,  // sysfs
	140: 60,  // getpriority
	141: 61,  // setpriority
	142: 95,  // sched_setparam
	143: 96,  // sched_getparam
	144: 97,  // sched_setscheduler
	145: 98,  // sched_getscheduler
	146: 100, // sched_get_priority_max
	147: 101, // sched_get_priority_min
	148: 102, // sched_rr_get_interval
	149: 91,  // mlock
	150: 92,  // munlock
	151: 93,  // mlockall
	152: 94,  // munlockall
	153: 68,  // vhangup
	154: 366, // modify_ldt
	155: 137, // pivot_root
	156: 385, // _sysctl
	157: 106, // prctl
	158: 296, // arch_prctl
	159: 74,  // adjtimex
	160: 45,  // setrlimit
	161: 38,  // chroot
	162: 24,  // sync
	163: 33,  // acct
	164: 48,  // settimeofday
	165: 17,  // mount
	166: 323, // umount2
	167: 53,  // swapon
	168: 70,  // swapoff
	169: 54,  // reboot
	170: 44,  // sethostname
	171: 73,  // setdomainname
	172: 391, // iopl
	173: 344, // ioperm
	174: 381, // create_module
	175: 76,  // init_module
	176: 77,  // delete_module
	177: 372, // get_kernel_syms
	178: 386, // query_module
	179: 78,  // quotactl
	180: 378, // nfsservctl
	181: 375, // getpmsg
	186: 140, // gettid
	187: 373, // readahead
	188: 141, // setxattr
	189: 142, // lsetxattr
	190: 143, // fsetxattr
	191: 144, // getxattr
	192: 145, // lgetxattr
	193: 146, // fgetxattr
	194: 147, // listxattr
	195: 148, // llistxattr
	196: 149, // flistxattr
	197: 150, // removexattr
	198: 151, // lremovexattr
	199: 152, // fremovexattr
	200: 153, // tkill
	201: 11,  // time
	202: 154, // futex
	203: 155, // sched_setaffinity
	204: 156, // sched_getaffinity
	205: 157, // set_thread_area
	206: 159, // io_setup
	207: 160, // io_destroy
	208: 161, // io_getevents
	209: 162, // io_submit
	210: 163, // io_cancel
	211: 158, // get_thread_area
	212: 365, // lookup_dcookie
	213: 165, // epoll_create
	214: 364, // epoll_ctl_old
	215: 379, // epoll_wait_old
	216: 168, // remap_file_pages
	217: 240, // getdents64
	218: 169, // set_tid_address
	219: 1,   // restart_syscall
	220: 371, // semtimedop
	221: 319, // fadvise64
	222: 170, // timer_create
	223: 171, // timer_settime
	224: 172, // timer_gettime
	225: 173, // timer_getoverrun
	226: 174, // timer_delete
	227: 175, // clock_settime
	228: 176, // clock_gettime
	229: 177, // clock_getres
	230: 178, // clock_nanosleep
	231: 164, // exit_group
	232: 167, // epoll_wait
	233: 166, // epoll_ctl
	234: 179, // tgkill
	235: 180, // utimes
	237: 363, // mbind
	238: 368, // set_mempolicy
	239: 387, // get_mempolicy
	240: 181, // mq_open
	241: 182, // mq_unlink
	242: 183, // mq_timedsend
	243: 184, // mq_timedreceive
	244: 185, // mq_notify
	245: 186, // mq_getsetattr
	246: 187, // kexec_load
	247: 188, // waitid
	248: 189, // add_key
	249: 190, // request_key
	250: 191, // keyctl
	251: 192, // ioprio_set
	252: 193, // ioprio_get
	253: 194, // inotify_init
	254: 195, // inotify_add_watch
	255: 196, // inotify_rm_watch
	256: 357, // migrate_pages
	257: 197, // openat
	258: 198, // mkdirat
	259: 199, // mknodat
	260: 200, // fchownat
	261: 201, // futimesat
	262: 300, // newfstatat
	263: 202, // unlinkat
	264: 203, // renameat
	265: 204, // linkat
	266: 205, // symlinkat
	267: 206, // readlinkat
	268: 207, // fchmodat
	269: 208, // faccessat
	270: 209, // pselect6
	271: 210, // ppoll
	272: 211, // unshare
	273: 212, // set_robust_list
	274: 213, // get_robust_list
	275: 214, // splice
	276: 215, // tee
	277: 388, // sync_file_range
	278: 216, // vmsplice
	279: 358, // move_pages
	280: 219, // utimensat
	281: 218, // epoll_pwait
	282: 220, // signalfd
	283: 221, // timerfd_create
	284: 222, // eventfd
	285: 299, // fallocate
	286: 223, // timerfd_settime
	287: 224, // timerfd_gettime
	288: 258, // accept4
	289: 225, // signalfd4
	290: 226, // eventfd2
	291: 227, // epoll_create1
	292: 228, // dup3
	293: 229, // pipe2
	294: 230, // inotify_init1
	295: 231, // preadv
	296: 232, // pwritev
	297: 233, // rt_tgsigqueueinfo
	298: 234, // perf_event_open
	299: 257, // recvmmsg
	300: 235, // fanotify_init
	301: 393, // fanotify_mark
	302: 236, // prlimit64
	303: 376, // name_to_handle_at
	304: 329, // open_by_handle_at
	305: 237, // clock_adjtime
	306: 238, // syncfs
	307: 255, // sendmmsg
	308: 239, // setns
	309: 217, // getcpu
	310: 301, // process_vm_readv
	311: 302, // process_vm_writev
	312: 361, // kcmp
	313: 314, // finit_module
	314: 362, // sched_setattr
	315: 383, // sched_getattr
	316: 320, // renameat2
	317: 316, // seccomp
	318: 318, // getrandom
	319: 342, // memfd_create
	320: 345, // kexec_file_load
	321: 315, // bpf
	322: 325, // execveat
	323: 321, // userfaultfd
	324: 390, // membarrier
	325: 333, // mlock2
	326: 326, // copy_file_range
	327: 359, // preadv2
	328: 360, // pwritev2
	329: 350, // pkey_mprotect
	330: 349, // pkey_alloc
	331: 351, // pkey_free
	332: 367, // statx
	333: 369, // io_pgetevents
	334: 380, // rseq
	424: 348, // pidfd_send_signal
	425: 330, // io_uring_setup
	426: 331, // io_uring_enter
	427: 332, // io_uring_register
	428: 339, // open_tree
	429: 340, // move_mount
	430: 338, // fsopen
	431: 335, // fsconfig
	432: 337, // fsmount
	433: 336, // fspick
	434: 347, // pidfd_open
	435: 328, // clone3
	436: 392, // close_range
	437: 322, // openat2
	438: 346, // pidfd_getfd
	439: 384, // faccessat2
	440: 389, // process_madvise
	441: 356, // epoll_pwait2
	442: 341, // mount_setattr
	443: 353, // quotactl_fd
	444: 352, // landlock_create_ruleset
	445: 355, // landlock_add_rule
	446: 354, // landlock_restrict_self
	447: 343, // memfd_secret
	448: 377, // process_mrelease
	449: 374, // futex_waitv
	450: 370, // set_mempolicy_home_node
}
