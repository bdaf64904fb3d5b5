//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * retrace recorder: BPF programs that write scap-encoded syscall events
 * (the event profile of docs/FORMAT.md) into a BPF ring buffer.
 *
 * Layout of one ring-buffer record: u32 cpu, u32 reserved, then one scap
 * event (26-byte header: u64 ts, u64 tid, u32 len, u16 type, u32 nparams;
 * nparams u16 lengths; the parameter values back to back).
 *
 * Each syscall's encoder writes its event from the saved user registers and
 * the current task. It is one body compiled into two programs (see
 * SYSCALL_EXIT): NAME_tp, a classic tracepoint program the loader attaches
 * to syscalls/sys_exit_<syscall> of each recorded syscall, so that other
 * syscalls run no BPF at all; and NAME, a tp_btf program that the raw
 * sys_exit dispatch at the end of this file tail-calls (--all-syscalls, and
 * kernels lacking a recorded syscall's tracepoint). In that mode sys_enter
 * also counts the syscalls outside the recorded set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* ---- configuration, set by the loader before the programs load ---- */

#define MAX_SYSCALLS 512

/* syscall_flags[nr]: SC_RECORD when the syscall's exit event is written. */
#define SC_RECORD 1
#define SC_GENERIC 2
#define SC_ENTER 4 /* sys_enter tail-calls enter_progs[nr] (execve, execveat) */

const volatile u8 syscall_flags[MAX_SYSCALLS];
/* ppm_sc[nr]: scap's syscall code, for generic events. */
const volatile u16 ppm_sc[MAX_SYSCALLS];
const volatile u32 self_tgid;
const volatile u64 boot_epoch_ns;
const volatile u32 snaplen = 80;
const volatile u32 capture_env = 1;
const volatile u64 wakeup_bytes = 256 * 1024;
const volatile u32 filter_comm_len;
const volatile char filter_comm[16];
/* only_command: record only the recorder's creation descendants (see
 * descendants, sched_fork). */
const volatile u32 only_command;
/* Set by the loader when it detaches: the programs stop writing events at
 * once (closing a tracepoint's perf event takes the kernel a grace period
 * each, so the detach itself takes seconds). */
volatile u32 stopped;

/* ---- maps ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, u32);
	__type(value, u32);
} exit_progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, u32);
	__type(value, u32);
} enter_progs SEC(".maps");

/* Scratch space for encoding one event; one slot per CPU (tracepoint
 * programs run with migration disabled and never nest on one CPU). */
#define REC_SIZE 65536
#define REC_MASK 32767 /* events are at most 32 KiB */
#define EV_OFF 8       /* the event starts after the u32 cpu, u32 reserved prefix */
#define TMP_SIZE 8192
#define TMP_END 4096
#define PATH_MAX_LEN 4095

/* Kernel constants (include/linux/fs.h, include/uapi/linux/capability.h). */
#define SB_RDONLY 1         /* super_block.s_flags: mounted read-only */
#define S_IMMUTABLE 8       /* inode.i_flags: immutable file */
#define CAP_DAC_OVERRIDE 1

/* State of a path walk (dentries/mounts or kernfs nodes) or cgroup scan. */
struct walkstate {
	u64 d, vmnt, root_d, root_mnt, kn, cgs;
	u32 pos, start;
};

struct scratch {
	struct walkstate w;
	u64 ts;      /* timestamp of the record's events */
	u32 base;    /* start of the event being encoded, relative to rec */
	u32 off;     /* next byte of the event's value area, relative to rec */
	u32 idx;     /* next parameter index */
	u32 nparams; /* parameter count of the event being encoded */
	u32 pos;     /* start of the path being built in tmp */
	u8 rec[REC_SIZE];
	u8 tmp[TMP_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the number of possible CPUs by the loader */
	__type(key, u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* The path an execve was called with, kept from sys_enter to sys_exit for
 * the exit event's filename parameter (user memory is gone after a
 * successful exec). Freed with the task. */
struct exec_path {
	char path[4096];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_path);
} exec_paths SEC(".maps");

/* Per-CPU counters, read by userspace into the capture's metadata. */
struct stats {
	u64 events;       /* events written to the ring buffer */
	u64 drops;        /* events lost because the ring buffer was full (an
			   * enter/exit record counts two) */
	u64 drop_markers; /* drops already announced in the stream by a drop event */
	u64 empty_reads;  /* parameters left empty because a memory read failed */
	u64 truncated;    /* events cut short because they exceeded the event size */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct stats);
} stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, u32);
	__type(value, u64);
} unrecorded SEC(".maps");

/* With only_command, the recorder's creation descendants: thread id ->
 * tgid of the recorder's child it descends from. Filled by sched_fork;
 * userspace keeps the command's tree out of it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, u32);
} descendants SEC(".maps");

/* ---- small helpers ---- */

/* GLOBAL marks helpers the verifier checks once, on their own, instead of at
 * every call site; this keeps large events (execve) within its limits. */
#define GLOBAL __attribute__((noinline))



static __always_inline struct scratch *get_scratch(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratch_map, &cpu);
}

static __always_inline struct stats *get_stats(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&stats_map, &zero);
}

static __always_inline void count_empty_read(void)
{
	struct stats *st = get_stats();
	if (st)
		st->empty_reads++;
}

/* outside_command reports whether --only-command leaves the current
 * thread out. */
static __always_inline bool outside_command(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	return only_command && !bpf_map_lookup_elem(&descendants, &tid);
}

static __always_inline bool filtered_out(void)
{
	if (stopped)
		return true;
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((u32)(pid_tgid >> 32) == self_tgid)
		return true;
	if (outside_command())
		return true;
	if (filter_comm_len) {
		char comm[16] = {};
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < 16; i++) {
			if (i >= filter_comm_len)
				break;
			if (comm[i] != filter_comm[i])
				return true;
		}
		if (filter_comm_len < 16 && comm[filter_comm_len & 15] != 0)
			return true;
	}
	return false;
}

/* ---- program entry points ---- */

/* Context of the syscalls/sys_exit_* and sys_enter_* tracepoints
 * (tracefs events/syscalls/<name>/format): 8 bytes of common fields, the
 * syscall number, then the return value or the arguments. */
struct syscall_exit_args {
	u64 common;
	s64 nr;
	s64 ret;
};

/* task_regs returns the user registers saved at syscall entry: the same
 * structure tp_btf programs receive as their regs argument. */
static __always_inline struct pt_regs *task_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* SYSCALL_EXIT(name) { body } defines the exit encoder name: body sees regs
 * (struct pt_regs *) and ret (long). It yields two programs with the same
 * body: name (tp_btf, a tail call target of sys_exit, which filters before
 * the call) and name_tp (tracepoint, filters itself). */
#define SYSCALL_EXIT(name)                                                     \
	static __always_inline int name##_body(struct pt_regs *regs, long ret); \
	SEC("tp_btf/sys_exit")                                                  \
	int BPF_PROG(name, struct pt_regs *regs, long ret)                      \
	{                                                                       \
		return name##_body(regs, ret);                                  \
	}                                                                       \
	SEC("tracepoint")                                                       \
	int name##_tp(struct syscall_exit_args *args)                           \
	{                                                                       \
		if (filtered_out())                                             \
			return 0;                                               \
		return name##_body(task_regs(), args->ret);                     \
	}                                                                       \
	static __always_inline int name##_body(struct pt_regs *regs, long ret)

/* ---- the event encoder ---- */

/* ev_begin starts an event at base (EV_OFF for the first event of a
 * record; s->off for an event following another one in the same record). */
static __always_inline void ev_begin_at(struct scratch *s, u32 base, u16 type, u32 nparams)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (base > REC_MASK - 128)
		base = REC_MASK - 128;
	*(u64 *)&s->rec[(base + 8) & REC_MASK] = (u32)pid_tgid;
	*(u16 *)&s->rec[(base + 20) & REC_MASK] = type;
	*(u32 *)&s->rec[(base + 22) & REC_MASK] = nparams;
	s->base = base;
	s->nparams = nparams;
	s->idx = 0;
	s->off = base + 26 + 2 * nparams;
}

static __always_inline void ev_begin(struct scratch *s, u16 type, u32 nparams)
{
	/* One clock read per record: an enter event and its exit share it. */
	s->ts = boot_epoch_ns + bpf_ktime_get_boot_ns();
	*(u32 *)&s->rec[0] = bpf_get_smp_processor_id();
	*(u32 *)&s->rec[4] = 0;
	__builtin_memset(&s->rec[EV_OFF + 26], 0, 2 * 40);
	ev_begin_at(s, EV_OFF, type, nparams);
}

/* ev_end closes the current event: its length and timestamp. */
static __always_inline void ev_end(struct scratch *s)
{
	u32 base = s->base;
	*(u64 *)&s->rec[base & REC_MASK] = s->ts;
	*(u32 *)&s->rec[(base + 16) & REC_MASK] = s->off - base;
}

/* ev_next closes the current event and starts another one after it, in the
 * same ring-buffer record (an enter event followed by its exit event). */
static __always_inline void ev_next(struct scratch *s, u16 type, u32 nparams)
{
	ev_end(s);
	ev_begin_at(s, s->off, type, nparams);
}

static __always_inline void ev_len(struct scratch *s, u32 len)
{
	u32 i = s->idx;
	if (i >= 40)
		return;
	*(u16 *)&s->rec[(s->base + 26 + 2 * i) & REC_MASK] = len;
	s->idx = i + 1;
}

#define DEFINE_PUT(name, type)                                              \
	GLOBAL int name(struct scratch *s, type v)                          \
	{                                                                   \
		if (!s)                                                     \
			return 0;                                           \
		u32 off = s->off;                                           \
		if (off > REC_MASK - sizeof(type)) {                        \
			ev_len(s, 0);                                       \
			return 0;                                           \
		}                                                           \
		*(type *)&s->rec[off & REC_MASK] = v;                       \
		s->off = off + sizeof(type);                                \
		ev_len(s, sizeof(type));                                    \
		return 0;                                                   \
	}

DEFINE_PUT(put_u8, u8)
DEFINE_PUT(put_u16, u16)
DEFINE_PUT(put_u32, u32)
DEFINE_PUT(put_u64, u64)

static __always_inline void put_s64(struct scratch *s, s64 v) { put_u64(s, (u64)v); }

static __always_inline void put_empty(struct scratch *s) { ev_len(s, 0); }

/* put_ustr writes a NUL-terminated user string of at most max bytes. */
GLOBAL int put_ustr(struct scratch *s, u64 uptr, u32 max)
{
	const void *ptr = (const void *)uptr;
	if (!s)
		return 0;
	u32 off = s->off;
	if (!ptr) {
		put_empty(s);
		return 0;
	}
	if (off > REC_MASK - 1) {
		put_empty(s);
		return 0;
	}
	u64 m = max > 4096 ? 4096 : max;
	asm volatile("%0 &= 0x1fff" : "+r"(m));
	long n = bpf_probe_read_user_str(&s->rec[off & REC_MASK], m, ptr);
	if (n <= 0) {
		count_empty_read();
		put_empty(s);
		return 0;
	}
	s->off = off + n;
	ev_len(s, n);
	return 0;
}

/* put_kstr writes a NUL-terminated kernel string of at most max bytes. */
GLOBAL int put_kstr(struct scratch *s, u64 kptr, u32 max)
{
	const void *ptr = (const void *)kptr;
	if (!s)
		return 0;
	u32 off = s->off;
	if (!ptr || off > REC_MASK - 1) {
		put_empty(s);
		return 0;
	}
	u64 m = max > 4096 ? 4096 : max;
	asm volatile("%0 &= 0x1fff" : "+r"(m));
	long n = bpf_probe_read_kernel_str(&s->rec[off & REC_MASK], m, ptr);
	if (n <= 0) {
		put_empty(s);
		return 0;
	}
	s->off = off + n;
	ev_len(s, n);
	return 0;
}

/* put_ubuf writes len bytes of user memory (len is capped at 16 KiB). */
GLOBAL int put_ubuf(struct scratch *s, u64 uptr, u32 len)
{
	const void *ptr = (const void *)uptr;
	if (!s)
		return 0;
	u32 off = s->off;
	if (len == 0 || !ptr || off > REC_MASK - 1) {
		put_empty(s);
		return 0;
	}
	len &= 0x7fff;
	if (len > 16384)
		len = 16384;
	barrier_var(len);
	if (len == 0) {
		put_empty(s);
		return 0;
	}
	if (bpf_probe_read_user(&s->rec[off & REC_MASK], len, ptr) < 0) {
		count_empty_read();
		put_empty(s);
		return 0;
	}
	s->off = off + len;
	ev_len(s, len);
	return 0;
}

/* raw_ubuf appends user memory to the value area without closing a parameter. */
GLOBAL int raw_ubuf(struct scratch *s, u64 uptr, u32 len)
{
	const void *ptr = (const void *)uptr;
	if (!s)
		return 0;
	u32 off = s->off;
	if (off > REC_MASK - 1)
		return -1;
	len &= 0x3fff;
	barrier_var(len);
	if (len == 0)
		return 0;
	if (bpf_probe_read_user(&s->rec[off & REC_MASK], len, ptr) < 0)
		return -1;
	s->off = off + len;
	return len;
}

static __always_inline void raw_u8(struct scratch *s, u8 v)
{
	u32 off = s->off;
	if (off > REC_MASK - 1)
		return;
	s->rec[off & REC_MASK] = v;
	s->off = off + 1;
}

static __always_inline void raw_u16(struct scratch *s, u16 v)
{
	u32 off = s->off;
	if (off > REC_MASK - 2)
		return;
	*(u16 *)&s->rec[off & REC_MASK] = v;
	s->off = off + 2;
}

static __always_inline void raw_u32(struct scratch *s, u32 v)
{
	u32 off = s->off;
	if (off > REC_MASK - 4)
		return;
	*(u32 *)&s->rec[off & REC_MASK] = v;
	s->off = off + 4;
}

static __always_inline void raw_u64(struct scratch *s, u64 v)
{
	u32 off = s->off;
	if (off > REC_MASK - 8)
		return;
	*(u64 *)&s->rec[off & REC_MASK] = v;
	s->off = off + 8;
}

GLOBAL int raw_kbuf(struct scratch *s, u64 kptr, u32 len)
{
	const void *ptr = (const void *)kptr;
	if (!s)
		return 0;
	u32 off = s->off;
	if (off > REC_MASK - 1)
		return 0;
	len &= 0x3fff;
	barrier_var(len);
	if (len == 0)
		return 0;
	if (bpf_probe_read_kernel(&s->rec[off & REC_MASK], len, ptr) < 0)
		return 0;
	s->off = off + len;
	return 0;
}

/* emit_drop_marker writes a drop enter/exit pair (PPME_DROP_E, PPME_DROP_X)
 * whose ratio is the number of events lost on this CPU since the last one. */
static __always_inline void emit_drop_marker(struct stats *st)
{
	u8 rec[EV_OFF + 2 * 32] = {};
	u64 lost = st->drops - st->drop_markers;
	u64 ts = boot_epoch_ns + bpf_ktime_get_boot_ns();
	u64 tid = (u32)bpf_get_current_pid_tgid();
	u32 ratio = lost > 0xffffffff ? 0xffffffff : (u32)lost;
	*(u32 *)&rec[0] = bpf_get_smp_processor_id();
	for (int i = 0; i < 2; i++) {
		u32 b = EV_OFF + 32 * i;
		*(u64 *)&rec[b] = ts;
		*(u64 *)&rec[b + 8] = tid;
		*(u32 *)&rec[b + 16] = 26 + 2 + 4;
		*(u16 *)&rec[b + 20] = PPME_DROP_E + i;
		*(u32 *)&rec[b + 22] = 1;
		*(u16 *)&rec[b + 26] = 4;
		*(u32 *)&rec[b + 28] = ratio;
	}
	if (bpf_ringbuf_output(&events, rec, sizeof(rec), BPF_RB_FORCE_WAKEUP) == 0) {
		st->drop_markers = st->drops;
		st->events += 2;
	}
}

GLOBAL int ev_submit(struct scratch *s)
{
	if (!s)
		return 0;
	struct stats *st = get_stats();
	u32 len = s->off;
	u64 flags;

	/* Parameters that could not be encoded keep the zero length ev_begin
	 * wrote: they read as empty. */
	if (len > REC_MASK) {
		if (st)
			st->truncated++;
		return 0;
	}
	ev_end(s);
	/* A record holds one event, or an enter event and its exit. */
	u64 nev = s->base > EV_OFF ? 2 : 1;
	if (st && st->drops != st->drop_markers)
		emit_drop_marker(st);
	/* Batched wakeups: the reader polls every 20 ms; besides, every 64th
	 * event on a CPU checks the pending data and wakes the reader once
	 * wakeup_bytes are waiting. Querying on every event costs a cache miss
	 * on the ring's positions (measured: ~3x the encoding cost). */
	flags = BPF_RB_NO_WAKEUP;
	if (st && (st->events >> 6) != ((st->events + nev) >> 6) &&
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, s->rec, len & REC_MASK, flags) != 0) {
		if (st)
			st->drops += nev;
		return 0;
	}
	if (st)
		st->events += nev;
	return 0;
}

/* ---- task and file state ---- */

static __always_inline struct file *fd_file(struct task_struct *task, s64 fd)
{
	if (fd < 0)
		return NULL;
	/* task is the trusted current task: the pointer walk is direct loads. */
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return NULL;
	unsigned int max = fdt->max_fds;
	if ((u64)fd >= max)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline u32 encode_dev(dev_t dev)
{
	u32 major = dev >> 20, minor = dev & ((1U << 20) - 1);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}

static __always_inline u32 file_dev(struct file *f)
{
	if (!f)
		return 0;
	return encode_dev(BPF_CORE_READ(f, f_inode, i_sb, s_dev));
}

static __always_inline u64 file_ino(struct file *f)
{
	if (!f)
		return 0;
	return BPF_CORE_READ(f, f_inode, i_ino);
}

/* overlay_layer tells whether an overlayfs inode's file lives in the upper
 * layer (1), a lower layer (2), or is not on overlayfs (0). */
static __always_inline int overlay_layer(struct inode *inode)
{
	if (!inode)
		return 0;
	if (BPF_CORE_READ(inode, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	struct ovl_inode *oi = (void *)inode - bpf_core_field_offset(struct ovl_inode, vfs_inode);
	struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
	return upper ? 1 : 2;
}

/* in_groups tells whether gid is one of the credentials' supplementary
 * groups (kept sorted by the kernel: a bounded binary search). */
static __always_inline bool in_groups(const struct cred *cred, u32 gid)
{
	struct group_info *gi = BPF_CORE_READ(cred, group_info);
	if (!gi)
		return false;
	u32 lo = 0, hi = BPF_CORE_READ(gi, ngroups);
	for (int i = 0; i < 17 && lo < hi; i++) {
		u32 mid = lo + (hi - lo) / 2;
		u32 g = BPF_CORE_READ(gi, gid[mid].val);
		if (g == gid)
			return true;
		if (g < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* exe_writable tells whether the task could write its executable (scap's
 * PPM_EXE_WRITABLE), as the kernel's basic permission check would decide:
 * never on a read-only superblock or an immutable inode; always for the
 * owner (the fsuid, who may chmod it) and with CAP_DAC_OVERRIDE; otherwise
 * by the group write bit (fsgid or a supplementary group) or the other
 * write bit. POSIX ACLs and user-namespace id mappings are not consulted. */
static __always_inline bool exe_writable(struct inode *ino, const struct cred *cred)
{
	if (!ino || !cred)
		return false;
	if (BPF_CORE_READ(ino, i_sb, s_flags) & SB_RDONLY)
		return false;
	if (BPF_CORE_READ(ino, i_flags) & S_IMMUTABLE)
		return false;
	u32 mode = BPF_CORE_READ(ino, i_mode);
	u32 uid = BPF_CORE_READ(ino, i_uid.val);
	u32 gid = BPF_CORE_READ(ino, i_gid.val);
	if (uid == (u32)-1 || gid == (u32)-1)
		return false;
	if (BPF_CORE_READ(cred, fsuid.val) == uid)
		return true;
	if (BPF_CORE_READ(cred, cap_effective.val) & (1ULL << CAP_DAC_OVERRIDE))
		return true;
	if (BPF_CORE_READ(cred, fsgid.val) == gid || in_groups(cred, gid))
		return mode & 0020;
	return mode & 0002;
}

static __always_inline u32 open_flags_to_scap(u32 f)
{
	u32 r = 0;
	switch (f & 3) {
	case 0: r |= PPM_O_RDONLY; break;
	case 1: r |= PPM_O_WRONLY; break;
	case 2: r |= PPM_O_RDWR; break;
	}
	if (f & 0100) r |= PPM_O_CREAT;
	if (f & 0200) r |= PPM_O_EXCL;
	if (f & 01000) r |= PPM_O_TRUNC;
	if (f & 02000) r |= PPM_O_APPEND;
	if (f & 04000) r |= PPM_O_NONBLOCK;
	if (f & 010000) r |= PPM_O_DSYNC;
	if (f & 040000) r |= PPM_O_DIRECT;
	if (f & 0100000) r |= PPM_O_LARGEFILE;
	if (f & 0200000) r |= PPM_O_DIRECTORY;
	if (f & 02000000) r |= PPM_O_CLOEXEC;
	if (f & 04000000) r |= PPM_O_SYNC;
	if (f & 020000000) r |= PPM_O_TMPFILE;
	return r;
}

/* open_result_flags adds what the kernel knows after the open: whether the
 * file was created and which overlay layer it lives in. */
static __always_inline u32 open_result_flags(struct file *f)
{
	u32 r = 0;
	if (!f)
		return 0;
	if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED)
		r |= PPM_O_F_CREATED;
	int layer = overlay_layer(BPF_CORE_READ(f, f_inode));
	if (layer == 1)
		r |= PPM_O_FD_UPPER_LAYER;
	else if (layer == 2)
		r |= PPM_O_FD_LOWER_LAYER;
	return r;
}

static __always_inline u32 clone_flags_to_scap(u64 f)
{
	u32 r = 0;
	if (f & 0x100) r |= PPM_CL_CLONE_VM;
	if (f & 0x200) r |= PPM_CL_CLONE_FS;
	if (f & 0x400) r |= PPM_CL_CLONE_FILES;
	if (f & 0x800) r |= PPM_CL_CLONE_SIGHAND;
	if (f & 0x2000) r |= PPM_CL_CLONE_PTRACE;
	if (f & 0x4000) r |= PPM_CL_CLONE_VFORK;
	if (f & 0x8000) r |= PPM_CL_CLONE_PARENT;
	if (f & 0x10000) r |= PPM_CL_CLONE_THREAD;
	if (f & 0x20000) r |= PPM_CL_CLONE_NEWNS;
	if (f & 0x40000) r |= PPM_CL_CLONE_SYSVSEM;
	if (f & 0x80000) r |= PPM_CL_CLONE_SETTLS;
	if (f & 0x100000) r |= PPM_CL_CLONE_PARENT_SETTID;
	if (f & 0x200000) r |= PPM_CL_CLONE_CHILD_CLEARTID;
	if (f & 0x800000) r |= PPM_CL_CLONE_UNTRACED;
	if (f & 0x1000000) r |= PPM_CL_CLONE_CHILD_SETTID;
	if (f & 0x2000000) r |= PPM_CL_CLONE_NEWCGROUP;
	if (f & 0x4000000) r |= PPM_CL_CLONE_NEWUTS;
	if (f & 0x8000000) r |= PPM_CL_CLONE_NEWIPC;
	if (f & 0x10000000) r |= PPM_CL_CLONE_NEWUSER;
	if (f & 0x20000000) r |= PPM_CL_CLONE_NEWPID;
	if (f & 0x40000000) r |= PPM_CL_CLONE_NEWNET;
	if (f & 0x80000000) r |= PPM_CL_CLONE_IO;
	return r;
}

/* pid_nr_ns returns the task's id as seen in its own (innermost) namespace. */
static __always_inline s64 pid_vnr(struct pid *pid)
{
	if (!pid)
		return 0;
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	void *base = (void *)pid + bpf_core_field_offset(struct pid, numbers);
	bpf_probe_read_kernel(&up, sizeof(up), base + (u64)(level & 31) * bpf_core_type_size(struct upid));
	return up.nr;
}

static __always_inline struct pid_namespace *pid_ns(struct pid *pid)
{
	if (!pid)
		return NULL;
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	void *base = (void *)pid + bpf_core_field_offset(struct pid, numbers);
	bpf_probe_read_kernel(&up, sizeof(up), base + (u64)(level & 31) * bpf_core_type_size(struct upid));
	return up.ns;
}

static __always_inline s64 pid_nr(struct pid *pid)
{
	if (!pid)
		return 0;
	return BPF_CORE_READ(pid, numbers[0].nr);
}

static __always_inline u32 task_tty(struct task_struct *task)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (!tty)
		return 0;
	int index = BPF_CORE_READ(tty, index);
	int major = BPF_CORE_READ(tty, driver, major);
	int minor = BPF_CORE_READ(tty, driver, minor_start) + index;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/* ---- path building (backwards, in scratch tmp) ----
 *
 * The walk state lives in the per-CPU scratch map rather than on the stack:
 * the verifier does not track map memory, so the bpf_loop callbacks verify
 * once instead of once per possible state. */

/* tmp_prepend writes "/" + name (len bytes of kernel memory) before pos. */
static __always_inline int tmp_prepend(struct scratch *s, const void *name, u32 len)
{
	u32 pos = s->w.pos;
	if (len > 255)
		len = 255;
	if (pos < len + 2 || pos > TMP_END)
		return 1;
	pos -= len;
	u64 n = len;
	asm volatile("%0 &= 0xff" : "+r"(n));
	if (n > 0)
		bpf_probe_read_kernel(&s->tmp[pos & (TMP_END - 1)], n, name);
	pos--;
	s->tmp[pos & (TMP_END - 1)] = '/';
	s->w.pos = pos;
	return 0;
}

static long dwalk_step(u32 i, void *ctx)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	struct dentry *d = (void *)s->w.d;
	struct vfsmount *vm = (void *)s->w.vmnt;
	if (!d || !vm)
		return 1;
	if (s->w.d == s->w.root_d && s->w.vmnt == s->w.root_mnt)
		return 1;
	struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
	if (d == mnt_root) {
		struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt);
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (!parent || parent == m)
			return 1;
		s->w.d = (u64)BPF_CORE_READ(m, mnt_mountpoint);
		s->w.vmnt = (u64)parent + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	if (tmp_prepend(s, BPF_CORE_READ(d, d_name.name), BPF_CORE_READ(d, d_name.len)))
		return 1;
	s->w.d = (u64)parent;
	return 0;
}

/* copy_tmp appends tmp[pos..TMP_END) to the value area; with_nul adds a NUL. */
static __always_inline u32 copy_tmp(struct scratch *s, bool with_nul)
{
	u32 pos = s->w.pos;
	if (pos >= TMP_END) {
		pos = TMP_END - 1;
		s->tmp[pos] = '/';
	}
	s->tmp[TMP_END] = 0;
	u64 len = TMP_END - pos + (with_nul ? 1 : 0);
	asm volatile("%0 &= 0x1fff" : "+r"(len));
	u32 off = s->off;
	if (off > REC_MASK - 1 || len == 0)
		return 0;
	bpf_probe_read_kernel(&s->rec[off & REC_MASK], len, &s->tmp[pos & (TMP_END - 1)]);
	s->off = off + len;
	return len;
}

/* put_path writes the absolute path of (mnt, dentry) as seen from the
 * current task's root, as a NUL-terminated string parameter. */
GLOBAL int put_path(struct scratch *s, u64 mnt_p, u64 d_p)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	if (!s)
		return 0;
	if (!mnt_p || !d_p) {
		put_empty(s);
		return 0;
	}
	s->w.d = d_p;
	s->w.vmnt = mnt_p;
	s->w.root_d = (u64)BPF_CORE_READ(task, fs, root.dentry);
	s->w.root_mnt = (u64)BPF_CORE_READ(task, fs, root.mnt);
	s->w.pos = TMP_END;
	bpf_loop(64, dwalk_step, NULL, 0);
	if (s->w.pos == TMP_END) {
		/* No component: a file without a place in a filesystem (a memfd's
		 * dentry is its own parent and no mount's root) is named by its
		 * dentry ("memfd:NAME"), as libs' modern BPF driver names it. */
		struct dentry *d = (void *)d_p;
		struct vfsmount *vm = (void *)mnt_p;
		if (BPF_CORE_READ(d, d_parent) == d && BPF_CORE_READ(vm, mnt_root) != d) {
			put_kstr(s, (u64)BPF_CORE_READ(d, d_name.name), 256);
			return 0;
		}
	}
	u32 n = copy_tmp(s, true);
	ev_len(s, n);
	return 0;
}

static __always_inline void put_file_path(struct scratch *s, struct file *f)
{
	if (!f) {
		put_empty(s);
		return;
	}
	put_path(s, (u64)BPF_CORE_READ(f, f_path.mnt), (u64)BPF_CORE_READ(f, f_path.dentry));
}

/* ---- cgroups: "subsys=path" entries, NUL-separated ---- */

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	struct kernfs_node___old *old = (void *)kn;
	return BPF_CORE_READ(old, parent);
}

static long kwalk_step(u32 i, void *ctx)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	struct kernfs_node *kn = (void *)s->w.kn;
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent)
		return 1;
	const char *name = BPF_CORE_READ(kn, name);
	/* Stage the name in tmp, past the path area (tmp_prepend copies it). */
	long n = bpf_probe_read_kernel_str(&s->tmp[TMP_END + 64], 256, name);
	if (n <= 1)
		return 1;
	if (tmp_prepend(s, &s->tmp[TMP_END + 64], n - 1))
		return 1;
	s->w.kn = (u64)parent;
	return 0;
}

static long cgwalk_step(u32 i, void *ctx)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	struct css_set *cgs = (void *)s->w.cgs;
	struct cgroup_subsys_state *css = NULL;
	bpf_probe_read_kernel(&css, sizeof(css), &cgs->subsys[i & 15]);
	if (!css)
		return 0;
	/* v1 hierarchies are named by the legacy name ("blkio" for io), as
	 * /proc/PID/cgroup and libsinsp show them. */
	const char *ssname = BPF_CORE_READ(css, ss, legacy_name);
	if (!ssname)
		ssname = BPF_CORE_READ(css, ss, name);
	u32 off = s->off;
	if (off > REC_MASK - 1 || off - s->w.start > 3800)
		return 1;
	long n = bpf_probe_read_kernel_str(&s->rec[off & REC_MASK], 32, ssname);
	if (n <= 1)
		return 0;
	off += n - 1;
	s->rec[off & REC_MASK] = '=';
	s->off = off + 1;
	s->w.kn = (u64)BPF_CORE_READ(css, cgroup, kn);
	s->w.pos = TMP_END;
	bpf_loop(32, kwalk_step, NULL, 0);
	copy_tmp(s, true);
	return 0;
}

GLOBAL int put_cgroups(struct scratch *s)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	if (!s)
		return 0;
	s->w.cgs = (u64)BPF_CORE_READ(task, cgroups);
	s->w.start = s->off;
	if (!s->w.cgs) {
		put_empty(s);
		return 0;
	}
	u32 n = bpf_core_field_size(struct css_set, subsys) / sizeof(void *);
	if (n > 16)
		n = 16;
	bpf_loop(n, cgwalk_step, NULL, 0);
	ev_len(s, s->off - s->w.start);
	return 0;
}

/* ---- process parameters shared by execve and clone events ---- */

/* put_comm writes the current task's comm. */
GLOBAL int put_comm(struct scratch *s)
{
	char comm[16] = {};
	if (!s)
		return 0;
	u32 off = s->off;
	if (off > REC_MASK - 16) {
		put_empty(s);
		return 0;
	}
	bpf_get_current_comm(comm, sizeof(comm));
	u32 n = 16;
	for (int i = 0; i < 16; i++) {
		if (comm[i] == 0) {
			n = i + 1;
			break;
		}
	}
	comm[15] = 0;
	__builtin_memcpy(&s->rec[off & REC_MASK], comm, 16);
	s->off = off + n;
	ev_len(s, n);
	return 0;
}


GLOBAL int put_args(struct scratch *s, u64 mm_p)
{
	struct mm_struct *mm = (void *)mm_p;
	if (!s)
		return 0;
	/* exe (argv[0]) and args (argv[1..], NUL-separated) */
	unsigned long start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	u32 total = end > start ? end - start : 0;
	if (total > 4096)
		total = 4096;
	u32 before = s->off;
	put_ustr(s, start, 4096);
	u32 n = s->off - before;
	if (total > n) {
		put_ubuf(s, start + n, total - n);
	} else {
		put_empty(s);
	}
	return 0;
}

GLOBAL int put_env(struct scratch *s, u64 mm_p)
{
	struct mm_struct *mm = (void *)mm_p;
	if (!s)
		return 0;
	if (!capture_env) {
		put_empty(s);
		return 0;
	}
	unsigned long start = BPF_CORE_READ(mm, env_start), end = BPF_CORE_READ(mm, env_end);
	u32 total = end > start ? end - start : 0;
	if (total > 4096)
		total = 4096;
	put_ubuf(s, start, total);
	return 0;
}

static __always_inline u32 mm_kb(s64 pages) { return pages > 0 ? (u32)(pages << 2) : 0; }

GLOBAL int put_mm_stats(struct scratch *s)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (!s)
		return 0;
	/* pgft_maj, pgft_min, vm_size, vm_rss, vm_swap */
	put_u64(s, BPF_CORE_READ(task, maj_flt));
	put_u64(s, BPF_CORE_READ(task, min_flt));
	if (!mm) {
		put_u32(s, 0);
		put_u32(s, 0);
		put_u32(s, 0);
		return 0;
	}
	s64 file, anon, swap, shmem;
	if (bpf_core_field_exists(mm->rss_stat[0].count)) {
		file = BPF_CORE_READ(mm, rss_stat[0].count);
		anon = BPF_CORE_READ(mm, rss_stat[1].count);
		swap = BPF_CORE_READ(mm, rss_stat[2].count);
		shmem = BPF_CORE_READ(mm, rss_stat[3].count);
	} else {
		struct mm_struct___old *old = (void *)mm;
		file = BPF_CORE_READ(old, rss_stat.count[0].counter);
		anon = BPF_CORE_READ(old, rss_stat.count[1].counter);
		swap = BPF_CORE_READ(old, rss_stat.count[2].counter);
		shmem = BPF_CORE_READ(old, rss_stat.count[3].counter);
	}
	put_u32(s, mm_kb(BPF_CORE_READ(mm, total_vm)));
	put_u32(s, mm_kb(file + anon + shmem));
	put_u32(s, mm_kb(swap));
	return 0;
}

static __always_inline void put_common_head(struct scratch *s, struct task_struct *task, s64 res)
{
	/* res, exe, args, tid, pid, ptid, cwd, fdlimit */
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	put_s64(s, res);
	if (mm) {
		put_args(s, (u64)mm);
	} else {
		put_empty(s);
		put_empty(s);
	}
	put_s64(s, BPF_CORE_READ(task, pid));
	put_s64(s, BPF_CORE_READ(task, tgid));
	put_s64(s, BPF_CORE_READ(task, real_parent, tgid));
	put_path(s, (u64)BPF_CORE_READ(task, fs, pwd.mnt), (u64)BPF_CORE_READ(task, fs, pwd.dentry));
	put_s64(s, BPF_CORE_READ(task, signal, rlim[RLIMIT_NOFILE].rlim_cur));
	put_mm_stats(s);
	put_comm(s);
	put_cgroups(s);
}

/* ---- execve / execveat ---- */

/* inode_ctime and inode_mtime return an inode's times in ns since the
 * epoch, for the inode layouts of Linux 6.11+ and earlier. */
static __always_inline u64 inode_ctime(struct inode *ino)
{
	if (!ino)
		return 0;
	if (bpf_core_field_exists(ino->i_ctime_sec))
		return BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_ctime_nsec);
	struct inode___timespec *old = (void *)ino;
	if (bpf_core_field_exists(old->__i_ctime))
		return BPF_CORE_READ(old, __i_ctime.tv_sec) * 1000000000ULL + BPF_CORE_READ(old, __i_ctime.tv_nsec);
	return BPF_CORE_READ(old, i_ctime.tv_sec) * 1000000000ULL + BPF_CORE_READ(old, i_ctime.tv_nsec);
}

static __always_inline u64 inode_mtime(struct inode *ino)
{
	if (!ino)
		return 0;
	if (bpf_core_field_exists(ino->i_mtime_sec))
		return BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_mtime_nsec);
	struct inode___timespec *old = (void *)ino;
	return BPF_CORE_READ(old, i_mtime.tv_sec) * 1000000000ULL + BPF_CORE_READ(old, i_mtime.tv_nsec);
}

/* put_exec_path writes the path an execve was called with, kept in ep. */
static __always_inline void put_exec_path(struct scratch *s, struct exec_path *ep)
{
	u32 off = s->off;
	long n = 0;
	if (ep && ep->path[0] && off <= REC_MASK - 1)
		n = bpf_probe_read_kernel_str(&s->rec[off & REC_MASK], sizeof(ep->path), ep->path);
	if (n > 0) {
		s->off = off + n;
		ev_len(s, n);
	} else {
		put_empty(s);
	}
}

static __always_inline int do_execve_x(u16 type, u32 nparams, long ret)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct file *exe = mm ? BPF_CORE_READ(mm, exe_file) : NULL;
	struct inode *ino = exe ? BPF_CORE_READ(exe, f_inode) : NULL;
	const struct cred *cred = BPF_CORE_READ(task, cred);

	ev_begin(s, type, nparams);
	put_common_head(s, task, ret);
	if (mm)
		put_env(s, (u64)mm);
	else
		put_empty(s);
	put_u32(s, task_tty(task));
	put_s64(s, pid_vnr(BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID])));
	put_u32(s, BPF_CORE_READ(task, loginuid.val));
	u32 eflags = exe_writable(ino, cred) ? PPM_EXE_WRITABLE : 0;
	int layer = overlay_layer(ino);
	if (layer == 1)
		eflags |= PPM_EXE_UPPER_LAYER;
	else if (layer == 2)
		eflags |= PPM_EXE_LOWER_LAYER;
	if (exe) {
		char pfx[8] = {};
		bpf_probe_read_kernel_str(pfx, sizeof(pfx), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
		if (pfx[0] == 'm' && pfx[1] == 'e' && pfx[2] == 'm' && pfx[3] == 'f' && pfx[4] == 'd' && pfx[5] == ':')
			eflags |= PPM_EXE_FROM_MEMFD;
	}
	put_u32(s, eflags);
	put_u64(s, BPF_CORE_READ(cred, cap_inheritable.val));
	put_u64(s, BPF_CORE_READ(cred, cap_permitted.val));
	put_u64(s, BPF_CORE_READ(cred, cap_effective.val));
	put_u64(s, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	put_u64(s, inode_ctime(ino));
	put_u64(s, inode_mtime(ino));
	put_u32(s, BPF_CORE_READ(cred, euid.val));
	put_file_path(s, exe);
	put_s64(s, pid_nr(BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID])));
	put_u32(s, BPF_CORE_READ(cred, egid.val));
	if (nparams > 30) {
		/* filename, as execve_e (or exec_path) saw it */
		struct exec_path *ep = bpf_task_storage_get(&exec_paths, task, 0, 0);
		put_exec_path(s, ep);
		if (ep)
			ep->path[0] = 0;
	}
	return ev_submit(s);
}

/* The execve enter events carry the path argument, which is gone from user
 * memory once the exec succeeded: they are written at sys_enter. */
SEC("tp_btf/sys_enter")
int BPF_PROG(execve_e, struct pt_regs *regs, long id)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	ev_begin(s, PPME_SYSCALL_EXECVE_19_E, 1);
	put_ustr(s, BPF_CORE_READ(regs, di), 4096);
	struct exec_path *ep = bpf_task_storage_get(&exec_paths, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ep && bpf_probe_read_user_str(ep->path, sizeof(ep->path), (void *)BPF_CORE_READ(regs, di)) <= 0)
		ep->path[0] = 0;
	return ev_submit(s);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(execveat_e, struct pt_regs *regs, long id)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	u32 fl = BPF_CORE_READ(regs, r8);
	u32 f = 0;
	if (fl & 0x1000)
		f |= 1; /* PPM_EXVAT_AT_EMPTY_PATH */
	if (fl & 0x100)
		f |= 2; /* PPM_EXVAT_AT_SYMLINK_NOFOLLOW */
	ev_begin(s, PPME_SYSCALL_EXECVEAT_E, 3);
	put_s64(s, (s32)BPF_CORE_READ(regs, di));
	put_ustr(s, BPF_CORE_READ(regs, si), 4096);
	put_u32(s, f);
	return ev_submit(s);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(execve_x, struct pt_regs *regs, long ret)
{
	return do_execve_x(PPME_SYSCALL_EXECVE_19_X, 31, ret);
}

/* With per-syscall tracepoints nothing runs at syscall entry (the kernel's
 * sys_enter_execve tracepoint copies the path from user memory before it
 * runs BPF, and on this kernel did not run the program at all): the enter
 * event is written at exit, just before the exit event. Its path is the one
 * exec_path kept if the exec succeeded, else it is still in user memory. */
SEC("tracepoint")
int execve_x_tp(struct syscall_exit_args *args)
{
	if (filtered_out())
		return 0;
	long ret = args->ret;
	struct task_struct *task = bpf_get_current_task_btf();
	struct exec_path *ep = bpf_task_storage_get(&exec_paths, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ep && ret != 0 && bpf_probe_read_user_str(ep->path, sizeof(ep->path), (void *)task_regs()->di) <= 0)
		ep->path[0] = 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	ev_begin(s, PPME_SYSCALL_EXECVE_19_E, 1);
	put_exec_path(s, ep);
	ev_submit(s);
	return do_execve_x(PPME_SYSCALL_EXECVE_19_X, 31, ret);
}

/* exec_path keeps the path of a successful exec (as the caller passed it,
 * bprm->filename) for execve_x_tp; attached with per-syscall tracepoints. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_path, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_path *ep = bpf_task_storage_get(&exec_paths, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ep && bpf_probe_read_kernel_str(ep->path, sizeof(ep->path), BPF_CORE_READ(bprm, filename)) <= 0)
		ep->path[0] = 0;
	return 0;
}

SYSCALL_EXIT(execveat_x)
{
	return do_execve_x(PPME_SYSCALL_EXECVEAT_X, 30, ret);
}

/* ---- clone family ---- */

static __always_inline int do_clone_x(u16 type, u64 raw_flags, long ret)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = BPF_CORE_READ(task, cred);
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	ev_begin(s, type, 21);
	put_common_head(s, task, ret);
	u32 flags = clone_flags_to_scap(raw_flags);
	s64 vtid = pid_vnr(tp);
	if (ret == 0 && vtid != BPF_CORE_READ(task, pid))
		flags |= PPM_CL_CHILD_IN_PIDNS;
	put_u32(s, flags);
	put_u32(s, BPF_CORE_READ(cred, euid.val));
	put_u32(s, BPF_CORE_READ(cred, egid.val));
	put_s64(s, vtid);
	put_s64(s, pid_vnr(BPF_CORE_READ(task, group_leader, thread_pid)));
	struct pid_namespace *ns = pid_ns(tp);
	struct task_struct *reaper = ns ? BPF_CORE_READ(ns, child_reaper) : NULL;
	put_u64(s, reaper ? boot_epoch_ns + BPF_CORE_READ(reaper, start_time) : 0);
	return ev_submit(s);
}

SYSCALL_EXIT(clone_x)
{
	return do_clone_x(PPME_SYSCALL_CLONE_20_X, BPF_CORE_READ(regs, di), ret);
}

SYSCALL_EXIT(fork_x)
{
	return do_clone_x(PPME_SYSCALL_FORK_20_X, 0, ret);
}

SYSCALL_EXIT(vfork_x)
{
	return do_clone_x(PPME_SYSCALL_VFORK_20_X, 0x4000 | 0x100, ret);
}

SYSCALL_EXIT(clone3_x)
{
	u64 flags = 0;
	bpf_probe_read_user(&flags, sizeof(flags), (void *)BPF_CORE_READ(regs, di));
	return do_clone_x(PPME_SYSCALL_CLONE3_X, flags, ret);
}

/* sched_fork runs in the creating thread before the new task runs: with
 * only_command, a task created by the recorder (not one of its own
 * threads) or by a descendant is a descendant; any other task's id is
 * cleared (tids are reused). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!only_command)
		return 0;
	u32 ctid = child->pid, root;
	if (parent->tgid == self_tgid) {
		if (child->tgid == self_tgid)
			return 0;
		root = child->tgid;
	} else {
		u32 ptid = parent->pid;
		u32 *r = bpf_map_lookup_elem(&descendants, &ptid);
		if (!r) {
			bpf_map_delete_elem(&descendants, &ctid);
			return 0;
		}
		root = *r;
	}
	bpf_map_update_elem(&descendants, &ctid, &root, BPF_ANY);
	return 0;
}

/* ---- process exit ---- */

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	if (filtered_out())
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	int code = BPF_CORE_READ(task, exit_code);
	ev_begin(s, PPME_PROCEXIT_1_E, 5);
	put_s64(s, code);
	put_s64(s, (code >> 8) & 0xff);
	put_u8(s, code & 0x7f);
	put_u8(s, (code & 0x80) ? 1 : 0);
	put_s64(s, 0);
	return ev_submit(s);
}

/* ---- file system ---- */

/* Syscall arguments, from the user registers saved at syscall entry. regs
 * is a trusted BTF pointer in tp_btf programs: direct (CO-RE relocated)
 * loads, no helper call; so is task_regs() in tracepoint programs. */
#define ARG0 (regs->di)
#define ARG1 (regs->si)
#define ARG2 (regs->dx)
#define ARG3 (regs->r10)
#define ARG4 (regs->r8)
#define ARG5 (regs->r9)

#define BEGIN(type, n)                              \
	struct scratch *s = get_scratch();          \
	if (!s)                                     \
		return 0;                           \
	ev_begin(s, type, n)

SYSCALL_EXIT(open_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = ret >= 0 ? fd_file(task, ret) : NULL;
	BEGIN(PPME_SYSCALL_OPEN_X, 6);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_u32(s, open_flags_to_scap(ARG1) | open_result_flags(f));
	put_u32(s, ARG2);
	put_u32(s, file_dev(f));
	put_u64(s, file_ino(f));
	return ev_submit(s);
}

SYSCALL_EXIT(openat_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = ret >= 0 ? fd_file(task, ret) : NULL;
	BEGIN(PPME_SYSCALL_OPENAT_2_X, 7);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, open_flags_to_scap(ARG2) | open_result_flags(f));
	put_u32(s, ARG3);
	put_u32(s, file_dev(f));
	put_u64(s, file_ino(f));
	return ev_submit(s);
}

struct open_how_user {
	u64 flags;
	u64 mode;
	u64 resolve;
};

static __always_inline u32 resolve_to_scap(u64 r)
{
	u32 o = 0;
	if (r & 0x01) o |= PPM_RESOLVE_NO_XDEV;
	if (r & 0x02) o |= PPM_RESOLVE_NO_MAGICLINKS;
	if (r & 0x04) o |= PPM_RESOLVE_NO_SYMLINKS;
	if (r & 0x08) o |= PPM_RESOLVE_BENEATH;
	if (r & 0x10) o |= PPM_RESOLVE_IN_ROOT;
	if (r & 0x20) o |= PPM_RESOLVE_CACHED;
	return o;
}

SYSCALL_EXIT(openat2_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = ret >= 0 ? fd_file(task, ret) : NULL;
	struct open_how_user how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ARG2);
	BEGIN(PPME_SYSCALL_OPENAT2_X, 8);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, open_flags_to_scap(how.flags) | open_result_flags(f));
	put_u32(s, how.mode);
	put_u32(s, resolve_to_scap(how.resolve));
	put_u32(s, file_dev(f));
	put_u64(s, file_ino(f));
	return ev_submit(s);
}

SYSCALL_EXIT(creat_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = ret >= 0 ? fd_file(task, ret) : NULL;
	BEGIN(PPME_SYSCALL_CREAT_X, 6);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_u32(s, ARG1);
	put_u32(s, file_dev(f));
	put_u64(s, file_ino(f));
	u16 cf = 0;
	int layer = f ? overlay_layer(BPF_CORE_READ(f, f_inode)) : 0;
	if (layer == 1)
		cf = PPM_FD_UPPER_LAYER_CREAT;
	else if (layer == 2)
		cf = PPM_FD_LOWER_LAYER_CREAT;
	put_u16(s, cf);
	return ev_submit(s);
}

SYSCALL_EXIT(close_x)
{
	BEGIN(PPME_SYSCALL_CLOSE_E, 1);
	put_s64(s, (s32)ARG0);
	ev_next(s, PPME_SYSCALL_CLOSE_X, 2);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	return ev_submit(s);
}

/* put_data writes the first snaplen bytes of a buffer the syscall read or wrote. */
GLOBAL int put_data(struct scratch *s, u64 ubuf, s64 ret)
{
	const void *buf = (const void *)ubuf;
	if (!s)
		return 0;
	u32 n = snaplen;
	if (ret <= 0 || n == 0) {
		put_empty(s);
		return 0;
	}
	if ((u64)ret < n)
		n = ret;
	put_ubuf(s, (u64)buf, n);
	return 0;
}

struct iovec_user {
	void *base;
	u64 len;
};

/* put_iov_data writes the first snaplen bytes of an iovec array. */
GLOBAL int put_iov_data(struct scratch *s, u64 uiov, u32 cnt, s64 ret)
{
	const struct iovec_user *iov = (const void *)uiov;
	if (!s)
		return 0;
	u32 left = snaplen;
	u32 start = s->off;
	if (ret <= 0 || left == 0 || !iov) {
		put_empty(s);
		return 0;
	}
	if ((u64)ret < left)
		left = ret;
	for (int i = 0; i < 8; i++) {
		if (i >= cnt || left == 0)
			break;
		struct iovec_user v = {};
		if (bpf_probe_read_user(&v, sizeof(v), &iov[i]) < 0)
			break;
		u32 n = v.len < left ? v.len : left;
		if (raw_ubuf(s, (u64)v.base, n) < 0)
			break;
		left -= n;
	}
	ev_len(s, s->off - start);
	return 0;
}

/* iov_total sums the lengths of the first 8 entries of an iovec array. */
GLOBAL int iov_total(u64 uiov, u32 cnt)
{
	const struct iovec_user *iov = (const void *)uiov;
	u64 total = 0;
	for (int i = 0; i < 8; i++) {
		if (i >= cnt)
			break;
		struct iovec_user v = {};
		if (bpf_probe_read_user(&v, sizeof(v), &iov[i]) < 0)
			break;
		total += v.len;
	}
	return total > 0x7fffffff ? 0x7fffffff : (int)total;
}

SYSCALL_EXIT(read_x)
{
	BEGIN(PPME_SYSCALL_READ_E, 2);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	ev_next(s, PPME_SYSCALL_READ_X, 4);
	put_s64(s, ret);
	put_data(s, (u64)ARG1, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(write_x)
{
	BEGIN(PPME_SYSCALL_WRITE_E, 2);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	ev_next(s, PPME_SYSCALL_WRITE_X, 4);
	put_s64(s, ret);
	put_data(s, (u64)ARG1, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(pread_x)
{
	BEGIN(PPME_SYSCALL_PREAD_E, 3);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	put_u64(s, ARG3);
	ev_next(s, PPME_SYSCALL_PREAD_X, 5);
	put_s64(s, ret);
	put_data(s, (u64)ARG1, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	put_u64(s, ARG3);
	return ev_submit(s);
}

SYSCALL_EXIT(pwrite_x)
{
	BEGIN(PPME_SYSCALL_PWRITE_E, 3);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	put_u64(s, ARG3);
	ev_next(s, PPME_SYSCALL_PWRITE_X, 5);
	put_s64(s, ret);
	put_data(s, (u64)ARG1, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	put_u64(s, ARG3);
	return ev_submit(s);
}

SYSCALL_EXIT(readv_x)
{
	BEGIN(PPME_SYSCALL_READV_E, 1);
	put_s64(s, (s32)ARG0);
	ev_next(s, PPME_SYSCALL_READV_X, 4);
	put_s64(s, ret);
	put_u32(s, ret > 0 ? ret : 0);
	put_iov_data(s, (u64)ARG1, ARG2, ret);
	put_s64(s, (s32)ARG0);
	return ev_submit(s);
}

SYSCALL_EXIT(writev_x)
{
	BEGIN(PPME_SYSCALL_WRITEV_E, 2);
	put_s64(s, (s32)ARG0);
	put_u32(s, iov_total((u64)ARG1, ARG2));
	ev_next(s, PPME_SYSCALL_WRITEV_X, 4);
	put_s64(s, ret);
	put_iov_data(s, (u64)ARG1, ARG2, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ret > 0 ? ret : 0);
	return ev_submit(s);
}

/* res + one path */
#define PATH1_X(prog, type)                                  \
	SYSCALL_EXIT(prog)                                   \
	{                                                    \
		BEGIN(type, 2);                              \
		put_s64(s, ret);                             \
		put_ustr(s, (u64)ARG0, 4096);             \
		return ev_submit(s);                         \
	}

PATH1_X(unlink_x, PPME_SYSCALL_UNLINK_2_X)
PATH1_X(rmdir_x, PPME_SYSCALL_RMDIR_2_X)
PATH1_X(chdir_x, PPME_SYSCALL_CHDIR_X)

/* res + two paths */
#define PATH2_X(prog, type)                                  \
	SYSCALL_EXIT(prog)                                   \
	{                                                    \
		BEGIN(type, 3);                              \
		put_s64(s, ret);                             \
		put_ustr(s, (u64)ARG0, 4096);             \
		put_ustr(s, (u64)ARG1, 4096);             \
		return ev_submit(s);                         \
	}

PATH2_X(rename_x, PPME_SYSCALL_RENAME_X)
PATH2_X(link_x, PPME_SYSCALL_LINK_2_X)
PATH2_X(symlink_x, PPME_SYSCALL_SYMLINK_X)

SYSCALL_EXIT(mkdir_x)
{
	BEGIN(PPME_SYSCALL_MKDIR_2_E, 1);
	put_u32(s, ARG1);
	ev_next(s, PPME_SYSCALL_MKDIR_2_X, 3);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_u32(s, ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(mkdirat_x)
{
	BEGIN(PPME_SYSCALL_MKDIRAT_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(unlinkat_x)
{
	BEGIN(PPME_SYSCALL_UNLINKAT_2_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(renameat_x)
{
	BEGIN(PPME_SYSCALL_RENAMEAT_X, 5);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_s64(s, (s32)ARG2);
	put_ustr(s, (u64)ARG3, 4096);
	return ev_submit(s);
}

SYSCALL_EXIT(renameat2_x)
{
	BEGIN(PPME_SYSCALL_RENAMEAT2_X, 6);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_s64(s, (s32)ARG2);
	put_ustr(s, (u64)ARG3, 4096);
	put_u32(s, ARG4);
	return ev_submit(s);
}

SYSCALL_EXIT(linkat_x)
{
	BEGIN(PPME_SYSCALL_LINKAT_2_X, 6);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_s64(s, (s32)ARG2);
	put_ustr(s, (u64)ARG3, 4096);
	put_u32(s, ARG4);
	return ev_submit(s);
}

SYSCALL_EXIT(symlinkat_x)
{
	BEGIN(PPME_SYSCALL_SYMLINKAT_X, 4);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_s64(s, (s32)ARG1);
	put_ustr(s, (u64)ARG2, 4096);
	return ev_submit(s);
}

SYSCALL_EXIT(chmod_x)
{
	BEGIN(PPME_SYSCALL_CHMOD_X, 3);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_u32(s, ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(fchmod_x)
{
	BEGIN(PPME_SYSCALL_FCHMOD_X, 3);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(fchmodat_x)
{
	BEGIN(PPME_SYSCALL_FCHMODAT_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, ARG2);
	return ev_submit(s);
}

#define CHOWN_X(prog, type)                                  \
	SYSCALL_EXIT(prog)                                   \
	{                                                    \
		BEGIN(type, 4);                              \
		put_s64(s, ret);                             \
		put_ustr(s, (u64)ARG0, 4096);             \
		put_u32(s, ARG1);                            \
		put_u32(s, ARG2);                            \
		return ev_submit(s);                         \
	}

CHOWN_X(chown_x, PPME_SYSCALL_CHOWN_X)
CHOWN_X(lchown_x, PPME_SYSCALL_LCHOWN_X)

SYSCALL_EXIT(fchown_x)
{
	BEGIN(PPME_SYSCALL_FCHOWN_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG1);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(fchownat_x)
{
	BEGIN(PPME_SYSCALL_FCHOWNAT_X, 6);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, ARG2);
	put_u32(s, ARG3);
	put_u32(s, ARG4);
	return ev_submit(s);
}

SYSCALL_EXIT(fchdir_x)
{
	BEGIN(PPME_SYSCALL_FCHDIR_E, 1);
	put_s64(s, (s32)ARG0);
	ev_next(s, PPME_SYSCALL_FCHDIR_X, 2);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	return ev_submit(s);
}

SYSCALL_EXIT(mount_x)
{
	BEGIN(PPME_SYSCALL_MOUNT_E, 1);
	put_u32(s, ARG3 & 0xffffffff);
	ev_next(s, PPME_SYSCALL_MOUNT_X, 5);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_ustr(s, (u64)ARG1, 4096);
	put_ustr(s, (u64)ARG2, 256);
	put_u32(s, ARG3);
	return ev_submit(s);
}

SYSCALL_EXIT(umount2_x)
{
	BEGIN(PPME_SYSCALL_UMOUNT2_X, 3);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 4096);
	put_u32(s, ARG1);
	return ev_submit(s);
}

/* ---- fds ---- */

SYSCALL_EXIT(dup_x)
{
	BEGIN(PPME_SYSCALL_DUP_E, 1);
	put_s64(s, (s32)ARG0);
	ev_next(s, PPME_SYSCALL_DUP_X, 1);
	put_s64(s, ret);
	return ev_submit(s);
}

SYSCALL_EXIT(dup2_x)
{
	BEGIN(PPME_SYSCALL_DUP2_X, 3);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_s64(s, (s32)ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(dup3_x)
{
	BEGIN(PPME_SYSCALL_DUP3_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_s64(s, (s32)ARG1);
	put_u32(s, (ARG2 & 02000000) ? PPM_O_CLOEXEC : 0);
	return ev_submit(s);
}

static __always_inline u8 fcntl_cmd_to_scap(u64 c)
{
	switch (c) {
	case 0: return 1;
	case 1: return 2;
	case 2: return 3;
	case 3: return 4;
	case 4: return 5;
	case 5: return 6;
	case 6: return 8;
	case 7: return 9;
	case 8: return 10;
	case 9: return 12;
	case 10: return 13;
	case 11: return 15;
	case 15: return 21;
	case 16: return 22;
	case 36: return 30;
	case 37: return 31;
	case 38: return 32;
	case 1024: return 23;
	case 1025: return 24;
	case 1026: return 27;
	case 1029: return 25;
	case 1030: return 26;
	case 1031: return 28;
	case 1032: return 29;
	}
	return 0;
}

SYSCALL_EXIT(fcntl_x)
{
	BEGIN(PPME_SYSCALL_FCNTL_E, 2);
	put_s64(s, (s32)ARG0);
	put_u8(s, fcntl_cmd_to_scap(ARG1));
	ev_next(s, PPME_SYSCALL_FCNTL_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_u8(s, fcntl_cmd_to_scap(ARG1));
	put_u64(s, ARG2);
	return ev_submit(s);
}

/* pipe2_flags_to_scap keeps the flags pipe2 takes: O_CLOEXEC, O_DIRECT
 * (packet mode) and O_NONBLOCK, as PPM_O_* bits. */
static __always_inline u32 pipe2_flags_to_scap(s32 f)
{
	u32 o = 0;
	if (f < 0)
		return 0;
	if (f & 02000000) o |= PPM_O_CLOEXEC;
	if (f & 040000) o |= PPM_O_DIRECT;
	if (f & 04000) o |= PPM_O_NONBLOCK;
	return o;
}

/* put_pipe writes pipe/pipe2's res, fd1, fd2 (read back from the user
 * array the kernel filled) and the pipe's inode number. */
static __always_inline void put_pipe(struct scratch *s, u64 ufds, long ret)
{
	s32 fds[2] = {-1, -1};
	put_s64(s, ret);
	if (ret == 0 && bpf_probe_read_user(fds, sizeof(fds), (void *)ufds) < 0) {
		count_empty_read();
		fds[0] = fds[1] = -1;
	}
	put_s64(s, fds[0]);
	put_s64(s, fds[1]);
	struct file *f = ret == 0 ? fd_file(bpf_get_current_task_btf(), fds[0]) : NULL;
	put_u64(s, f ? file_ino(f) : 0);
}

SYSCALL_EXIT(pipe_x)
{
	BEGIN(PPME_SYSCALL_PIPE_X, 4);
	put_pipe(s, ARG0, ret);
	return ev_submit(s);
}

SYSCALL_EXIT(pipe2_x)
{
	BEGIN(PPME_SYSCALL_PIPE2_X, 5);
	put_pipe(s, ARG0, ret);
	put_u32(s, pipe2_flags_to_scap(ARG1));
	return ev_submit(s);
}

SYSCALL_EXIT(memfd_create_x)
{
	BEGIN(PPME_SYSCALL_MEMFD_CREATE_X, 3);
	put_s64(s, ret);
	put_ustr(s, (u64)ARG0, 256);
	put_u32(s, ARG1 & 7);
	return ev_submit(s);
}

/* ---- sockets ---- */

/* put_sockaddr converts a user struct sockaddr into scap's SOCKADDR. */
GLOBAL int put_sockaddr(struct scratch *s, u64 uaddr_p)
{
	const void *uaddr = (const void *)uaddr_p;
	if (!s)
		return 0;
	u16 fam = 0;
	u32 start = s->off;
	if (!uaddr || bpf_probe_read_user(&fam, sizeof(fam), uaddr) < 0) {
		put_empty(s);
		return 0;
	}
	if (fam == 2) {
		u16 port = 0;
		u32 ip = 0;
		bpf_probe_read_user(&port, 2, uaddr + 2);
		bpf_probe_read_user(&ip, 4, uaddr + 4);
		raw_u8(s, PPM_AF_INET);
		raw_u32(s, ip);
		raw_u16(s, __builtin_bswap16(port));
	} else if (fam == 10) {
		u16 port = 0;
		u8 ip[16] = {};
		bpf_probe_read_user(&port, 2, uaddr + 2);
		bpf_probe_read_user(ip, 16, uaddr + 8);
		raw_u8(s, PPM_AF_INET6);
		raw_u64(s, *(u64 *)&ip[0]);
		raw_u64(s, *(u64 *)&ip[8]);
		raw_u16(s, __builtin_bswap16(port));
	} else if (fam == 1) {
		raw_u8(s, PPM_AF_UNIX);
		u32 off = s->off;
		if (off > REC_MASK - 1) {
			put_empty(s);
			return 0;
		}
		long n = bpf_probe_read_user_str(&s->rec[off & REC_MASK], 108, uaddr + 2);
		if (n <= 0) {
			raw_u8(s, 0);
		} else {
			s->off = off + n;
		}
	} else {
		put_empty(s);
		return 0;
	}
	ev_len(s, s->off - start);
	return 0;
}

static __always_inline struct sock *fd_sock(struct task_struct *task, s64 fd)
{
	struct file *f = fd_file(task, fd);
	if (!f)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* Directions of a socket tuple (docs/FORMAT.md, "Socket tuples"): outbound
 * events write the local end first, inbound events the remote end. */
#define TUPLE_OUT 0
#define TUPLE_IN 1

/* put_tuple writes the socket's endpoints as scap's SOCKTUPLE, source first:
 * local -> remote for outbound events, remote -> local for inbound ones, as
 * libs' drivers do. When the socket has no peer port (unconnected datagram),
 * the user address uaddr_p (if any) is the remote end. */
GLOBAL int put_tuple(struct scratch *s, u64 sk_p, u64 uaddr_p, u32 inbound)
{
	struct sock *sk = (void *)sk_p;
	const void *uaddr = (const void *)uaddr_p;
	if (!s)
		return 0;
	u32 start = s->off;
	if (!sk) {
		put_empty(s);
		return 0;
	}
	u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam == 2) {
		u32 lip = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		u32 rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		u16 rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (rport == 0 && uaddr) {
			u16 f = 0, p = 0;
			bpf_probe_read_user(&f, 2, uaddr);
			if (f == 2) {
				bpf_probe_read_user(&p, 2, uaddr + 2);
				bpf_probe_read_user(&rip, 4, uaddr + 4);
				rport = __builtin_bswap16(p);
			}
		}
		if (inbound) {
			u32 ip = lip;
			u16 port = lport;
			lip = rip;
			lport = rport;
			rip = ip;
			rport = port;
		}
		/* source (lip, lport), then destination (rip, rport) */
		raw_u8(s, PPM_AF_INET);
		raw_u32(s, lip);
		raw_u16(s, lport);
		raw_u32(s, rip);
		raw_u16(s, rport);
	} else if (fam == 10) {
		struct in6_addr lip = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr rip = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		u16 rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (rport == 0 && uaddr) {
			u16 f = 0, p = 0;
			bpf_probe_read_user(&f, 2, uaddr);
			if (f == 10) {
				bpf_probe_read_user(&p, 2, uaddr + 2);
				bpf_probe_read_user(&rip, 16, uaddr + 8);
				rport = __builtin_bswap16(p);
			}
		}
		u64 l0 = *(u64 *)&lip.in6_u.u6_addr8[0], l1 = *(u64 *)&lip.in6_u.u6_addr8[8];
		u64 r0 = *(u64 *)&rip.in6_u.u6_addr8[0], r1 = *(u64 *)&rip.in6_u.u6_addr8[8];
		if (inbound) {
			u64 a = l0, b = l1;
			u16 port = lport;
			l0 = r0;
			l1 = r1;
			lport = rport;
			r0 = a;
			r1 = b;
			rport = port;
		}
		/* source (l0 l1, lport), then destination (r0 r1, rport) */
		raw_u8(s, PPM_AF_INET6);
		raw_u64(s, l0);
		raw_u64(s, l1);
		raw_u16(s, lport);
		raw_u64(s, r0);
		raw_u64(s, r1);
		raw_u16(s, rport);
	} else if (fam == 1) {
		struct unix_sock *us = (void *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		raw_u8(s, PPM_AF_UNIX);
		struct unix_address *addr = NULL;
		u64 src = (u64)sk, dst = (u64)peer;
		if (inbound) {
			addr = BPF_CORE_READ(us, addr);
		} else {
			src = (u64)peer;
			dst = (u64)sk;
			if (peer)
				addr = BPF_CORE_READ((struct unix_sock *)peer, addr);
		}
		raw_u64(s, src);
		raw_u64(s, dst);
		u32 off = s->off;
		u64 o = off;
		asm volatile("%0 &= 0x7fff" : "+r"(o));
		long n = -1;
		if (off <= REC_MASK - 1) {
			if (addr) {
				char *path = (void *)addr + bpf_core_field_offset(struct unix_address, name) + 2;
				char c = 0;
				bpf_probe_read_kernel(&c, 1, path);
				if (c == 0)
					path++; /* abstract name: skip the leading NUL */
				n = bpf_probe_read_kernel_str(&s->rec[o], 108, path);
			} else if (!inbound && !peer && uaddr) {
				u16 f = 0;
				const char *path = uaddr + 2;
				char c = 0;
				bpf_probe_read_user(&f, 2, uaddr);
				bpf_probe_read_user(&c, 1, path);
				if (f == 1) {
					if (c == 0)
						path++;
					n = bpf_probe_read_user_str(&s->rec[o], 108, path);
				}
			}
		}
		if (n > 0)
			s->off = off + n;
		else
			raw_u8(s, 0);
	} else {
		put_empty(s);
		return 0;
	}
	ev_len(s, s->off - start);
	return 0;
}

SYSCALL_EXIT(socket_x)
{
	BEGIN(PPME_SOCKET_SOCKET_E, 3);
	put_u32(s, ARG0);
	put_u32(s, ARG1);
	put_u32(s, ARG2);
	ev_next(s, PPME_SOCKET_SOCKET_X, 5);
	u32 type = ARG1;
	put_s64(s, ret);
	put_u32(s, ARG0);
	put_u32(s, type);
	put_u32(s, ARG2);
	u32 f = 0;
	if (type & 04000)
		f |= PPM_O_NONBLOCK;
	if (type & 02000000)
		f |= PPM_O_CLOEXEC;
	put_u32(s, f);
	return ev_submit(s);
}

SYSCALL_EXIT(connect_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock *sk = fd_sock(task, (s32)ARG0);
	BEGIN(PPME_SOCKET_CONNECT_E, 2);
	put_s64(s, (s32)ARG0);
	put_sockaddr(s, (u64)ARG1);
	ev_next(s, PPME_SOCKET_CONNECT_X, 4);
	put_s64(s, ret);
	put_tuple(s, (u64)sk, ARG1, TUPLE_OUT);
	put_s64(s, (s32)ARG0);
	put_sockaddr(s, (u64)ARG1);
	return ev_submit(s);
}

static __always_inline u32 accept_flags_to_scap(u32 fl)
{
	u32 f = 0;
	if (fl & 04000)
		f |= PPM_O_NONBLOCK;
	if (fl & 02000000)
		f |= PPM_O_CLOEXEC;
	return f;
}

static __always_inline int do_accept_x(struct pt_regs *regs, long ret, u16 type, u32 nparams)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock *sk = ret >= 0 ? fd_sock(task, ret) : NULL;
	struct sock *lsk = fd_sock(task, (s32)ARG0);
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	if (type == PPME_SOCKET_ACCEPT4_5_X) {
		ev_begin(s, PPME_SOCKET_ACCEPT4_5_E, 1);
		put_u32(s, accept_flags_to_scap(ARG3));
		ev_next(s, type, nparams);
	} else {
		ev_begin(s, type, nparams);
	}
	put_s64(s, ret);
	put_tuple(s, (u64)sk, 0, TUPLE_IN);
	u32 qlen = lsk ? BPF_CORE_READ(lsk, sk_ack_backlog) : 0;
	u32 qmax = lsk ? BPF_CORE_READ(lsk, sk_max_ack_backlog) : 0;
	put_u8(s, qmax ? (u8)(qlen * 100 / qmax) : 0);
	put_u32(s, qlen);
	put_u32(s, qmax);
	return ev_submit(s);
}

SYSCALL_EXIT(accept_x)
{
	return do_accept_x(regs, ret, PPME_SOCKET_ACCEPT_5_X, 5);
}

SYSCALL_EXIT(accept4_x)
{
	return do_accept_x(regs, ret, PPME_SOCKET_ACCEPT4_5_X, 5);
}

SYSCALL_EXIT(bind_x)
{
	BEGIN(PPME_SOCKET_BIND_E, 1);
	put_s64(s, (s32)ARG0);
	ev_next(s, PPME_SOCKET_BIND_X, 3);
	put_s64(s, ret);
	put_sockaddr(s, (u64)ARG1);
	put_s64(s, (s32)ARG0);
	return ev_submit(s);
}

SYSCALL_EXIT(listen_x)
{
	BEGIN(PPME_SOCKET_LISTEN_E, 2);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG1);
	ev_next(s, PPME_SOCKET_LISTEN_X, 3);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(sendto_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock *sk = fd_sock(task, (s32)ARG0);
	BEGIN(PPME_SOCKET_SENDTO_E, 3);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	put_tuple(s, (u64)sk, ARG4, TUPLE_OUT);
	ev_next(s, PPME_SOCKET_SENDTO_X, 5);
	put_s64(s, ret);
	put_data(s, (u64)ARG1, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	put_tuple(s, (u64)sk, ARG4, TUPLE_OUT);
	return ev_submit(s);
}

SYSCALL_EXIT(recvfrom_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock *sk = fd_sock(task, (s32)ARG0);
	BEGIN(PPME_SOCKET_RECVFROM_E, 2);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	ev_next(s, PPME_SOCKET_RECVFROM_X, 5);
	put_s64(s, ret);
	put_data(s, (u64)ARG1, ret);
	put_tuple(s, (u64)sk, ARG4, TUPLE_IN);
	put_s64(s, (s32)ARG0);
	put_u32(s, ARG2);
	return ev_submit(s);
}

/* user_msghdr: struct user_msghdr of include/linux/socket.h (x86_64). */
struct user_msghdr_x {
	u64 name;
	s32 namelen;
	u32 pad0;
	u64 iov;
	u64 iovlen;
	u64 control;
	u64 controllen;
	u32 flags;
	u32 pad1;
};

SYSCALL_EXIT(sendmsg_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock *sk = fd_sock(task, (s32)ARG0);
	struct user_msghdr_x m = {};
	bool ok = bpf_probe_read_user(&m, sizeof(m), (void *)ARG1) == 0;
	u32 size = ok ? iov_total(m.iov, m.iovlen) : 0;
	BEGIN(PPME_SOCKET_SENDMSG_E, 3);
	put_s64(s, (s32)ARG0);
	put_u32(s, size);
	if (ok)
		put_tuple(s, (u64)sk, m.name, TUPLE_OUT);
	else
		put_empty(s);
	ev_next(s, PPME_SOCKET_SENDMSG_X, 5);
	put_s64(s, ret);
	if (ok)
		put_iov_data(s, m.iov, m.iovlen, ret);
	else
		put_empty(s);
	put_s64(s, (s32)ARG0);
	if (ok)
		put_u32(s, size);
	else
		put_empty(s);
	if (ok && ret >= 0)
		put_tuple(s, (u64)sk, m.name, TUPLE_OUT);
	else
		put_empty(s);
	return ev_submit(s);
}

SYSCALL_EXIT(recvmsg_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock *sk = fd_sock(task, (s32)ARG0);
	struct user_msghdr_x m = {};
	bool ok = ret >= 0 && bpf_probe_read_user(&m, sizeof(m), (void *)ARG1) == 0;
	BEGIN(PPME_SOCKET_RECVMSG_E, 1);
	put_s64(s, (s32)ARG0);
	ev_next(s, PPME_SOCKET_RECVMSG_X, 6);
	put_s64(s, ret);
	put_u32(s, ret > 0 ? ret : 0);
	if (ok) {
		put_iov_data(s, m.iov, m.iovlen, ret);
		put_tuple(s, (u64)sk, m.name, TUPLE_IN);
		if (m.control && m.controllen > 0 && m.controllen <= 0xFFFF)
			put_ubuf(s, m.control, m.controllen);
		else
			put_empty(s);
	} else {
		put_empty(s);
		put_empty(s);
		put_empty(s);
	}
	put_s64(s, (s32)ARG0);
	return ev_submit(s);
}

/* ---- credentials and processes ---- */

SYSCALL_EXIT(setuid_x)
{
	BEGIN(PPME_SYSCALL_SETUID_E, 1);
	put_u32(s, ARG0);
	ev_next(s, PPME_SYSCALL_SETUID_X, 2);
	put_s64(s, ret);
	put_u32(s, ARG0);
	return ev_submit(s);
}

SYSCALL_EXIT(setgid_x)
{
	BEGIN(PPME_SYSCALL_SETGID_E, 1);
	put_u32(s, ARG0);
	ev_next(s, PPME_SYSCALL_SETGID_X, 2);
	put_s64(s, ret);
	put_u32(s, ARG0);
	return ev_submit(s);
}

SYSCALL_EXIT(setresuid_x)
{
	BEGIN(PPME_SYSCALL_SETRESUID_E, 3);
	put_u32(s, ARG0);
	put_u32(s, ARG1);
	put_u32(s, ARG2);
	ev_next(s, PPME_SYSCALL_SETRESUID_X, 4);
	put_s64(s, ret);
	put_u32(s, ARG0);
	put_u32(s, ARG1);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(setresgid_x)
{
	BEGIN(PPME_SYSCALL_SETRESGID_E, 3);
	put_u32(s, ARG0);
	put_u32(s, ARG1);
	put_u32(s, ARG2);
	ev_next(s, PPME_SYSCALL_SETRESGID_X, 4);
	put_s64(s, ret);
	put_u32(s, ARG0);
	put_u32(s, ARG1);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(capset_x)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = BPF_CORE_READ(task, cred);
	BEGIN(PPME_SYSCALL_CAPSET_X, 4);
	put_s64(s, ret);
	put_u64(s, BPF_CORE_READ(cred, cap_inheritable.val));
	put_u64(s, BPF_CORE_READ(cred, cap_permitted.val));
	put_u64(s, BPF_CORE_READ(cred, cap_effective.val));
	return ev_submit(s);
}

static __always_inline u16 ptrace_req_to_scap(u64 r)
{
	if (r <= 9)
		return r + 1;
	switch (r) {
	case 12: return PPM_PTRACE_GETREGS;
	case 13: return PPM_PTRACE_SETREGS;
	case 14: return PPM_PTRACE_GETFPREGS;
	case 15: return PPM_PTRACE_SETFPREGS;
	case 16: return PPM_PTRACE_ATTACH;
	case 17: return PPM_PTRACE_DETACH;
	case 18: return PPM_PTRACE_GETFPXREGS;
	case 19: return PPM_PTRACE_SETFPXREGS;
	case 24: return PPM_PTRACE_SYSCALL;
	case 0x4200: return PPM_PTRACE_SETOPTIONS;
	case 0x4201: return PPM_PTRACE_GETEVENTMSG;
	case 0x4202: return PPM_PTRACE_GETSIGINFO;
	case 0x4203: return PPM_PTRACE_SETSIGINFO;
	case 0x4204: return PPM_PTRACE_GETREGSET;
	case 0x4205: return PPM_PTRACE_SETREGSET;
	case 0x4206: return PPM_PTRACE_SEIZE;
	case 0x4207: return PPM_PTRACE_INTERRUPT;
	case 0x4208: return PPM_PTRACE_LISTEN;
	case 0x4209: return PPM_PTRACE_PEEKSIGINFO;
	case 0x420a: return PPM_PTRACE_GETSIGMASK;
	case 0x420b: return PPM_PTRACE_SETSIGMASK;
	}
	return PPM_PTRACE_UNKNOWN;
}

/* put_dyn_u64 writes a DYN parameter holding a UINT64 (index 0). */
GLOBAL int put_dyn_u64(struct scratch *s, u8 idx, u64 v)
{
	if (!s)
		return 0;
	u32 start = s->off;
	raw_u8(s, idx);
	raw_u64(s, v);
	ev_len(s, s->off - start);
	return 0;
}

SYSCALL_EXIT(ptrace_x)
{
	BEGIN(PPME_SYSCALL_PTRACE_E, 2);
	put_u16(s, ptrace_req_to_scap(ARG0));
	put_s64(s, (s32)ARG1);
	ev_next(s, PPME_SYSCALL_PTRACE_X, 5);
	put_s64(s, ret);
	put_dyn_u64(s, PPM_PTRACE_IDX_UINT64, ARG2);
	put_dyn_u64(s, PPM_PTRACE_IDX_UINT64, ARG3);
	put_u16(s, ptrace_req_to_scap(ARG0));
	put_s64(s, (s32)ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(kill_x)
{
	BEGIN(PPME_SYSCALL_KILL_E, 2);
	put_s64(s, (s32)ARG0);
	put_u8(s, ARG1);
	ev_next(s, PPME_SYSCALL_KILL_X, 3);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_u8(s, ARG1);
	return ev_submit(s);
}

SYSCALL_EXIT(unshare_x)
{
	BEGIN(PPME_SYSCALL_UNSHARE_E, 1);
	put_u32(s, clone_flags_to_scap(ARG0));
	ev_next(s, PPME_SYSCALL_UNSHARE_X, 2);
	put_s64(s, ret);
	put_u32(s, clone_flags_to_scap(ARG0));
	return ev_submit(s);
}

SYSCALL_EXIT(setns_x)
{
	BEGIN(PPME_SYSCALL_SETNS_E, 2);
	put_s64(s, (s32)ARG0);
	put_u32(s, clone_flags_to_scap(ARG1));
	ev_next(s, PPME_SYSCALL_SETNS_X, 3);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_u32(s, clone_flags_to_scap(ARG1));
	return ev_submit(s);
}

SYSCALL_EXIT(prctl_x)
{
	u64 option = ARG0;
	BEGIN(PPME_SYSCALL_PRCTL_X, 4);
	put_s64(s, ret);
	put_u32(s, option);
	if (option == 15 /* PR_SET_NAME */ || option == 16 /* PR_GET_NAME */) {
		put_ustr(s, (u64)ARG1, 16);
		put_s64(s, 0);
	} else {
		put_empty(s);
		put_s64(s, ARG1);
	}
	return ev_submit(s);
}

SYSCALL_EXIT(init_module_x)
{
	BEGIN(PPME_SYSCALL_INIT_MODULE_X, 4);
	u64 len = ARG1;
	put_s64(s, ret);
	put_data(s, (u64)ARG0, len > 0x7fffffff ? 0x7fffffff : len);
	put_u64(s, len);
	put_ustr(s, (u64)ARG2, 4096);
	return ev_submit(s);
}

SYSCALL_EXIT(finit_module_x)
{
	BEGIN(PPME_SYSCALL_FINIT_MODULE_X, 4);
	put_s64(s, ret);
	put_s64(s, (s32)ARG0);
	put_ustr(s, (u64)ARG1, 4096);
	put_u32(s, ARG2);
	return ev_submit(s);
}

SYSCALL_EXIT(userfaultfd_x)
{
	BEGIN(PPME_SYSCALL_USERFAULTFD_X, 2);
	put_s64(s, ret);
	put_u32(s, (u32)ARG0);
	return ev_submit(s);
}

SYSCALL_EXIT(bpf_x)
{
	u64 cmd = ARG0;
	BEGIN(PPME_SYSCALL_BPF_E, 1);
	put_s64(s, cmd);
	ev_next(s, PPME_SYSCALL_BPF_X, 1);
	/* res_or_fd: an fd for BPF_MAP_CREATE (0) and BPF_PROG_LOAD (5) that
	 * succeeded, else the result. */
	put_dyn_u64(s, (ret >= 0 && (cmd == 0 || cmd == 5)) ? PPM_BPF_IDX_FD : PPM_BPF_IDX_RES, ret);
	return ev_submit(s);
}

/* ---- dispatch ---- */

static __always_inline int generic_x(long id)
{
	BEGIN(PPME_GENERIC_X, 2);
	put_u16(s, ppm_sc[id & (MAX_SYSCALLS - 1)]);
	put_u16(s, id);
	return ev_submit(s);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if ((u64)id >= MAX_SYSCALLS)
		return 0;
	u8 f = syscall_flags[id];
	if (f) {
		if ((f & SC_ENTER) && !filtered_out())
			bpf_tail_call(ctx, &enter_progs, id);
		return 0;
	}
	/* The recorder's own syscalls are not counted either, nor those of
	 * threads --only-command leaves out. */
	if ((u32)(bpf_get_current_pid_tgid() >> 32) == self_tgid || outside_command())
		return 0;
	u32 key = id;
	u64 *n = bpf_map_lookup_elem(&unrecorded, &key);
	if (n)
		*n += 1;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	if ((u64)id >= MAX_SYSCALLS)
		return 0;
	u8 f = syscall_flags[id];
	if (!f)
		return 0;
	if (filtered_out())
		return 0;
	if (f & SC_RECORD)
		bpf_tail_call(ctx, &exit_progs, id);
	if (f & SC_GENERIC)
		return generic_x(id);
	return 0;
}
