package scap

// ProfileEntry says which events retrace's recorder writes for one syscall
// (docs/FORMAT.md, "Event profile").
type ProfileEntry struct {
	// Syscall is the Linux syscall name ("pread64"), or "procexit" for
	// process exit.
	Syscall string
	// Exit is the event code written when the syscall returns; for
	// procexit it is the enter-only tracepoint event PPME_PROCEXIT_1_E.
	Exit Type
	// Enter reports whether the enter event (code Exit-1) is written too,
	// because sysdig 0.29.3 needs a parameter only its enter event carries.
	Enter bool
	// Sysdig029 reports whether sysdig 0.29.3 knows the Exit code; it
	// silently skips events it does not know.
	Sysdig029 bool
}

// EnterType returns the enter event code written before Exit, ok false
// when no enter event is written.
func (p ProfileEntry) EnterType() (Type, bool) {
	if !p.Enter {
		return 0, false
	}
	return p.Exit - 1, true
}

// profile is the recorder's event profile, in docs/FORMAT.md order.
var profile = [...]ProfileEntry{
	{Syscall: "execve", Exit: SyscallExecveV19X, Enter: true, Sysdig029: true},
	{Syscall: "execveat", Exit: SyscallExecveatX, Enter: false, Sysdig029: true},
	{Syscall: "clone", Exit: SyscallCloneV20X, Enter: false, Sysdig029: true},
	{Syscall: "clone3", Exit: SyscallClone3X, Enter: false, Sysdig029: true},
	{Syscall: "fork", Exit: SyscallForkV20X, Enter: false, Sysdig029: true},
	{Syscall: "vfork", Exit: SyscallVforkV20X, Enter: false, Sysdig029: true},
	{Syscall: "procexit", Exit: ProcexitV1E, Enter: false, Sysdig029: true},
	{Syscall: "open", Exit: SyscallOpenX, Enter: false, Sysdig029: true},
	{Syscall: "openat", Exit: SyscallOpenatV2X, Enter: false, Sysdig029: true},
	{Syscall: "openat2", Exit: SyscallOpenat2X, Enter: false, Sysdig029: true},
	{Syscall: "creat", Exit: SyscallCreatX, Enter: false, Sysdig029: true},
	{Syscall: "close", Exit: SyscallCloseX, Enter: true, Sysdig029: true},
	{Syscall: "read", Exit: SyscallReadX, Enter: true, Sysdig029: true},
	{Syscall: "write", Exit: SyscallWriteX, Enter: true, Sysdig029: true},
	{Syscall: "pread64", Exit: SyscallPreadX, Enter: true, Sysdig029: true},
	{Syscall: "pwrite64", Exit: SyscallPwriteX, Enter: true, Sysdig029: true},
	{Syscall: "readv", Exit: SyscallReadvX, Enter: true, Sysdig029: true},
	{Syscall: "writev", Exit: SyscallWritevX, Enter: true, Sysdig029: true},
	{Syscall: "unlink", Exit: SyscallUnlinkV2X, Enter: false, Sysdig029: true},
	{Syscall: "unlinkat", Exit: SyscallUnlinkatV2X, Enter: false, Sysdig029: true},
	{Syscall: "rename", Exit: SyscallRenameX, Enter: false, Sysdig029: true},
	{Syscall: "renameat", Exit: SyscallRenameatX, Enter: false, Sysdig029: true},
	{Syscall: "renameat2", Exit: SyscallRenameat2X, Enter: false, Sysdig029: true},
	{Syscall: "mkdir", Exit: SyscallMkdirV2X, Enter: true, Sysdig029: true},
	{Syscall: "mkdirat", Exit: SyscallMkdiratX, Enter: false, Sysdig029: true},
	{Syscall: "rmdir", Exit: SyscallRmdirV2X, Enter: false, Sysdig029: true},
	{Syscall: "chmod", Exit: SyscallChmodX, Enter: false, Sysdig029: true},
	{Syscall: "fchmod", Exit: SyscallFchmodX, Enter: false, Sysdig029: true},
	{Syscall: "fchmodat", Exit: SyscallFchmodatX, Enter: false, Sysdig029: true},
	{Syscall: "chown", Exit: SyscallChownX, Enter: false, Sysdig029: false},
	{Syscall: "lchown", Exit: SyscallLchownX, Enter: false, Sysdig029: false},
	{Syscall: "fchown", Exit: SyscallFchownX, Enter: false, Sysdig029: false},
	{Syscall: "fchownat", Exit: SyscallFchownatX, Enter: false, Sysdig029: false},
	{Syscall: "symlink", Exit: SyscallSymlinkX, Enter: false, Sysdig029: true},
	{Syscall: "symlinkat", Exit: SyscallSymlinkatX, Enter: false, Sysdig029: true},
	{Syscall: "link", Exit: SyscallLinkV2X, Enter: false, Sysdig029: true},
	{Syscall: "linkat", Exit: SyscallLinkatV2X, Enter: false, Sysdig029: true},
	{Syscall: "socket", Exit: SocketSocketX, Enter: true, Sysdig029: true},
	{Syscall: "connect", Exit: SocketConnectX, Enter: true, Sysdig029: true},
	{Syscall: "accept", Exit: SocketAcceptV5X, Enter: false, Sysdig029: true},
	{Syscall: "accept4", Exit: SocketAccept4V5X, Enter: true, Sysdig029: true},
	{Syscall: "bind", Exit: SocketBindX, Enter: true, Sysdig029: true},
	{Syscall: "listen", Exit: SocketListenX, Enter: true, Sysdig029: true},
	{Syscall: "sendto", Exit: SocketSendtoX, Enter: true, Sysdig029: true},
	{Syscall: "recvfrom", Exit: SocketRecvfromX, Enter: true, Sysdig029: true},
	{Syscall: "sendmsg", Exit: SocketSendmsgX, Enter: true, Sysdig029: true},
	{Syscall: "recvmsg", Exit: SocketRecvmsgX, Enter: true, Sysdig029: true},
	{Syscall: "setuid", Exit: SyscallSetuidX, Enter: true, Sysdig029: true},
	{Syscall: "setgid", Exit: SyscallSetgidX, Enter: true, Sysdig029: true},
	{Syscall: "setresuid", Exit: SyscallSetresuidX, Enter: true, Sysdig029: true},
	{Syscall: "setresgid", Exit: SyscallSetresgidX, Enter: true, Sysdig029: true},
	{Syscall: "ptrace", Exit: SyscallPtraceX, Enter: true, Sysdig029: true},
	{Syscall: "dup", Exit: SyscallDupX, Enter: true, Sysdig029: true},
	{Syscall: "dup2", Exit: SyscallDup2X, Enter: false, Sysdig029: false},
	{Syscall: "dup3", Exit: SyscallDup3X, Enter: false, Sysdig029: false},
	{Syscall: "fcntl", Exit: SyscallFcntlX, Enter: true, Sysdig029: true},
	{Syscall: "pipe", Exit: SyscallPipeX, Enter: false, Sysdig029: true},
	{Syscall: "pipe2", Exit: SyscallPipe2X, Enter: false, Sysdig029: false},
	{Syscall: "chdir", Exit: SyscallChdirX, Enter: false, Sysdig029: true},
	{Syscall: "fchdir", Exit: SyscallFchdirX, Enter: true, Sysdig029: true},
	{Syscall: "mount", Exit: SyscallMountX, Enter: true, Sysdig029: true},
	{Syscall: "umount2", Exit: SyscallUmount2X, Enter: false, Sysdig029: false},
	{Syscall: "kill", Exit: SyscallKillX, Enter: true, Sysdig029: true},
	{Syscall: "memfd_create", Exit: SyscallMemfdCreateX, Enter: false, Sysdig029: false},
	{Syscall: "init_module", Exit: SyscallInitModuleX, Enter: false, Sysdig029: false},
	{Syscall: "finit_module", Exit: SyscallFinitModuleX, Enter: false, Sysdig029: false},
	{Syscall: "bpf", Exit: SyscallBpfX, Enter: true, Sysdig029: true},
	{Syscall: "unshare", Exit: SyscallUnshareX, Enter: true, Sysdig029: true},
	{Syscall: "setns", Exit: SyscallSetnsX, Enter: true, Sysdig029: true},
	{Syscall: "capset", Exit: SyscallCapsetX, Enter: false, Sysdig029: false},
	{Syscall: "prctl", Exit: SyscallPrctlX, Enter: false, Sysdig029: false},
	{Syscall: "userfaultfd", Exit: SyscallUserfaultfdX, Enter: false, Sysdig029: true},
}

// Profile returns the recorder's event profile: one entry per recorded
// syscall, in docs/FORMAT.md order. The slice is a fresh copy.
func Profile() []ProfileEntry {
	out := make([]ProfileEntry, len(profile))
	copy(out, profile[:])
	return out
}

// ProfileFor returns the profile entry of the syscall called name.
func ProfileFor(name string) (ProfileEntry, bool) {
	for _, p := range profile {
		if p.Syscall == name {
			return p, true
		}
	}
	return ProfileEntry{}, false
}

// GenericSyscall is the event code the recorder writes, with --all-syscalls,
// for a syscall outside the profile: PPME_GENERIC_X with parameters ID
// (ppm_sc code) and nativeID (native syscall number).
const GenericSyscall = GenericX
