package replay

import (
	"bytes"

	"github.com/retrace-dev/retrace/capture/container"
)

// noID is the uid/gid/loginuid value meaning "none" (UINT32_MAX).
const noID = 0xffffffff

// Thread is one thread of the thread table, with the process attributes
// libsinsp keeps per thread. Byte-slice attributes are owned by the state
// and valid until the next event.
type Thread struct {
	Tid, Pid, PTid   int64
	Vtid, Vpid       int64
	Sid, Pgid, Vpgid int64
	UID, GID         uint32
	LoginUID         uint32
	Tty              uint32
	FDLimit          int64
	// CloneTs is when the thread started (clone exit or process-list
	// snapshot), in ns since the epoch; 0 if unknown.
	CloneTs            uint64
	PidnsInitStart     uint64
	CapInheritable     uint64
	CapPermitted       uint64
	CapEffective       uint64
	CapsKnown          bool
	ExeFlags           uint32 // PPM_EXE_* flags of the last execve
	ExeIno             uint64
	ExeCtime, ExeMtime uint64
	VMSize, VMRSS      uint32
	VMSwap             uint32
	PFMajor, PFMinor   uint64
	Flags              uint32 // PPM_CL_* flags
	ContainerID        string // "" for host threads
	ContainerType      container.Type
	comm, exe, exePath []byte
	args               []byte // NUL-separated argv[1..]
	cmdline            []byte // comm + " " + args joined by spaces
	nargs              int
	cwd                []byte
	env                []byte // NUL-separated
	cgroups            []byte // NUL-separated subsys=path
	root               []byte
	// fds is the process's fd table (shared by its threads).
	fds *FDTable
	// lastEnter is a copy of the thread's last enter event (for
	// enter/exit pairing); lastEnterType its code, or noEnter.
	lastEnter     []byte
	lastEnterType uint16
	lastEnterOK   bool
	lastFD        int64
	// latency is the time between the last enter event and its exit.
	latency uint64
	// dead is set by procexit; the thread is removed at the next event.
	dead bool
	// fake marks a thread created for an event of an unknown tid.
	fake bool
	// reaper marks (on a main thread) a process that reaps orphaned
	// descendants: a child subreaper, or one a procexit named.
	reaper bool
	// reaperTid is the reaper_tid of the thread's procexit (0: none).
	reaperTid int64
	// childIdx is t's position in its parent tid's children list, -1
	// when not listed (reparent.go).
	childIdx int
	// gapEpoch is the number of gaps before the thread's state was last
	// known whole (creation, execve; gap.go).
	gapEpoch uint32
	// lineage is the record of the process's current image (shared by
	// its threads), nil until a clone or exec creates it or it is asked.
	lineage *Lineage
}

const noEnter = 0xffff

// Comm returns the thread's command name (proc.name).
func (t *Thread) Comm() []byte { return t.comm }

// Exe returns argv[0] (proc.exe).
func (t *Thread) Exe() []byte { return t.exe }

// ExePath returns the executable's full path (proc.exepath).
func (t *Thread) ExePath() []byte { return t.exePath }

// Cmdline returns proc.cmdline: the name followed by the arguments.
func (t *Thread) Cmdline() []byte { return t.cmdline }

// Args returns the arguments joined by spaces (proc.args).
func (t *Thread) Args() []byte {
	if len(t.cmdline) > len(t.comm) {
		return t.cmdline[len(t.comm)+1:]
	}
	return t.cmdline[len(t.cmdline):]
}

// Arg returns argument i (0 = first argument after argv[0]).
func (t *Thread) Arg(i int) ([]byte, bool) {
	rest := t.args
	for k := 0; len(rest) > 0; k++ {
		var a []byte
		if j := bytes.IndexByte(rest, 0); j >= 0 {
			a, rest = rest[:j], rest[j+1:]
		} else {
			a, rest = rest, nil
		}
		if k == i {
			return a, true
		}
	}
	return nil, false
}

// Cwd returns the working directory (with a trailing slash, as libsinsp
// keeps it).
func (t *Thread) Cwd() []byte { return t.cwd }

// Env returns the environment, NUL-separated.
func (t *Thread) Env() []byte { return t.env }

// Cgroups returns the cgroups, NUL-separated "subsys=path" entries.
func (t *Thread) Cgroups() []byte { return t.cgroups }

// FDs returns the thread's fd table.
func (t *Thread) FDs() *FDTable { return t.fds }

// IsMain reports whether the thread is its process's main thread.
func (t *Thread) IsMain() bool { return t.Tid == t.Pid }

// setCmd sets comm and args and rebuilds cmdline.
func (t *Thread) setCmd(comm, args []byte) {
	t.comm = append(t.comm[:0], comm...)
	// libsinsp drops a trailing NUL and treats the rest as the list.
	t.args = append(t.args[:0], args...)
	t.rebuildCmdline()
}

// rebuildCmdline recomputes cmdline from comm and args.
func (t *Thread) rebuildCmdline() {
	b := append(t.cmdline[:0], t.comm...)
	t.nargs = 0
	rest := t.args
	for len(rest) > 0 {
		var a []byte
		if j := bytes.IndexByte(rest, 0); j >= 0 {
			a, rest = rest[:j], rest[j+1:]
		} else {
			a, rest = rest, nil
		}
		b = append(b, ' ')
		b = append(b, a...)
		t.nargs++
	}
	t.cmdline = b
}

// setCwd stores a working directory, adding the trailing slash libsinsp
// keeps.
func (t *Thread) setCwd(cwd []byte) {
	t.cwd = append(t.cwd[:0], cwd...)
	if len(t.cwd) == 0 || t.cwd[len(t.cwd)-1] != '/' {
		t.cwd = append(t.cwd, '/')
	}
}

// copyProcessFrom copies the process attributes of parent into t (clone).
func (t *Thread) copyProcessFrom(p *Thread) {
	t.comm = append(t.comm[:0], p.comm...)
	t.exe = append(t.exe[:0], p.exe...)
	t.exePath = append(t.exePath[:0], p.exePath...)
	t.args = append(t.args[:0], p.args...)
	t.cmdline = append(t.cmdline[:0], p.cmdline...)
	t.nargs = p.nargs
	t.cwd = append(t.cwd[:0], p.cwd...)
	t.env = append(t.env[:0], p.env...)
	t.cgroups = append(t.cgroups[:0], p.cgroups...)
	t.root = append(t.root[:0], p.root...)
	t.UID, t.GID, t.LoginUID, t.Tty = p.UID, p.GID, p.LoginUID, p.Tty
	t.Sid, t.Pgid, t.Vpgid = p.Sid, p.Pgid, p.Vpgid
	t.FDLimit = p.FDLimit
	t.CapInheritable, t.CapPermitted, t.CapEffective, t.CapsKnown = p.CapInheritable, p.CapPermitted, p.CapEffective, p.CapsKnown
	t.ExeFlags, t.ExeIno, t.ExeCtime, t.ExeMtime = p.ExeFlags, p.ExeIno, p.ExeCtime, p.ExeMtime
	t.ContainerID, t.ContainerType = p.ContainerID, p.ContainerType
	t.PidnsInitStart = p.PidnsInitStart
}

// reset clears t for reuse, keeping buffer capacity.
func (t *Thread) reset(tid int64) {
	*t = Thread{
		Tid: tid, Pid: tid, PTid: -1, Vtid: -1, Vpid: -1, Sid: -1, Pgid: -1, Vpgid: -1, FDLimit: -1, UID: noID, GID: noID, LoginUID: noID,
		comm: t.comm[:0], exe: t.exe[:0], exePath: t.exePath[:0], args: t.args[:0],
		cmdline: t.cmdline[:0], cwd: t.cwd[:0], env: t.env[:0], cgroups: t.cgroups[:0],
		root: t.root[:0], lastEnter: t.lastEnter[:0], lastEnterType: noEnter,
	}
}
