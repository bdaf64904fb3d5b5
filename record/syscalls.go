//go:build linux && amd64

package record

// recordedSyscall names one syscall the recorder encodes and the BPF program
// (a function in bpf/recorder.bpf.c) that writes its exit event.
type recordedSyscall struct {
	nr      uint32 // x86_64 syscall number
	name    string // syscall name, as in scap's event table
	program string // BPF program name (exit side)
	// enterProgram, when set, is run at sys_enter: it writes the enter
	// event of syscalls whose arguments are gone at exit (execve).
	enterProgram string
}

// recordedSyscalls is the set of syscalls written with their full exit event.
// Every other syscall is counted per type, or written as a generic event with
// Options.AllSyscalls.
var recordedSyscalls = []recordedSyscall{
	{0, "read", "read_x", ""},
	{1, "write", "write_x", ""},
	{2, "open", "open_x", ""},
	{3, "close", "close_x", ""},
	{22, "pipe", "pipe_x", ""},
	{17, "pread64", "pread_x", ""},
	{18, "pwrite64", "pwrite_x", ""},
	{19, "readv", "readv_x", ""},
	{20, "writev", "writev_x", ""},
	{32, "dup", "dup_x", ""},
	{33, "dup2", "dup2_x", ""},
	{41, "socket", "socket_x", ""},
	{42, "connect", "connect_x", ""},
	{43, "accept", "accept_x", ""},
	{44, "sendto", "sendto_x", ""},
	{45, "recvfrom", "recvfrom_x", ""},
	{46, "sendmsg", "sendmsg_x", ""},
	{47, "recvmsg", "recvmsg_x", ""},
	{49, "bind", "bind_x", ""},
	{50, "listen", "listen_x", ""},
	{56, "clone", "clone_x", ""},
	{57, "fork", "fork_x", ""},
	{58, "vfork", "vfork_x", ""},
	{59, "execve", "execve_x", "execve_e"},
	{62, "kill", "kill_x", ""},
	{72, "fcntl", "fcntl_x", ""},
	{80, "chdir", "chdir_x", ""},
	{81, "fchdir", "fchdir_x", ""},
	{82, "rename", "rename_x", ""},
	{83, "mkdir", "mkdir_x", ""},
	{84, "rmdir", "rmdir_x", ""},
	{85, "creat", "creat_x", ""},
	{86, "link", "link_x", ""},
	{87, "unlink", "unlink_x", ""},
	{88, "symlink", "symlink_x", ""},
	{90, "chmod", "chmod_x", ""},
	{91, "fchmod", "fchmod_x", ""},
	{92, "chown", "chown_x", ""},
	{93, "fchown", "fchown_x", ""},
	{94, "lchown", "lchown_x", ""},
	{101, "ptrace", "ptrace_x", ""},
	{105, "setuid", "setuid_x", ""},
	{106, "setgid", "setgid_x", ""},
	{117, "setresuid", "setresuid_x", ""},
	{119, "setresgid", "setresgid_x", ""},
	{126, "capset", "capset_x", ""},
	{157, "prctl", "prctl_x", ""},
	{165, "mount", "mount_x", ""},
	{166, "umount2", "umount2_x", ""},
	{175, "init_module", "init_module_x", ""},
	{257, "openat", "openat_x", ""},
	{258, "mkdirat", "mkdirat_x", ""},
	{260, "fchownat", "fchownat_x", ""},
	{263, "unlinkat", "unlinkat_x", ""},
	{264, "renameat", "renameat_x", ""},
	{265, "linkat", "linkat_x", ""},
	{266, "symlinkat", "symlinkat_x", ""},
	{268, "fchmodat", "fchmodat_x", ""},
	{272, "unshare", "unshare_x", ""},
	{288, "accept4", "accept4_x", ""},
	{292, "dup3", "dup3_x", ""},
	{293, "pipe2", "pipe2_x", ""},
	{308, "setns", "setns_x", ""},
	{313, "finit_module", "finit_module_x", ""},
	{316, "renameat2", "renameat2_x", ""},
	{319, "memfd_create", "memfd_create_x", ""},
	{321, "bpf", "bpf_x", ""},
	{323, "userfaultfd", "userfaultfd_x", ""},
	{322, "execveat", "execveat_x", "execveat_e"},
	{435, "clone3", "clone3_x", ""},
	{437, "openat2", "openat2_x", ""},
}

// maxSyscalls bounds syscall numbers the BPF side tracks (MAX_SYSCALLS in C).
const maxSyscalls = 512
