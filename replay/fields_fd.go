package replay

import (
	"bytes"
	"net/netip"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// fdCtx reports whether the event type works on an fd (fd fields are
// missing otherwise) and returns the fd, possibly nil.
func fdCtx(e *Event) (*FD, bool) {
	info := e.Ev.Info()
	if info == nil || info.Flags&(scap.EFCreatesFD|scap.EFUsesFD|scap.EFDestroysFD) == 0 || e.Thread == nil || noFDEvent(info.Name) {
		return nil, false
	}
	return e.FD, true
}

// withFD wraps an extractor that needs the event's fd.
func withFD(f func(e *Event, fd *FD, d []engine.Value) []engine.Value) extractFn {
	return func(e *Event, d []engine.Value) []engine.Value {
		fd, ok := fdCtx(e)
		if !ok || fd == nil {
			return d
		}
		return f(e, fd, d)
	}
}

// creatorName computes fd.name for an event whose fd is unknown, as
// libsinsp does: the path or address of fd-creating exits, "" for other
// exits, missing for enter events. raw selects the unresolved path.
func creatorName(e *Event, buf []byte, raw bool) ([]byte, bool) {
	if e.Ev.Type().IsEnter() {
		return nil, false
	}
	switch e.Ev.Type() {
	case scap.SyscallOpenX, scap.SyscallCreatX, scap.SocketAcceptX, scap.SocketAcceptV5X, scap.SocketAccept4X,
		scap.SocketAccept4V5X, scap.SocketAccept4V6X:
		return appendParam(buf, e, 1, false), true
	case scap.SocketConnectX:
		return appendParam(buf, e, 1, false), true
	case scap.SyscallOpenatX, scap.SyscallOpenatV2X, scap.SyscallOpenat2X:
		name, ok := e.strParam("name")
		if !ok {
			return nil, false
		}
		if raw {
			return append(buf, name...), true
		}
		dirfd, _ := e.int64Param("dirfd")
		return e.state.resolveAt(buf, e.Thread, dirfd, name), true
	case scap.SyscallOpenByHandleAtX:
		p, _ := e.strParam("path")
		return append(buf, p...), true
	}
	return buf, true
}

// prefixed defines a field that is the container id, a colon and the
// value of the fd field base (fd.containername, fd.containerdirectory).
func prefixed(name, desc, base string) def {
	return def{name: name, typ: engine.TypeString, desc: desc, bind: func(engine.Arg) (engine.Binding, error) {
		var inner engine.Extractor
		for _, d := range fdFields() {
			if d.name == base {
				b, err := d.toFieldDef().Bind(engine.Arg{Index: -1})
				if err != nil {
					return engine.Binding{}, err
				}
				inner = b.Extractor
			}
		}
		var buf []byte
		var vals []engine.Value
		return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
			vals = inner.Extract(e, vals[:0])
			if len(vals) == 0 || e.Thread == nil {
				return d
			}
			buf = append(append(append(buf[:0], e.Thread.ContainerID...), ':'), vals[0].Bytes...)
			return str(d, buf)
		})}, nil
	}}
}

// fdFields returns the fd.* fields.
func fdFields() []def {
	nameField := func(name, desc string, raw bool, post func(b []byte) []byte) def {
		return def{name: name, typ: engine.TypeString, desc: desc, bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
				fd, ok := fdCtx(e)
				if !ok {
					return d
				}
				var v []byte
				if fd != nil && !(post == nil && e.Ev.Type() == scap.SocketConnectX && failed(e)) {
					v = fd.name
					if raw && len(fd.nameRaw) > 0 {
						v = fd.nameRaw
					}
					if post != nil {
						if !postApplies(name, fd.Type) {
							return d
						}
						buf = append(buf[:0], v...)
						if fd.Type != FDDirectory || name != "fd.directory" {
							v = post(buf)
						} else {
							v = buf
						}
					}
				} else {
					if name == "fd.filename" {
						return d
					}
					b, ok := creatorName(e, buf[:0], raw)
					if !ok {
						return d
					}
					buf = b
					v = buf
					if post != nil {
						v = post(buf)
					}
				}
				return str(d, v)
			})}, nil
		}}
	}
	ipField := func(name, desc string, pick func(f *FD) (netip.Addr, bool)) def {
		return def{name: name, typ: engine.TypeIPAddr, desc: desc, ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			a, ok := pick(f)
			if !ok || !a.IsValid() {
				return d
			}
			return append(d, engine.Value{Bytes: addrBytes(e, a)})
		})}
	}
	portField := func(name, desc string, pick func(f *FD) (uint16, bool)) def {
		return def{name: name, typ: engine.TypePort, desc: desc, ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			p, ok := pick(f)
			if !ok {
				return d
			}
			return num(d, uint64(p))
		})}
	}
	netField := func(name, desc string, typ engine.FieldType, picks ...func(f *FD) (netip.Addr, bool)) def {
		return def{name: name, typ: typ, flags: engine.FlagFilterOnly | engine.FlagNoRHS | engine.FlagNoTransformer, desc: desc,
			bind: func(engine.Arg) (engine.Binding, error) {
				return engine.Binding{Type: typ, Values: engine.AnyOf, Extractor: fn(withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
					for _, p := range picks {
						if a, ok := p(f); ok && a.IsValid() {
							d = append(d, engine.Value{Bytes: addrBytes(e, a)})
						}
					}
					return d
				}))}, nil
			}}
	}
	nameOnlyMissing := func(name, desc string) def {
		// Reverse DNS names need a resolver cache the capture does not carry.
		return def{name: name, typ: engine.TypeString, flags: engine.FlagNoRHS | engine.FlagNoTransformer, desc: desc,
			ex: func(e *Event, d []engine.Value) []engine.Value { return d }}
	}
	return []def{
		{name: "fd.num", typ: engine.TypeFD, desc: "Number of the event's file descriptor (-1 when the event has none yet).", ex: func(e *Event, d []engine.Value) []engine.Value {
			if _, ok := fdCtx(e); !ok {
				return d
			}
			return i64(d, e.Thread.lastFD)
		}},
		{name: "fd.type", typ: engine.TypeString, desc: "Type of the fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd...",
			ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
				if s := f.Type.String(); s != "" {
					return str(d, sb(s))
				}
				return d
			})},
		{name: "fd.typechar", typ: engine.TypeString, desc: "Type of the fd as one character (f file, 4 ipv4, 6 ipv6, u unix, p pipe, e event ...).",
			bind: func(engine.Arg) (engine.Binding, error) {
				buf := make([]byte, 1)
				return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
					f, ok := fdCtx(e)
					if !ok {
						return d
					}
					if f == nil {
						c := creatorTypeChar(e)
						if c == 0 {
							return d
						}
						buf[0] = c
					} else {
						buf[0] = f.Type.TypeChar()
					}
					return str(d, buf)
				})}, nil
			}},
		nameField("fd.name", "Full name of the fd: the path of files, the connection tuple of sockets.", false, nil),
		nameField("fd.nameraw", "Name of the fd as the syscall passed it (paths not made absolute).", true, nil),
		nameField("fd.directory", "Directory of a file fd.", false, dirOf),
		nameField("fd.filename", "File name of a file fd, without its directory.", false, baseOf),
		prefixed("fd.containername", "Container id and fd name joined by a colon (empty id for host processes).", "fd.name"),
		prefixed("fd.containerdirectory", "Container id and fd directory joined by a colon (empty id for host processes).", "fd.directory"),
		{name: "fd.uid", typ: engine.TypeString, desc: "Unique fd id: thread id followed by the fd number.", bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
				if _, ok := fdCtx(e); !ok {
					return d
				}
				buf = appendInt(buf[:0], e.Ev.Tid())
				buf = appendInt(buf, e.Thread.lastFD)
				return str(d, buf)
			})}, nil
		}},
		ipField("fd.cip", "Client IP address of a socket.", func(f *FD) (netip.Addr, bool) { return f.SIP, isConnSock(f) }),
		ipField("fd.sip", "Server IP address of a socket.", func(f *FD) (netip.Addr, bool) {
			if f.Type == FDIPv4Server || f.Type == FDIPv6Server {
				return f.SIP, true
			}
			return f.DIP, isConnSock(f)
		}),
		localField("fd.lip", "Local IP address of a socket.", true),
		localField("fd.rip", "Remote IP address of a socket.", false),
		netField("fd.ip", "Matches the client or server IP address of a socket.", engine.TypeIPAddr, cipOf, sipOf),
		netField("fd.net", "Matches the client or server IP network of a socket (CIDR).", engine.TypeIPNet, cipOf, sipOf),
		netField("fd.cnet", "Matches the client IP network of a socket (CIDR).", engine.TypeIPNet, cipOf),
		netField("fd.snet", "Matches the server IP network of a socket (CIDR).", engine.TypeIPNet, sipOf),
		netField("fd.lnet", "Matches the local IP network of a socket (CIDR).", engine.TypeIPNet, lipOf),
		netField("fd.rnet", "Matches the remote IP network of a socket (CIDR).", engine.TypeIPNet, ripOf),
		portField("fd.cport", "Client port of a TCP/UDP socket.", func(f *FD) (uint16, bool) { return f.SPort, isConnSock(f) }),
		portField("fd.sport", "Server port of a TCP/UDP socket.", func(f *FD) (uint16, bool) {
			if f.Type == FDIPv4Server || f.Type == FDIPv6Server {
				return f.SPort, true
			}
			return f.DPort, isConnSock(f)
		}),
		localPortField("fd.lport", "Local port of a TCP/UDP socket.", true),
		localPortField("fd.rport", "Remote port of a TCP/UDP socket.", false),
		{name: "fd.port", typ: engine.TypePort, flags: engine.FlagFilterOnly | engine.FlagNoRHS | engine.FlagNoTransformer,
			desc: "Matches the client or server port of a socket.", bind: func(engine.Arg) (engine.Binding, error) {
				return engine.Binding{Type: engine.TypePort, Values: engine.AnyOf, Extractor: fn(withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
					switch {
					case f.Type == FDIPv4Server || f.Type == FDIPv6Server:
						d = num(d, uint64(f.SPort))
					case isConnSock(f):
						d = num(d, uint64(f.SPort))
						d = num(d, uint64(f.DPort))
					}
					return d
				}))}, nil
			}},
		{name: "fd.l4proto", typ: engine.TypeString, desc: "IP protocol of a socket: tcp, udp, icmp or raw.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			if s := l4Name(f.l4()); s != "" {
				return str(d, sb(s))
			}
			return d
		})},
		{name: "fd.sockfamily", typ: engine.TypeString, desc: "Socket family: ip or unix.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			switch f.Type {
			case FDIPv4Sock, FDIPv6Sock, FDIPv4Server, FDIPv6Server:
				return str(d, sb("ip"))
			case FDUnixSock:
				return str(d, sb("unix"))
			}
			return d
		})},
		{name: "fd.is_server", typ: engine.TypeBool, desc: "True when the process is the server end of the connection.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			return boolean(d, f.role == roleServer)
		})},
		{name: "fd.connected", typ: engine.TypeBool, desc: "True for TCP/UDP sockets that are connected.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			return boolean(d, f.connected)
		})},
		{name: "fd.name_changed", typ: engine.TypeBool, desc: "True when this event changed the name of its fd (e.g. a UDP send to a new peer).",
			ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value { return boolean(d, e.fdNameChanged) })},
		nameOnlyMissing("fd.cip.name", "Domain name of the client IP (needs a DNS cache the capture does not carry)."),
		nameOnlyMissing("fd.sip.name", "Domain name of the server IP (needs a DNS cache the capture does not carry)."),
		nameOnlyMissing("fd.lip.name", "Domain name of the local IP (needs a DNS cache the capture does not carry)."),
		nameOnlyMissing("fd.rip.name", "Domain name of the remote IP (needs a DNS cache the capture does not carry)."),
		{name: "fd.dev", typ: engine.TypeInt64, desc: "Device number of the file's filesystem.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value { return i64(d, int64(f.Dev)) })},
		{name: "fd.dev.major", typ: engine.TypeInt64, desc: "Major device number of the file's filesystem.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			return i64(d, int64((f.Dev>>20)&0xfff))
		})},
		{name: "fd.dev.minor", typ: engine.TypeInt64, desc: "Minor device number of the file's filesystem.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			return i64(d, int64(f.Dev&0xfffff))
		})},
		{name: "fd.ino", typ: engine.TypeInt64, desc: "Inode number of the file.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value { return i64(d, int64(f.Ino)) })},
		{name: "fd.is_upper_layer", typ: engine.TypeBool, desc: "True for files in the upper layer of an overlay filesystem.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			return boolean(d, f.OpenFlags&fdUpper != 0)
		})},
		{name: "fd.is_lower_layer", typ: engine.TypeBool, desc: "True for files in the lower layer of an overlay filesystem.", ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
			return boolean(d, f.OpenFlags&fdLower != 0)
		})},
		{name: "fd.types", typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgIndex, list: true, flags: engine.FlagNoRHS,
			desc: "Set of the fd types the process uses; fd.types[N] is the type of fd N.", bind: bindFDTypes},
	}
}

// bindFDTypes binds fd.types / fd.types[N].
func bindFDTypes(arg engine.Arg) (engine.Binding, error) {
	if arg.Present {
		n := int64(arg.Index)
		return engine.Binding{Type: engine.TypeString, Values: engine.Set, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			f := e.state.getFD(t, n)
			if f == nil || f.Type.String() == "" {
				return d
			}
			return str(d, sb(f.Type.String()))
		}))}, nil
	}
	var seen [32]bool
	return engine.Binding{Type: engine.TypeString, Values: engine.Set, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
		seen = [32]bool{}
		e.state.threadFDs(t).each(func(f *FD) {
			if int(f.Type) < len(seen) {
				seen[f.Type] = true
			}
		})
		// In the order of the types, not of the fd table (a map): the
		// same state gives the same text.
		for typ, ok := range seen {
			if s := FDType(typ).String(); ok && s != "" {
				d = str(d, sb(s))
			}
		}
		return d
	}))}, nil
}

func failed(e *Event) bool {
	r, ok := e.res()
	return ok && r < 0
}

// isConnSock reports connected (non-server) IP sockets.
func isConnSock(f *FD) bool {
	return (f.Type == FDIPv4Sock || f.Type == FDIPv6Sock) && f.role != roleNone
}

// sourceIsLocal reports whether a connection's source address belongs to
// the recorded host (its interfaces, or loopback), which decides the local
// and remote ends as libsinsp does; without an interface list the client
// end is taken as local.
func (s *State) sourceIsLocal(f *FD) bool {
	if len(s.localAddrs) == 0 {
		return f.role != roleServer
	}
	if f.SIP.IsLoopback() {
		return true
	}
	for _, a := range s.localAddrs {
		if a == f.SIP {
			return true
		}
	}
	return false
}

// localField is fd.lip (local true) or fd.rip.
func localField(name, desc string, local bool) def {
	return def{name: name, typ: engine.TypeIPAddr, desc: desc, ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
		if !isConnSock(f) {
			return d
		}
		a := f.DIP
		if e.state.sourceIsLocal(f) == local {
			a = f.SIP
		}
		if !a.IsValid() {
			return d
		}
		return append(d, engine.Value{Bytes: addrBytes(e, a)})
	})}
}

// localPortField is fd.lport (local true) or fd.rport.
func localPortField(name, desc string, local bool) def {
	return def{name: name, typ: engine.TypePort, desc: desc, ex: withFD(func(e *Event, f *FD, d []engine.Value) []engine.Value {
		if !isConnSock(f) {
			return d
		}
		p := f.DPort
		if e.state.sourceIsLocal(f) == local {
			p = f.SPort
		}
		return num(d, uint64(p))
	})}
}

func cipOf(f *FD) (netip.Addr, bool) { return f.SIP, isConnSock(f) }
func sipOf(f *FD) (netip.Addr, bool) {
	if f.Type == FDIPv4Server || f.Type == FDIPv6Server {
		return f.SIP, true
	}
	return f.DIP, isConnSock(f)
}
func lipOf(f *FD) (netip.Addr, bool) {
	if f.role == roleServer {
		return f.DIP, isConnSock(f)
	}
	return f.SIP, isConnSock(f)
}

func ripOf(f *FD) (netip.Addr, bool) {
	if f.role == roleServer {
		return f.SIP, isConnSock(f)
	}
	return f.DIP, isConnSock(f)
}

// addrBytes returns a's bytes in network order, in a scratch buffer of the
// state valid until the next extraction of an address.
func addrBytes(e *Event, a netip.Addr) []byte {
	s := e.state
	if a.Is4() {
		v := a.As4()
		s.addrBuf = append(s.addrBuf[:0], v[:]...)
	} else {
		v := a.As16()
		s.addrBuf = append(s.addrBuf[:0], v[:]...)
	}
	// Each extraction gets its own slice of a growing ring so that several
	// addresses of one event stay valid together.
	s.addrRing = append(s.addrRing, s.addrBuf...)
	if len(s.addrRing) > 4096 {
		s.addrRing = s.addrRing[:0]
		s.addrRing = append(s.addrRing, s.addrBuf...)
	}
	return s.addrRing[len(s.addrRing)-len(s.addrBuf):]
}

// creatorTypeChar is fd.typechar for fd-creating events whose fd is not
// (yet) in the table.
func creatorTypeChar(e *Event) byte {
	info := e.Ev.Info()
	if info == nil {
		return 0
	}
	switch info.Name {
	case "open", "openat", "openat2", "creat":
		return 'f'
	case "socket", "accept", "accept4":
		return '4'
	case "pipe", "pipe2":
		return 'p'
	case "eventfd", "eventfd2":
		return 'e'
	case "signalfd", "signalfd4":
		return 's'
	case "timerfd_create":
		return 't'
	case "inotify_init", "inotify_init1":
		return 'i'
	}
	return 'o'
}

// postApplies reports whether fd.directory / fd.filename have a value for
// an fd of type t: files for both, directories for fd.directory.
func postApplies(field string, t FDType) bool {
	switch t {
	case FDFile, FDFileV2:
		return true
	case FDDirectory:
		return field == "fd.directory"
	}
	return false
}

// dirOf turns a path into its directory, as fd.directory prints it.
func dirOf(b []byte) []byte {
	i := bytes.LastIndexByte(b, '/')
	if i <= 0 {
		return append(b[:0], '/')
	}
	if i < len(b)-1 {
		return b[:i]
	}
	return b
}

// baseOf turns a path into its last element, as fd.filename prints it.
func baseOf(b []byte) []byte {
	i := bytes.LastIndexByte(b, '/')
	if i >= 0 && i < len(b)-1 {
		return b[i+1:]
	}
	return b
}

// containerIDOf returns container.id's value for t.
func containerIDOf(t *Thread) string {
	if t == nil || t.ContainerID == "" {
		return "host"
	}
	return t.ContainerID
}
