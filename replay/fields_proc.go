package replay

import (
	"bytes"
	"fmt"

	"github.com/retrace-dev/retrace/engine"
)

// maxLineage bounds ancestor walks (loops in a hostile capture).
const maxLineage = 64

// thr wraps an extractor that needs the event's thread.
func thr(f func(e *Event, t *Thread, d []engine.Value) []engine.Value) extractFn {
	return func(e *Event, d []engine.Value) []engine.Value {
		if e.Thread == nil {
			return d
		}
		return f(e, e.Thread, d)
	}
}

// par wraps an extractor that needs the main thread of the event's
// parent process (libsinsp's get_ancestor_process).
func par(f func(e *Event, p *Thread, d []engine.Value) []engine.Value) extractFn {
	return func(e *Event, d []engine.Value) []engine.Value {
		p, ok := e.state.Ancestor(e.Thread, 1)
		if !ok {
			return d
		}
		return f(e, p, d)
	}
}

// ptid wraps an extractor that needs the thread the event thread's own
// parent tid names (libsinsp's proc.pvpid and proc.ppid.ts).
func ptid(f func(e *Event, p *Thread, d []engine.Value) []engine.Value) extractFn {
	return func(e *Event, d []engine.Value) []engine.Value {
		p, ok := e.state.Parent(e.Thread)
		if !ok {
			return d
		}
		return f(e, p, d)
	}
}

// threadBytes picks a byte attribute of a thread.
type threadBytes func(t *Thread) []byte

// ancestorField defines proc.aXXX: with index N the N-th ancestor's value
// (0 = the process itself), without index every ancestor's value.
func ancestorField(name, desc string, get threadBytes) def {
	return def{name: name, typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgIndex,
		flags: engine.FlagNoRHS | engine.FlagNoTransformer, desc: desc,
		bind: func(arg engine.Arg) (engine.Binding, error) {
			if arg.Present {
				n := arg.Index
				return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
					a, ok := e.state.Ancestor(t, n)
					if !ok {
						return d
					}
					return str(d, get(a))
				}))}, nil
			}
			return engine.Binding{Type: engine.TypeString, Values: engine.AnyOf, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				for i := 1; i <= maxLineage; i++ {
					a, ok := e.state.Ancestor(t, i)
					if !ok {
						break
					}
					d = str(d, get(a))
				}
				return d
			}))}, nil
		}}
}

// leader returns the eldest ancestor of t (t included) for which same
// holds, stopping early at one for which isLeader holds.
func (s *State) leader(t *Thread, same, isLeader func(*Thread) bool) *Thread {
	res := t
	cur := t
	for i := 0; i < maxLineage; i++ {
		if isLeader(cur) {
			return cur
		}
		p, ok := s.Parent(cur)
		if !ok || !same(p) {
			break
		}
		res = p
		cur = p
	}
	return res
}

func (s *State) sessionLeader(t *Thread) *Thread {
	sid := t.Sid
	return s.leader(t, func(x *Thread) bool { return x.Sid == sid }, func(x *Thread) bool { return x.Pid == sid })
}

func (s *State) vpgidLeader(t *Thread) *Thread {
	g := t.Vpgid
	return s.leader(t, func(x *Thread) bool { return x.Vpgid == g }, func(x *Thread) bool { return x.Vpid == g })
}

func (s *State) pgidLeader(t *Thread) *Thread {
	g := t.Pgid
	return s.leader(t, func(x *Thread) bool { return x.Pgid == g }, func(x *Thread) bool { return x.Pid == g })
}

// procFields returns the proc.* and thread.* fields.
func procFields() []def {
	comm := func(t *Thread) []byte { return t.comm }
	exe := func(t *Thread) []byte { return t.exe }
	exePath := func(t *Thread) []byte { return t.exePath }
	cmdline := func(t *Thread) []byte { return t.cmdline }
	args := func(t *Thread) []byte { return t.Args() }
	bytesOf := func(get threadBytes) extractFn {
		return thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return str(d, get(t)) })
	}
	parentBytes := func(get threadBytes) extractFn {
		return par(func(e *Event, p *Thread, d []engine.Value) []engine.Value { return str(d, get(p)) })
	}
	intOf := func(get func(t *Thread) int64) extractFn {
		return thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return i64(d, get(t)) })
	}
	leaderBytes := func(find func(s *State, t *Thread) *Thread, get threadBytes) extractFn {
		return thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return str(d, get(find(e.state, e.state.mainThread(t))))
		})
	}
	sess := func(s *State, t *Thread) *Thread { return s.sessionLeader(t) }
	vpg := func(s *State, t *Thread) *Thread { return s.vpgidLeader(t) }
	pg := func(s *State, t *Thread) *Thread { return s.pgidLeader(t) }
	exeFlag := func(name, desc string, flag uint32) def {
		return def{name: name, typ: engine.TypeBool, desc: desc, ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return boolean(d, t.ExeFlags&flag != 0)
		})}
	}
	capField := func(name, desc string, get func(t *Thread) uint64) def {
		return def{name: name, typ: engine.TypeString, desc: desc, bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				if !t.CapsKnown {
					return d
				}
				buf = appendCaps(buf[:0], get(t))
				return str(d, buf)
			}))}, nil
		}}
	}
	stdField := func(name string, fdnum int64, typ bool) def {
		desc := fmt.Sprintf("Name of fd %d of the process.", fdnum)
		ft := engine.TypeString
		if typ {
			desc = fmt.Sprintf("Type of fd %d of the process.", fdnum)
		}
		return def{name: name, typ: ft, desc: desc, ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			f := e.state.getFD(t, fdnum)
			if f == nil {
				return d
			}
			if typ {
				if s := f.Type.String(); s != "" {
					return str(d, sb(s))
				}
				return d
			}
			return str(d, f.name)
		})}
	}
	return []def{
		{name: "proc.pid", typ: engine.TypePID, desc: "Id of the process that generated the event.", ex: intOf(func(t *Thread) int64 { return t.Pid })},
		{name: "proc.ppid", typ: engine.TypePID, desc: "Id of the parent process.", ex: par(func(e *Event, p *Thread, d []engine.Value) []engine.Value {
			return i64(d, p.Pid)
		})},
		{name: "proc.vpid", typ: engine.TypePID, desc: "Process id as seen from its own pid namespace.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.Vpid == -1 {
				return d
			}
			return i64(d, t.Vpid)
		})},
		{name: "proc.pvpid", typ: engine.TypePID, desc: "Parent's process id as seen from its pid namespace.", ex: ptid(func(e *Event, p *Thread, d []engine.Value) []engine.Value { return i64(d, p.Vpid) })},
		{name: "proc.name", typ: engine.TypeString, desc: "Name of the process (the kernel's comm, at most 16 characters).", ex: bytesOf(comm)},
		{name: "proc.pname", typ: engine.TypeString, desc: "Name of the parent process.", ex: parentBytes(comm)},
		ancestorField("proc.aname", "Name of an ancestor: proc.aname[1] is the parent, [2] the grandparent; without index any ancestor.", comm),
		{name: "proc.exe", typ: engine.TypeString, desc: "First command-line argument (argv[0]) of the process.", ex: bytesOf(exe)},
		{name: "proc.pexe", typ: engine.TypeString, desc: "argv[0] of the parent process.", ex: parentBytes(exe)},
		ancestorField("proc.aexe", "argv[0] of an ancestor, by level; without index any ancestor.", exe),
		{name: "proc.exepath", typ: engine.TypeString, desc: "Full path of the process's executable.", ex: bytesOf(exePath)},
		{name: "proc.pexepath", typ: engine.TypeString, desc: "Full executable path of the parent process.", ex: parentBytes(exePath)},
		ancestorField("proc.aexepath", "Full executable path of an ancestor, by level; without index any ancestor.", exePath),
		{name: "proc.args", typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgIndex,
			desc: "Command-line arguments after argv[0], joined by spaces; proc.args[N] is argument N (from 1).",
			bind: func(arg engine.Arg) (engine.Binding, error) {
				if !arg.Present {
					return engine.Binding{Type: engine.TypeString, Extractor: fn(bytesOf(args))}, nil
				}
				n := arg.Index - 1
				if n < 0 {
					return engine.Binding{}, fmt.Errorf("argument index starts at 1")
				}
				return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
					a, ok := t.Arg(n)
					if !ok {
						return d
					}
					return str(d, a)
				}))}, nil
			}},
		ancestorField("proc.aargs", "Arguments of an ancestor, by level; without index any ancestor.", args),
		{name: "proc.cmdline", typ: engine.TypeString, desc: "Process name followed by its arguments.", ex: bytesOf(cmdline)},
		{name: "proc.pcmdline", typ: engine.TypeString, desc: "Command line (name and arguments) of the parent process.", ex: parentBytes(cmdline)},
		ancestorField("proc.acmdline", "Command line of an ancestor, by level; without index any ancestor.", cmdline),
		{name: "proc.cmdnargs", typ: engine.TypeUint64, desc: "Number of command-line arguments.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return num(d, uint64(t.nargs)) })},
		{name: "proc.cmdlenargs", typ: engine.TypeUint64, desc: "Total length of the arguments, separators excluded.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			n := len(t.args) - bytes.Count(t.args, []byte{0})
			return num(d, uint64(n))
		})},
		{name: "proc.exeline", typ: engine.TypeString, desc: "argv[0] followed by the arguments.", bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				buf = append(append(buf[:0], t.exe...), ' ')
				buf = append(buf, t.Args()...)
				return str(d, buf)
			}))}, nil
		}},
		{name: "proc.env", typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgKey,
			desc: "Environment as 'NAME=value NAME2=value2'; proc.env[NAME] is one variable's value.", bind: bindEnv},
		{name: "proc.aenv", typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgIndex | engine.ArgKey,
			flags: engine.FlagNoRHS | engine.FlagNoTransformer,
			desc:  "Environment of ancestors: proc.aenv[N] of the N-th ancestor, proc.aenv[NAME] the first value of NAME up the lineage, without argument any ancestor.",
			bind:  bindAenv},
		{name: "proc.cwd", typ: engine.TypeString, desc: "Working directory of the process.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return str(d, e.state.cwdOf(t))
		})},
		{name: "proc.tty", typ: engine.TypeUint64, desc: "Controlling terminal of the process, 0 when none.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return num(d, uint64(t.Tty)) })},
		{name: "proc.loginshellid", typ: engine.TypeInt64, desc: "Pid of the eldest shell among the ancestors, if any.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			var id int64 = -1
			cur := e.state.mainThread(t)
			for i := 0; i < maxLineage && cur != nil; i++ {
				if isShell(cur.comm) {
					id = cur.Pid
				}
				p, ok := e.state.Parent(cur)
				if !ok {
					break
				}
				cur = p
			}
			if id < 0 {
				return d
			}
			return i64(d, id)
		})},
		{name: "proc.apid", typ: engine.TypePID, arg: engine.ArgOptional, syntax: engine.ArgIndex, flags: engine.FlagNoRHS | engine.FlagNoTransformer,
			desc: "Pid of an ancestor, by level (0 = the process); without index any ancestor.", bind: bindApid},
		{name: "proc.sid", typ: engine.TypePID, desc: "Session id of the process.", ex: intOf(func(t *Thread) int64 { return t.Sid })},
		{name: "proc.sname", typ: engine.TypeString, desc: "Name of the process's session leader.", ex: leaderBytes(sess, comm)},
		{name: "proc.sid.exe", typ: engine.TypeString, desc: "argv[0] of the session leader.", ex: leaderBytes(sess, exe)},
		{name: "proc.sid.exepath", typ: engine.TypeString, desc: "Executable path of the session leader.", ex: leaderBytes(sess, exePath)},
		{name: "proc.vpgid", typ: engine.TypePID, desc: "Process group id as seen from the process's pid namespace.", ex: intOf(func(t *Thread) int64 { return t.Vpgid })},
		{name: "proc.vpgid.name", typ: engine.TypeString, desc: "Name of the process group leader.", ex: leaderBytes(vpg, comm)},
		{name: "proc.vpgid.exe", typ: engine.TypeString, desc: "argv[0] of the process group leader.", ex: leaderBytes(vpg, exe)},
		{name: "proc.vpgid.exepath", typ: engine.TypeString, desc: "Executable path of the process group leader.", ex: leaderBytes(vpg, exePath)},
		{name: "proc.pgid", typ: engine.TypePID, desc: "Process group id in the host pid namespace.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.Pgid < 0 {
				return d
			}
			return i64(d, t.Pgid)
		})},
		{name: "proc.pgid.name", typ: engine.TypeString, desc: "Name of the host process group leader.", ex: leaderBytes(pg, comm)},
		{name: "proc.pgid.exe", typ: engine.TypeString, desc: "argv[0] of the host process group leader.", ex: leaderBytes(pg, exe)},
		{name: "proc.pgid.exepath", typ: engine.TypeString, desc: "Executable path of the host process group leader.", ex: leaderBytes(pg, exePath)},
		{name: "proc.is_sid_leader", typ: engine.TypeBool, desc: "True when the process leads its session.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return boolean(d, t.Sid == t.Vpid) })},
		{name: "proc.is_vpgid_leader", typ: engine.TypeBool, desc: "True when the process leads its process group (namespace view).", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return boolean(d, t.Vpgid == t.Vpid) })},
		{name: "proc.is_pgid_leader", typ: engine.TypeBool, desc: "True when the process leads its process group (host view).", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return boolean(d, t.Pgid == t.Pid) })},
		{name: "proc.duration", typ: engine.TypeRelTime, desc: "Nanoseconds since the process started.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.CloneTs == 0 || e.Ev.Ts() < t.CloneTs {
				return d
			}
			return num(d, e.Ev.Ts()-t.CloneTs)
		})},
		{name: "proc.ppid.duration", typ: engine.TypeRelTime, desc: "Nanoseconds since the parent process started.", ex: par(func(e *Event, p *Thread, d []engine.Value) []engine.Value {
			if p.CloneTs == 0 || e.Ev.Ts() < p.CloneTs {
				return d
			}
			return num(d, e.Ev.Ts()-p.CloneTs)
		})},
		{name: "proc.pid.ts", typ: engine.TypeAbsTime, desc: "Start time of the process, ns since the epoch.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			m := e.state.mainThread(t)
			if m.CloneTs == 0 {
				return d
			}
			return num(d, m.CloneTs)
		})},
		{name: "proc.ppid.ts", typ: engine.TypeAbsTime, desc: "Start time of the parent process, ns since the epoch.", ex: ptid(func(e *Event, p *Thread, d []engine.Value) []engine.Value {
			if p.CloneTs == 0 {
				return d
			}
			return num(d, p.CloneTs)
		})},
		exeFlag("proc.is_exe_writable", "True when the executable is writable by the user that ran it.", exeWritable),
		exeFlag("proc.is_exe_upper_layer", "True when the executable lives in the upper layer of an overlay filesystem.", exeUpperLayer),
		exeFlag("proc.is_exe_lower_layer", "True when the executable lives in the lower layer of an overlay filesystem.", exeLowerLayer),
		exeFlag("proc.is_exe_from_memfd", "True when the executable is a memfd_create file run through its fd.", exeFromMemfd),
		{name: "proc.exe_ino", typ: engine.TypeInt64, desc: "Inode number of the executable.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ExeIno == 0 {
				return d
			}
			return num(d, t.ExeIno)
		})},
		{name: "proc.exe_ino.ctime", typ: engine.TypeAbsTime, desc: "Status change time of the executable's inode.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ExeCtime == 0 {
				return d
			}
			return num(d, t.ExeCtime)
		})},
		{name: "proc.exe_ino.mtime", typ: engine.TypeAbsTime, desc: "Modification time of the executable's inode.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ExeMtime == 0 {
				return d
			}
			return num(d, t.ExeMtime)
		})},
		{name: "proc.exe_ino.ctime_duration_proc_start", typ: engine.TypeAbsTime, desc: "Nanoseconds between the executable's inode change and the process start.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			m := e.state.mainThread(t)
			if t.ExeCtime == 0 || m.CloneTs == 0 || m.CloneTs < t.ExeCtime {
				return d
			}
			return num(d, m.CloneTs-t.ExeCtime)
		})},
		{name: "proc.exe_ino.ctime_duration_pidns_start", typ: engine.TypeAbsTime, desc: "Nanoseconds between the pid namespace start and the executable's inode change.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.ExeCtime == 0 || t.PidnsInitStart == 0 || t.ExeCtime < t.PidnsInitStart {
				return d
			}
			return num(d, t.ExeCtime-t.PidnsInitStart)
		})},
		{name: "proc.pidns_init_start_ts", typ: engine.TypeUint64, desc: "Start time of the process's pid namespace, ns since the epoch.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.PidnsInitStart == 0 {
				return d
			}
			return num(d, t.PidnsInitStart)
		})},
		{name: "proc.fdopencount", typ: engine.TypeUint64, desc: "Number of open fds of the process.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(e.state.threadFDs(t).Len()))
		})},
		{name: "proc.fdlimit", typ: engine.TypeInt64, desc: "Maximum number of fds the process may open.", ex: intOf(func(t *Thread) int64 { return t.FDLimit })},
		{name: "proc.fdusage", typ: engine.TypeDouble, desc: "Open fds as a percentage of the fd limit (0 when the limit is unknown).", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.FDLimit <= 0 {
				return append(d, engine.Value{Num: f64bits(0)})
			}
			return append(d, engine.Value{Num: f64bits(100 * float64(e.state.threadFDs(t).Len()) / float64(t.FDLimit))})
		})},
		{name: "proc.vmsize", typ: engine.TypeUint64, desc: "Virtual memory of the process in kB, as last reported to this thread.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(t.VMSize))
		})},
		{name: "proc.vmrss", typ: engine.TypeUint64, desc: "Resident memory of the process in kB, as last reported to this thread.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(t.VMRSS))
		})},
		{name: "proc.vmswap", typ: engine.TypeUint64, desc: "Swapped memory of the process in kB, as last reported to this thread.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(t.VMSwap))
		})},
		{name: "proc.nthreads", typ: engine.TypeUint64, desc: "Number of live threads of the process.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(e.state.countThreads(t.Pid, true)))
		})},
		{name: "proc.nchilds", typ: engine.TypeUint64, desc: "Number of live threads of the process other than the main one.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(e.state.countThreads(t.Pid, false)))
		})},
		stdField("proc.stdin.name", 0, false), stdField("proc.stdout.name", 1, false), stdField("proc.stderr.name", 2, false),
		stdField("proc.stdin.type", 0, true), stdField("proc.stdout.type", 1, true), stdField("proc.stderr.type", 2, true),
		{name: "thread.tid", typ: engine.TypePID, desc: "Id of the thread that generated the event.", ex: func(e *Event, d []engine.Value) []engine.Value {
			return i64(d, e.Ev.Tid())
		}},
		{name: "thread.vtid", typ: engine.TypePID, desc: "Thread id as seen from its pid namespace.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.Vtid == -1 {
				return d
			}
			return i64(d, t.Vtid)
		})},
		{name: "thread.ismain", typ: engine.TypeBool, desc: "True for the main thread of its process.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return boolean(d, t.Tid == t.Pid) })},
		{name: "thread.nametid", typ: engine.TypeString, flags: engine.FlagTableOnly, desc: "Process name and thread id, e.g. bash-1234.", bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				buf = append(append(buf[:0], t.comm...), '-')
				buf = appendInt(buf, t.Tid)
				return str(d, buf)
			}))}, nil
		}},
		capField("thread.cap_permitted", "Permitted capability set, as CAP_ names.", func(t *Thread) uint64 { return t.CapPermitted }),
		capField("thread.cap_inheritable", "Inheritable capability set, as CAP_ names.", func(t *Thread) uint64 { return t.CapInheritable }),
		capField("thread.cap_effective", "Effective capability set, as CAP_ names.", func(t *Thread) uint64 { return t.CapEffective }),
		{name: "thread.cgroups", typ: engine.TypeString, desc: "All cgroups of the thread as 'subsys=path' pairs separated by spaces.", bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				if len(t.cgroups) == 0 {
					return d
				}
				buf = append(buf[:0], trimTrailingNUL(t.cgroups)...)
				for i := range buf {
					if buf[i] == 0 {
						buf[i] = ' '
					}
				}
				return str(d, buf)
			}))}, nil
		}},
		{name: "thread.cgroup", typ: engine.TypeString, arg: engine.ArgRequired, syntax: engine.ArgDotted | engine.ArgKey,
			desc: "Cgroup of the thread for one subsystem, e.g. thread.cgroup.cpuacct.", bind: func(arg engine.Arg) (engine.Binding, error) {
				key := []byte(arg.Text + "=")
				return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
					rest := t.cgroups
					for len(rest) > 0 {
						var c []byte
						if i := bytes.IndexByte(rest, 0); i >= 0 {
							c, rest = rest[:i], rest[i+1:]
						} else {
							c, rest = rest, nil
						}
						if bytes.HasPrefix(c, key) {
							return str(d, c[len(key):])
						}
					}
					return d
				}))}, nil
			}},
		{name: "thread.pfmajor", typ: engine.TypeUint64, desc: "Major page faults since the thread started.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return num(d, t.PFMajor) })},
		{name: "thread.pfminor", typ: engine.TypeUint64, desc: "Minor page faults since the thread started.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value { return num(d, t.PFMinor) })},
		{name: "thread.vmsize", typ: engine.TypeUint64, desc: "Virtual memory in kB for main threads, 0 for others.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.Tid != t.Pid {
				return num(d, 0)
			}
			return num(d, uint64(t.VMSize))
		})},
		{name: "thread.vmrss", typ: engine.TypeUint64, desc: "Resident memory in kB for main threads, 0 for others.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.Tid != t.Pid {
				return num(d, 0)
			}
			return num(d, uint64(t.VMRSS))
		})},
		{name: "thread.vmsize.b", typ: engine.TypeUint64, flags: engine.FlagTableOnly, desc: "Virtual memory in bytes for main threads, 0 for others.",
			ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				if t.Tid != t.Pid {
					return num(d, 0)
				}
				return num(d, uint64(t.VMSize)*1024)
			})},
		{name: "thread.vmrss.b", typ: engine.TypeUint64, flags: engine.FlagTableOnly, desc: "Resident memory in bytes for main threads, 0 for others.",
			ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				if t.Tid != t.Pid {
					return num(d, 0)
				}
				return num(d, uint64(t.VMRSS)*1024)
			})},
	}
}

// countThreads counts the live threads of process pid (all, or only the
// non-main ones).
func (s *State) countThreads(pid int64, withMain bool) int {
	n := s.procThreads[pid]
	if !withMain {
		if m, ok := s.threads[pid]; ok && m.Pid == pid {
			n--
		}
	}
	return n
}

// countThread adds d to the thread count of pid.
func (s *State) countThread(pid int64, d int) {
	if n := s.procThreads[pid] + d; n > 0 {
		s.procThreads[pid] = n
	} else {
		delete(s.procThreads, pid)
	}
}

// setPid moves t to process pid, keeping the per-process counts.
func (s *State) setPid(t *Thread, pid int64) {
	if t.Pid == pid {
		return
	}
	if s.threads[t.Tid] == t {
		s.countThread(t.Pid, -1)
		s.countThread(pid, 1)
	}
	t.Pid = pid
}

// isShell reports well-known shell names.
func isShell(comm []byte) bool {
	switch string(comm) {
	case "sh", "bash", "dash", "zsh", "ash", "ksh", "csh", "tcsh", "fish", "busybox":
		return true
	}
	return false
}

// bindApid binds proc.apid.
func bindApid(arg engine.Arg) (engine.Binding, error) {
	if arg.Present {
		n := arg.Index
		return engine.Binding{Type: engine.TypePID, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			a, ok := e.state.Ancestor(t, n)
			if !ok {
				return d
			}
			return i64(d, a.Pid)
		}))}, nil
	}
	return engine.Binding{Type: engine.TypePID, Values: engine.AnyOf, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
		for i := 1; i <= maxLineage; i++ {
			a, ok := e.state.Ancestor(t, i)
			if !ok {
				break
			}
			d = i64(d, a.Pid)
		}
		return d
	}))}, nil
}

// bindEnv binds proc.env and proc.env[NAME].
func bindEnv(arg engine.Arg) (engine.Binding, error) {
	var buf []byte
	if !arg.Present {
		return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			buf = buf[:0]
			first := true
			forEachEnv(e.state.mainThread(t).env, func(v []byte) bool {
				if !first {
					buf = append(buf, ' ')
				}
				first = false
				buf = append(buf, v...)
				return true
			})
			return str(d, buf)
		}))}, nil
	}
	key := []byte(arg.Text + "=")
	return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
		rest := e.state.mainThread(t).env
		for len(rest) > 0 {
			var v []byte
			if i := bytes.IndexByte(rest, 0); i >= 0 {
				v, rest = rest[:i], rest[i+1:]
			} else {
				v, rest = rest, nil
			}
			if bytes.HasPrefix(v, key) {
				return str(d, v[len(key):])
			}
		}
		return d
	}))}, nil
}

// bindAenv binds proc.aenv.
func bindAenv(arg engine.Arg) (engine.Binding, error) {
	var buf []byte
	join := func(env []byte) []byte {
		buf = buf[:0]
		first := true
		forEachEnv(env, func(v []byte) bool {
			if !first {
				buf = append(buf, ' ')
			}
			first = false
			buf = append(buf, v...)
			return true
		})
		return buf
	}
	switch {
	case arg.Present && arg.Index >= 0:
		n := arg.Index
		return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			a, ok := e.state.Ancestor(t, n)
			if !ok {
				return d
			}
			return str(d, join(a.env))
		}))}, nil
	case arg.Present:
		key := []byte(arg.Text + "=")
		return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			for i := 1; i <= 20; i++ {
				a, ok := e.state.Ancestor(t, i)
				if !ok {
					break
				}
				var found []byte
				forEachEnv(a.env, func(v []byte) bool {
					if bytes.HasPrefix(v, key) {
						found = v[len(key):]
						return false
					}
					return true
				})
				if found != nil {
					return str(d, found)
				}
			}
			return d
		}))}, nil
	}
	var bufs [maxLineage][]byte
	return engine.Binding{Type: engine.TypeString, Values: engine.AnyOf, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
		for i := 1; i <= maxLineage; i++ {
			a, ok := e.state.Ancestor(t, i)
			if !ok {
				break
			}
			b := bufs[i-1][:0]
			first := true
			forEachEnv(a.env, func(v []byte) bool {
				if !first {
					b = append(b, ' ')
				}
				first = false
				b = append(b, v...)
				return true
			})
			bufs[i-1] = b
			d = str(d, b)
		}
		return d
	}))}, nil
}

// capNames are the Linux capability names by bit.
var capNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
	"CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// appendCaps renders a capability set as space-separated CAP_ names.
func appendCaps(b []byte, caps uint64) []byte {
	first := true
	for i, n := range capNames {
		if caps&(1<<uint(i)) == 0 {
			continue
		}
		if !first {
			b = append(b, ' ')
		}
		b = append(b, n...)
		first = false
	}
	return b
}

// forEachEnv calls fn for each entry of a NUL-separated environment, as
// libsinsp splits it: an empty entry followed only by NULs ends the list.
func forEachEnv(env []byte, fn func(v []byte) bool) {
	rest := env
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, 0)
		if i == 0 && allZero(rest) {
			return
		}
		var v []byte
		if i >= 0 {
			v, rest = rest[:i], rest[i+1:]
		} else {
			v, rest = rest, nil
		}
		if !fn(v) {
			return
		}
	}
}

// allZero reports whether b holds only NUL bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
