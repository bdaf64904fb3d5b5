package replay

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// evtFields returns the evt.* fields other than evtStatFields' counters
// and measures, and the syscall.* and fs.path.* fields.
func evtFields() []def {
	return []def{
		{name: "evt.num", typ: engine.TypeUint64, desc: "Sequence number of the event in the capture, from 1.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, e.Num) }},
		{name: "evt.type", typ: engine.TypeString, desc: "Name of the event, e.g. open or execve.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return str(d, sb(typeName(e))) }},
		{name: "syscall.type", typ: engine.TypeString, desc: "Name of the event, as sysdig 0.29.3 prints it; missing for scheduler and procinfo events.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				switch t := e.Ev.Type(); {
				case e.Ev.Info() == nil, t == scap.SchedswitchV6E, t == scap.ProcinfoE:
					return d
				}
				return str(d, sb(typeName(e)))
			}},
		{name: "evt.dir", typ: engine.TypeString, flags: engine.FlagDeprecated, desc: "Direction of the event: > for enter, < for exit.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Ev.Type().IsEnter() {
					return str(d, sb(">"))
				}
				return str(d, sb("<"))
			}},
		{name: "evt.cpu", typ: engine.TypeInt64, desc: "CPU the event happened on.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return i64(d, int64(e.CPU)) }},
		{name: "evt.rawtime", typ: engine.TypeAbsTime, desc: "Event time in nanoseconds since the epoch.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, e.Ev.Ts()) }},
		{name: "evt.rawtime.s", typ: engine.TypeAbsTime, desc: "Whole seconds of the event time since the epoch.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, e.Ev.Ts()/1e9) }},
		{name: "evt.rawtime.ns", typ: engine.TypeAbsTime, desc: "Nanosecond part of the event time.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, e.Ev.Ts()%1e9) }},
		{name: "evt.reltime", typ: engine.TypeRelTime, desc: "Nanoseconds since the first event of the capture.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, reltime(e)) }},
		{name: "evt.reltime.s", typ: engine.TypeRelTime, desc: "Whole seconds since the first event of the capture.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, reltime(e)/1e9) }},
		{name: "evt.reltime.ns", typ: engine.TypeRelTime, desc: "Nanosecond part of the time since the first event.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, reltime(e)%1e9) }},
		{name: "evt.deltatime", typ: engine.TypeRelTime, desc: "Nanoseconds since the previous event.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, delta(e)) }},
		{name: "evt.deltatime.s", typ: engine.TypeRelTime, desc: "Whole seconds since the previous event.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, delta(e)/1e9) }},
		{name: "evt.deltatime.ns", typ: engine.TypeRelTime, desc: "Nanosecond part of the time since the previous event.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, delta(e)%1e9) }},
		timeField("evt.time", "Event time of day with nanoseconds (UTC).", "15:04:05", true),
		timeField("evt.time.s", "Event time of day without nanoseconds (UTC).", "15:04:05", false),
		timeField("evt.datetime", "Event date and time with nanoseconds (UTC).", "2006-01-02 15:04:05", true),
		timeField("evt.datetime.s", "Event date and time without nanoseconds (UTC).", "2006-01-02 15:04:05", false),
		timeField("evt.time.iso8601", "Event time in ISO 8601 format with nanoseconds (UTC).", "2006-01-02T15:04:05", true),
		timeFieldFlags(timeField("evt.outputtime", "Event time as printed in output lines (time of day with nanoseconds, UTC).", "15:04:05", true), engine.FlagPrintOnly),
		{name: "evt.args", typ: engine.TypeString, desc: "Every argument of the event, rendered as sysdig prints them.",
			bind: func(engine.Arg) (engine.Binding, error) { return bindArgs(), nil }},
		{name: "evt.info", typ: engine.TypeString, desc: "Same as evt.args.",
			bind: func(engine.Arg) (engine.Binding, error) { return bindArgs(), nil }},
		{name: "evt.arg", typ: engine.TypeString, arg: engine.ArgRequired, syntax: engine.ArgIndex | engine.ArgKey | engine.ArgDotted,
			desc: "One argument, by name (evt.arg.fd) or position (evt.arg[0]), rendered as text (fds resolved to names).",
			bind: bindArg},
		{name: "evt.rawarg", typ: engine.TypeInt64, arg: engine.ArgRequired, syntax: engine.ArgDotted | engine.ArgKey,
			desc: "One argument by name, as its raw value (numbers compare numerically).", bind: bindRawArg},
		{name: "evt.buffer", typ: engine.TypeBytes, desc: "The data buffer of I/O events such as read or write.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if i := bufferIndex(e.Ev.Info()); i >= 0 && i < e.Ev.NumParams() {
					return append(d, engine.Value{Bytes: e.Ev.Param(i)})
				}
				return d
			}},
		{name: "evt.buflen", typ: engine.TypeUint64, desc: "Length of the data buffer of I/O events.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if i := bufferIndex(e.Ev.Info()); i >= 0 && !e.Ev.Type().IsEnter() {
					if r, ok := e.res(); ok && r >= 0 {
						return num(d, uint64(r))
					}
				}
				return d
			}},
		{name: "evt.res", typ: engine.TypeString, desc: "Return value as text: SUCCESS, or the error code name (ENOENT ...).",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				r, ok := e.res()
				if !ok || e.Ev.Type().IsEnter() {
					return d
				}
				if r >= 0 {
					return str(d, sb("SUCCESS"))
				}
				return str(d, sb(scap.ErrnoName(-r)))
			}},
		{name: "evt.rawres", typ: engine.TypeInt64, desc: "Return value as a number (negative errno on failure).",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				r, ok := e.res()
				if !ok || e.Ev.Type().IsEnter() {
					return d
				}
				return i64(d, r)
			}},
		{name: "evt.failed", typ: engine.TypeBool, desc: "True for events that returned an error.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				r, ok := e.res()
				return boolean(d, ok && !e.Ev.Type().IsEnter() && r < 0)
			}},
		{name: "evt.count", typ: engine.TypeUint64, desc: "Always 1.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return num(d, 1) }},
		{name: "evt.count.error", typ: engine.TypeUint64, desc: "1 for events that returned an error, missing otherwise.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				r, ok := e.res()
				if ok && !e.Ev.Type().IsEnter() && r < 0 {
					return num(d, 1)
				}
				return d
			}},
		{name: "evt.count.exit", typ: engine.TypeUint64, desc: "1 for exit events, missing otherwise.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Ev.Type().IsEnter() {
					return d
				}
				return num(d, 1)
			}},
		ioField("evt.is_io", "True for events that read or write an fd.", scap.EFReadsFromFD|scap.EFWritesToFD),
		ioField("evt.is_io_read", "True for events that read from an fd.", scap.EFReadsFromFD),
		ioField("evt.is_io_write", "True for events that write to an fd.", scap.EFWritesToFD),
		{name: "evt.io_dir", typ: engine.TypeString, desc: "read for events that read from an fd, write for events that write to one (as sysdig 0.29.3 prints it).",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if i := e.Ev.Info(); i != nil {
					if i.Flags&scap.EFReadsFromFD != 0 {
						return str(d, sb("read"))
					}
					if i.Flags&scap.EFWritesToFD != 0 {
						return str(d, sb("write"))
					}
				}
				return d
			}},
		ioField("evt.is_wait", "True for events that make the thread wait (sleep, poll ...).", scap.EFWaits),
		{name: "evt.is_syslog", typ: engine.TypeBool, desc: "True for writes to /dev/log.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				i := e.Ev.Info()
				return boolean(d, i != nil && i.Flags&scap.EFWritesToFD != 0 && e.FD != nil && bytes.Equal(e.FD.name, []byte("/dev/log")))
			}},
		openField("evt.is_open_read", "True for opens of a path for reading.", func(fl, mode uint32) bool { return fl&oRDONLY != 0 }),
		openField("evt.is_open_write", "True for opens of a path for writing.", func(fl, mode uint32) bool { return fl&oWRONLY != 0 }),
		openField("evt.is_open_exec", "True for opens and creats that create a file with execute permissions.", func(fl, mode uint32) bool {
			return fl&(oCREAT|oTMPFILE) != 0 && mode&0o111 != 0
		}),
		openField("evt.is_open_create", "True for opens that created a file.", func(fl, mode uint32) bool { return fl&oFCreated != 0 }),
		{name: "evt.category", typ: engine.TypeString, desc: "Category of the event: file, net, process, memory, ipc, ...",
			ex: func(e *Event, d []engine.Value) []engine.Value { return str(d, sb(category(e))) }},
		{name: "evt.source", typ: engine.TypeString, desc: "The event source: syscall.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return str(d, sb("syscall")) }},
		{name: "evt.hostname", typ: engine.TypeString, desc: "Host name of the recorded machine, from the capture.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if h := e.state.Machine.Hostname; h != "" {
					return str(d, sb(h))
				}
				return d
			}},
		{name: "evt.is_async", typ: engine.TypeBool, desc: "True for asynchronous (non-syscall) events such as container events.",
			ex: func(e *Event, d []engine.Value) []engine.Value { return boolean(d, isInternalEvent(e.Ev.Type())) }},
		{name: "evt.asynctype", typ: engine.TypeString, desc: "Type of an asynchronous event, e.g. container.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if isInternalEvent(e.Ev.Type()) {
					return str(d, sb(e.Ev.TypeName()))
				}
				return d
			}},
		{name: "evt.abspath", typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgDotted,
			desc: "Absolute path built from a dirfd and a relative path (evt.abspath.src / .dst for two-path syscalls).",
			bind: bindAbsPath},
		{name: "fs.path.name", typ: engine.TypeString, desc: "Resolved path a filesystem syscall operates on.", bind: bindFSPath(fsName, true)},
		{name: "fs.path.nameraw", typ: engine.TypeString, desc: "Path a filesystem syscall operates on, as passed.", bind: bindFSPath(fsName, false)},
		{name: "fs.path.source", typ: engine.TypeString, desc: "Resolved source path of two-path syscalls (rename, link ...).", bind: bindFSPath(fsSource, true)},
		{name: "fs.path.sourceraw", typ: engine.TypeString, desc: "Source path of two-path syscalls, as passed.", bind: bindFSPath(fsSource, false)},
		{name: "fs.path.target", typ: engine.TypeString, desc: "Resolved target path of two-path syscalls.", bind: bindFSPath(fsTarget, true)},
		{name: "fs.path.targetraw", typ: engine.TypeString, desc: "Target path of two-path syscalls, as passed.", bind: bindFSPath(fsTarget, false)},
	}
}

// isInternalEvent reports events that are not syscalls.
func isInternalEvent(t scap.Type) bool {
	switch t {
	case scap.ContainerE, scap.ContainerJsonE, scap.ContainerJsonV2E, scap.ProcexitE, scap.ProcexitV1E,
		scap.SchedswitchV6E, scap.UserAddedE, scap.GroupAddedE:
		return true
	}
	if i, ok := scap.Lookup(t); ok {
		switch i.Name {
		case "procinfo", "switch", "container", "useradded", "userdeleted", "groupadded", "groupdeleted",
			"pluginevent", "asyncevent", "notification", "infra", "cpu_hotplug", "drop", "tracer", "page_fault",
			"k8s", "mesos", "scapevent", "sysdigevent":
			return true
		}
	}
	return false
}

// reltime is the time since the capture's first event (0 for events
// stamped earlier, which captures that start with a snapshot may hold).
func reltime(e *Event) uint64 {
	if e.Ev.Ts() < e.state.firstTs {
		return 0
	}
	return e.Ev.Ts() - e.state.firstTs
}

func delta(e *Event) uint64 {
	if e.prevTs == 0 || e.Ev.Ts() < e.prevTs {
		return 0
	}
	return e.Ev.Ts() - e.prevTs
}

// timeField renders the event time with layout (UTC).
func timeField(name, desc, layout string, nanos bool) def {
	return def{name: name, typ: engine.TypeString, desc: desc, bind: func(engine.Arg) (engine.Binding, error) {
		var buf []byte
		iso := name == "evt.time.iso8601"
		return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
			ts := e.Ev.Ts()
			t := time.Unix(int64(ts/1e9), int64(ts%1e9)).UTC()
			buf = t.AppendFormat(buf[:0], layout)
			if nanos {
				buf = append(buf, '.')
				buf = appendPadded(buf, ts%1e9, 9)
			}
			if iso {
				buf = append(buf, "+0000"...)
			}
			return str(d, buf)
		})}, nil
	}}
}

// timeFieldFlags sets flags on a definition.
func timeFieldFlags(d def, f engine.FieldFlags) def {
	d.flags |= f
	return d
}

// appendPadded renders v with at least width digits.
func appendPadded(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// ioField is true when the event type has any of flags.
func ioField(name, desc string, flags scap.Flags) def {
	return def{name: name, typ: engine.TypeBool, desc: desc, ex: func(e *Event, d []engine.Value) []engine.Value {
		i := e.Ev.Info()
		return boolean(d, i != nil && i.Flags&flags != 0)
	}}
}

// openField evaluates pred on the flags and mode of an open-family exit
// event; other events give false.
func openField(name, desc string, pred func(flags, mode uint32) bool) def {
	return def{name: name, typ: engine.TypeBool, desc: desc, ex: func(e *Event, d []engine.Value) []engine.Value {
		fl, mode, ok := openFlags(e)
		return boolean(d, ok && pred(fl, mode))
	}}
}

// openFlags returns the flags and mode of an open/openat/openat2/
// open_by_handle_at/creat exit event.
func openFlags(e *Event) (flags, mode uint32, ok bool) {
	info := e.Ev.Info()
	if info == nil || info.Dir != 'X' {
		return 0, 0, false
	}
	switch info.Name {
	case "open", "openat", "openat2", "open_by_handle_at":
		f, ok := e.uint64Param("flags")
		if !ok {
			return 0, 0, false
		}
		m, _ := e.uint64Param("mode")
		flags, mode = uint32(f), uint32(m)
		if flags&oTMPFILE != 0 {
			if r, ok := e.res(); ok && r >= 0 {
				flags |= oFCreated
			}
		}
		return flags, mode, true
	case "creat":
		m, _ := e.uint64Param("mode")
		return oCREAT | oWRONLY | oFCreated, uint32(m), true
	}
	return 0, 0, false
}

// bufferIndex returns the index of the data parameter of an I/O event.
func bufferIndex(info *scap.Info) int {
	if info == nil {
		return -1
	}
	for i, p := range info.Params {
		if p.Type == scap.PTByteBuf && (p.Name == "data" || p.Name == "buf") {
			return i
		}
	}
	return -1
}

// category classifies an event like libsinsp's evt.category.
func category(e *Event) string {
	info := e.Ev.Info()
	if info == nil {
		return "unknown"
	}
	if isInternalEvent(e.Ev.Type()) {
		return "internal"
	}
	switch {
	case info.Flags&(scap.EFReadsFromFD|scap.EFWritesToFD) != 0:
		if e.FD != nil {
			switch e.FD.Type {
			case FDFile, FDFileV2, FDDirectory:
				return "file"
			case FDIPv4Sock, FDIPv6Sock, FDIPv4Server, FDIPv6Server, FDUnixSock, FDNetlink:
				return "net"
			case FDFifo:
				return "ipc"
			}
		}
		return "IO_other"
	}
	switch info.Name {
	case "open", "openat", "openat2", "creat", "close", "stat", "lstat", "fstat", "unlink", "unlinkat", "rename",
		"renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "chmod", "fchmod", "fchmodat", "chown", "link", "linkat",
		"symlink", "symlinkat", "access", "lseek", "llseek", "getdents", "getdents64", "open_by_handle_at", "fcntl", "dup",
		"dup2", "dup3", "flock", "mount", "umount", "umount2", "chdir", "fchdir":
		return "file"
	case "socket", "bind", "connect", "listen", "accept", "accept4", "shutdown", "getsockname", "getpeername",
		"socketpair", "setsockopt", "getsockopt":
		return "net"
	case "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "kill", "tkill", "tgkill",
		"setuid", "setgid", "setresuid", "setresgid", "prctl", "ptrace", "capset", "setns", "unshare", "chroot":
		return "process"
	case "brk", "mmap", "mmap2", "munmap", "mprotect", "madvise", "mlock", "munlock":
		return "memory"
	case "pipe", "pipe2", "eventfd", "eventfd2", "futex", "semop", "semget", "semctl":
		return "ipc"
	case "poll", "ppoll", "select", "epoll_wait", "epoll_pwait", "nanosleep":
		return "wait"
	}
	return "other"
}

// fs.path kinds.
const (
	fsName = iota
	fsSource
	fsTarget
)

// fsParams lists, per evt.type, the (dirfd, path) parameter names for
// fs.path.name, source and target; "" dirfd means relative to the cwd.
var fsParams = map[string][3][2]string{
	"open": {{"", "name"}}, "openat": {{"dirfd", "name"}}, "openat2": {{"dirfd", "name"}}, "creat": {{"", "name"}},
	"mkdir": {{"", "path"}}, "mkdirat": {{"dirfd", "path"}}, "rmdir": {{"", "path"}},
	"unlink": {{"", "path"}}, "unlinkat": {{"dirfd", "name"}},
	"chmod": {{"", "filename"}}, "fchmodat": {{"dirfd", "filename"}}, "chown": {{"", "path"}}, "lchown": {{"", "path"}},
	"fchownat": {{"dirfd", "pathname"}}, "chdir": {{"", "path"}}, "chroot": {{"", "path"}},
	"execve": {{"", "filename"}}, "execveat": {{"dirfd", "pathname"}},
	"rename":    {{}, {"", "oldpath"}, {"", "newpath"}},
	"renameat":  {{}, {"olddirfd", "oldpath"}, {"newdirfd", "newpath"}},
	"renameat2": {{}, {"olddirfd", "oldpath"}, {"newdirfd", "newpath"}},
	"link":      {{}, {"", "oldpath"}, {"", "newpath"}},
	"linkat":    {{}, {"olddir", "oldpath"}, {"newdir", "newpath"}},
	"symlink":   {{}, {"", "target"}, {"", "linkpath"}},
	"symlinkat": {{}, {"", "target"}, {"linkdirfd", "linkpath"}},
	"mount":     {{}, {"", "dev"}, {"", "dir"}},
}

// bindFSPath binds an fs.path.* field.
func bindFSPath(kind int, resolved bool) func(engine.Arg) (engine.Binding, error) {
	return func(engine.Arg) (engine.Binding, error) {
		var buf []byte
		return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
			info := e.Ev.Info()
			if info == nil || info.Dir != 'X' {
				return d
			}
			spec, ok := fsParams[info.Name]
			if !ok || spec[kind][1] == "" {
				return d
			}
			p, ok := e.strParam(spec[kind][1])
			if !ok {
				return d
			}
			if !resolved || e.Thread == nil {
				return str(d, p)
			}
			dirfd := int64(atFDCWD)
			if spec[kind][0] != "" {
				if v, ok := e.int64Param(spec[kind][0]); ok {
					dirfd = v
				}
			}
			buf = e.state.resolveAt(buf[:0], e.Thread, dirfd, p)
			return str(d, buf)
		})}, nil
	}
}

// bindAbsPath binds evt.abspath[.src|.dst].
func bindAbsPath(arg engine.Arg) (engine.Binding, error) {
	kind := fsName
	if arg.Present {
		switch arg.Text {
		case "src":
			kind = fsSource
		case "dst":
			kind = fsTarget
		default:
			return engine.Binding{}, fmt.Errorf("want src or dst, got %q", arg.Text)
		}
	}
	b, _ := bindFSPath(kind, true)(arg)
	inner := b.Extractor
	return engine.Binding{Type: engine.TypeString, Extractor: engine.ExtractorFunc(func(ev engine.Event, d []engine.Value) []engine.Value {
		e, ok := ev.(*Event)
		if !ok {
			return d
		}
		if kind == fsName {
			// Only syscalls with a dirfd have an absolute path to compute.
			if info := e.Ev.Info(); info == nil || fsParams[info.Name][0][0] == "" {
				return d
			}
		}
		return inner.Extract(ev, d)
	})}, nil
}

// typeName is evt.type: generic events of unknown syscalls print as
// "<unknown>", as libsinsp does.
func typeName(e *Event) string {
	n := e.Ev.TypeName()
	if n == "unknown" {
		return "<unknown>"
	}
	return n
}
