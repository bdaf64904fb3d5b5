package replay

import (
	"path"
)

// MaxLineageDepth bounds how many ancestors a [Lineage] chain keeps; older
// ones are cut off (and the cut record says so), so that a chain of
// processes that each fork and exit cannot grow without bound.
const MaxLineageDepth = 64

// maxLineageCmdline bounds the command line a [Lineage] record keeps.
const maxLineageCmdline = 512

// Origin says how a [Lineage] record began.
type Origin uint8

// The origins of a Lineage record.
const (
	// OriginSnapshot: the process was running when the capture started
	// (or appeared without a clone event).
	OriginSnapshot Origin = iota
	// OriginFork: a clone/fork/vfork the capture recorded.
	OriginFork
	// OriginExec: an execve the capture recorded.
	OriginExec
)

// String returns "snapshot", "fork" or "exec".
func (o Origin) String() string {
	switch o {
	case OriginFork:
		return "fork"
	case OriginExec:
		return "exec"
	}
	return "snapshot"
}

// Lineage is one program image of one process: what a process was from a
// fork, an exec or the capture's start until its next exec or its exit. It
// is the compact record provenance chains are made of: it outlives the
// process while a live descendant refers to it (the Go collector frees it
// afterwards), so memory follows live processes, not capture length.
//
// Records are immutable once their image is replaced, except Exit. They
// are owned by the state and must not be modified.
type Lineage struct {
	// ProcessStart is when the process (not the image) started: with Pid
	// it identifies the process across its execs; 0 when unknown.
	ProcessStart uint64
	// Pid and Vpid are the process id on the host and in its pid namespace.
	Pid, Vpid int64
	// Comm, Exe (argv[0]), ExePath and Cmdline (bounded) describe the image.
	Comm, Exe, ExePath, Cmdline string
	// UID, LoginUID (UINT32_MAX: unset), Tty (0: none) and Sid are the
	// credentials and session at the image's start.
	UID, LoginUID uint32
	Tty           uint32
	Sid           int64
	// ContainerID is the container ("" for the host).
	ContainerID string
	// Start is when the image began (clone or execve), Exit when the
	// process exited; ns since the epoch, 0 when unknown.
	Start, Exit uint64
	// Origin says how the image began.
	Origin Origin
	// Parent is the image that created the process (the parent as it
	// was at the fork), nil when unknown or cut off.
	Parent *Lineage
	// Prev is the image an exec replaced (same process), nil otherwise.
	Prev *Lineage
	// Cut is set when older ancestors were dropped (see MaxLineageDepth).
	Cut bool
}

// Chain returns l and its ancestors, l first, up to max records (0: all
// kept).
func (l *Lineage) Chain(max int) []*Lineage {
	var out []*Lineage
	for a := l; a != nil && (max <= 0 || len(out) < max); a = a.Parent {
		out = append(out, a)
	}
	return out
}

// forkLineage starts the record of t, a thread a clone created: a fork
// record under its parent's current image, or its process's record for a
// thread.
func (s *State) forkLineage(t *Thread) {
	if !t.IsMain() {
		if m := s.threads[t.Pid]; m != nil && m != t {
			t.lineage = s.lineageOf(m)
		}
		return
	}
	l := s.newLineage(t, OriginFork, t.CloneTs)
	l.ProcessStart = t.CloneTs
	l.Parent = s.lineageOf(s.parentProcess(t))
	s.boundLineage(l)
	t.lineage = l
}

// execLineage replaces the record of t's image after a successful execve:
// the new image keeps the process's parent and remembers the one it
// replaced.
func (s *State) execLineage(e *Event, t *Thread) {
	prev := t.lineage
	l := s.newLineage(t, OriginExec, e.Ev.Ts())
	if prev != nil {
		l.ProcessStart, l.Parent, l.Prev, l.Cut = prev.ProcessStart, prev.Parent, prev, prev.Cut
		prev.Prev = nil // keep one replaced image, not every one
	} else {
		l.ProcessStart = t.CloneTs
		l.Parent = s.lineageOf(s.parentProcess(t))
		s.boundLineage(l)
	}
	t.lineage = l
}

// endLineage marks the exit of t's process.
func (s *State) endLineage(t *Thread, ts uint64) {
	if t != nil && t.IsMain() && t.lineage != nil {
		t.lineage.Exit = ts
	}
}

// newLineage returns a record of t's current image.
func (s *State) newLineage(t *Thread, o Origin, start uint64) *Lineage {
	cmd := t.cmdline
	if len(cmd) > maxLineageCmdline {
		cmd = cmd[:maxLineageCmdline]
	}
	l := &Lineage{ProcessStart: t.CloneTs, Pid: t.Pid, Vpid: t.Vpid, Comm: string(t.comm), Exe: string(t.exe),
		ExePath: string(t.exePath), Cmdline: string(cmd), UID: t.UID, LoginUID: t.LoginUID, Tty: t.Tty, Sid: t.Sid,
		ContainerID: t.ContainerID, Start: start, Origin: o}
	return l
}

// lineageOf returns the record of t's current image, creating records
// for t and its ancestors in the thread table when the capture did not
// show their creation; nil for a nil t.
func (s *State) lineageOf(t *Thread) *Lineage {
	if t == nil {
		return nil
	}
	if t.lineage != nil {
		return t.lineage
	}
	if !t.IsMain() {
		if m := s.threads[t.Pid]; m != nil && m != t {
			t.lineage = s.lineageOf(m)
			return t.lineage
		}
	}
	// Create records for t and the ancestors without one, oldest first.
	var todo []*Thread
	for a := t; a != nil && a.lineage == nil && len(todo) < MaxLineageDepth && !containsThread(todo, a); a = s.parentProcess(a) {
		todo = append(todo, a)
	}
	for i := len(todo) - 1; i >= 0; i-- {
		a := todo[i]
		l := s.newLineage(a, OriginSnapshot, a.CloneTs)
		if p := s.parentProcess(a); p != nil {
			l.Parent = p.lineage
		}
		a.lineage = l
	}
	return t.lineage
}

// parentProcess returns the main thread of t's parent, nil when unknown.
func (s *State) parentProcess(t *Thread) *Thread {
	p := s.threads[t.PTid]
	if p != nil && !p.IsMain() {
		if m := s.threads[p.Pid]; m != nil {
			p = m
		}
	}
	if p == t {
		return nil
	}
	return p
}

func containsThread(ts []*Thread, t *Thread) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// boundLineage cuts l's chain at MaxLineageDepth records.
func (s *State) boundLineage(l *Lineage) {
	a := l
	for i := 1; i < MaxLineageDepth && a != nil; i++ {
		a = a.Parent
	}
	if a != nil && a.Parent != nil {
		a.Parent, a.Cut = nil, true
	}
}

// Lineage returns the record of the image of the event's process, nil
// when the event has no thread. Records outlive their processes (see
// [Lineage]).
func (e *Event) Lineage() *Lineage {
	return e.state.lineageOf(e.Thread)
}

// ThreadLineage returns the record of t's current image.
func (s *State) ThreadLineage(t *Thread) *Lineage { return s.lineageOf(t) }

// IsShell reports whether the image is a shell: by its executable or its
// argv[0] (a renamed copy, a busybox applet, busybox re-executing itself as
// "exe"), or busybox running a shell applet.
func (l *Lineage) IsShell() bool {
	for _, n := range []string{l.Comm, path.Base(l.Exe), path.Base(l.ExePath)} {
		if isShellName(n) {
			return true
		}
	}
	if isBusybox(l.Comm) || isBusybox(path.Base(l.ExePath)) || isBusybox(path.Base(l.Exe)) || l.Comm == "exe" {
		// busybox sh, busybox ash ...: the applet is the first argument.
		if len(l.Cmdline) > len(l.Comm) {
			rest := l.Cmdline[len(l.Comm)+1:]
			if j := indexByte(rest, ' '); j >= 0 {
				rest = rest[:j]
			}
			return isShellName(path.Base(rest))
		}
	}
	return false
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func isBusybox(n string) bool { return n == "busybox" || n == "toybox" }

// isShellName reports whether n is the name of a shell program.
func isShellName(n string) bool {
	switch n {
	case "sh", "bash", "dash", "zsh", "ash", "ksh", "ksh93", "mksh", "pdksh", "tcsh", "csh", "fish", "rbash", "yash", "hush", "-sh", "-bash", "-zsh", "-ash", "-dash", "-ksh":
		return true
	}
	return false
}
