package replay

import (
	"bytes"
	"strconv"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// moreFields returns the less common evt.*, fdlist.*, proc.aenv,
// thread.*.b and util.* fields.
func moreFields() []def {
	buflen := func(name, desc string, flags scap.Flags, class func(t FDType) bool) def {
		return def{name: name, typ: engine.TypeUint64, flags: engine.FlagTableOnly, desc: desc,
			ex: func(e *Event, d []engine.Value) []engine.Value {
				info := e.Ev.Info()
				if info == nil || info.Dir != 'X' || info.Flags&flags == 0 || bufferIndex(info) < 0 {
					return d
				}
				if class != nil && (e.FD == nil || !class(e.FD.Type)) {
					return d
				}
				r, ok := e.res()
				if !ok || r < 0 {
					return d
				}
				return num(d, uint64(r))
			}}
	}
	io := scap.EFReadsFromFD | scap.EFWritesToFD
	isFile := func(t FDType) bool { return t == FDFile || t == FDFileV2 || t == FDDirectory }
	isNet := func(t FDType) bool { return t.IsSocket() || t == FDUnixSock }
	countErr := func(name, desc string, class func(e *Event) bool) def {
		return def{name: name, typ: engine.TypeUint64, desc: desc, ex: func(e *Event, d []engine.Value) []engine.Value {
			r, ok := e.res()
			if ok && !e.Ev.Type().IsEnter() && r < 0 && class(e) {
				return num(d, 1)
			}
			return d
		}}
	}
	cat := func(want ...string) func(e *Event) bool {
		return func(e *Event) bool {
			c := category(e)
			for _, w := range want {
				if c == w {
					return true
				}
			}
			return false
		}
	}
	latency := func(e *Event) (uint64, bool) {
		en, ok := e.Enter()
		if !ok || e.Ev.Ts() < en.Ts() {
			return 0, false
		}
		return e.Ev.Ts() - en.Ts(), true
	}
	fdlist := func(name, desc string, render func(b []byte, fd int64, f *FD) ([]byte, bool)) def {
		return def{name: name, typ: engine.TypeString, desc: desc, bind: func(engine.Arg) (engine.Binding, error) {
			var buf []byte
			return engine.Binding{Type: engine.TypeString, Extractor: fn(thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
				p, ok := e.Param("fds")
				if !ok {
					return d
				}
				n, ok := scap.FDListLen(p)
				if !ok {
					return d
				}
				buf = buf[:0]
				items := 0
				for i := 0; i < n; i++ {
					fd, _, _ := scap.FDListEntry(p, i)
					f := e.state.getFD(t, fd)
					start := len(buf)
					if items > 0 {
						buf = append(buf, ',')
					}
					var ok bool
					if buf, ok = render(buf, fd, f); !ok {
						buf = buf[:start]
						continue
					}
					items++
				}
				if items == 0 {
					return d
				}
				return str(d, buf)
			}))}, nil
		}}
	}
	return []def{
		buflen("evt.buflen.in", "Buffer length of input I/O events.", scap.EFReadsFromFD, nil),
		buflen("evt.buflen.out", "Buffer length of output I/O events.", scap.EFWritesToFD, nil),
		buflen("evt.buflen.file", "Buffer length of file I/O events.", io, isFile),
		buflen("evt.buflen.file.in", "Buffer length of file input events.", scap.EFReadsFromFD, isFile),
		buflen("evt.buflen.file.out", "Buffer length of file output events.", scap.EFWritesToFD, isFile),
		buflen("evt.buflen.net", "Buffer length of network I/O events.", io, isNet),
		buflen("evt.buflen.net.in", "Buffer length of network input events.", scap.EFReadsFromFD, isNet),
		buflen("evt.buflen.net.out", "Buffer length of network output events.", scap.EFWritesToFD, isNet),
		countErr("evt.count.error.file", "1 for failed file events, missing otherwise.", cat("file")),
		countErr("evt.count.error.net", "1 for failed network events, missing otherwise.", cat("net")),
		countErr("evt.count.error.memory", "1 for failed memory events, missing otherwise.", cat("memory")),
		countErr("evt.count.error.other", "1 for failed events of other categories, missing otherwise.", func(e *Event) bool {
			c := category(e)
			return c != "file" && c != "net" && c != "memory"
		}),
		{name: "evt.count.procinfo", typ: engine.TypeUint64, flags: engine.FlagTableOnly, desc: "1 for procinfo events of main threads, else 0.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Ev.Type() == scap.ProcinfoE && e.Thread != nil && e.Thread.Tid == e.Thread.Pid {
					return num(d, 1)
				}
				return num(d, 0)
			}},
		{name: "evt.count.threadinfo", typ: engine.TypeUint64, flags: engine.FlagTableOnly, desc: "1 for procinfo events, else 0.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Ev.Type() == scap.ProcinfoE {
					return num(d, 1)
				}
				return num(d, 0)
			}},
		{name: "evt.latency.s", typ: engine.TypeRelTime, flags: engine.FlagDeprecated, desc: "Whole seconds between the enter event and this exit event.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				l, _ := latency(e)
				return num(d, l/1e9)
			}},
		{name: "evt.latency.quantized", typ: engine.TypeUint64, flags: engine.FlagTableOnly | engine.FlagDeprecated, desc: "Base-10 logarithm of the enter-to-exit latency.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				l, _ := latency(e)
				q := uint64(0)
				for l >= 10 {
					l /= 10
					q++
				}
				return num(d, q)
			}},
		{name: "evt.latency.human", typ: engine.TypeString, flags: engine.FlagDeprecated, desc: "Enter-to-exit latency as text, e.g. 10.3ms.",
			bind: func(engine.Arg) (engine.Binding, error) {
				var buf []byte
				return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
					l, _ := latency(e)
					buf = appendHumanDuration(buf[:0], l)
					return str(d, buf)
				})}, nil
			}},
		{name: "evt.wait_latency", typ: engine.TypeRelTime, flags: engine.FlagDeprecated, desc: "For events that wait (sleep, poll ...), the time spent waiting.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				info := e.Ev.Info()
				if info == nil || info.Flags&scap.EFWaits == 0 || info.Dir != 'X' {
					return d
				}
				l, _ := latency(e)
				return num(d, l)
			}},
		{name: "evt.type.is", typ: engine.TypeUint64, arg: engine.ArgRequired, syntax: engine.ArgDotted | engine.ArgKey,
			desc: "1 for events of the named type (evt.type.is.open), else 0.", bind: func(arg engine.Arg) (engine.Binding, error) {
				name := arg.Text
				return engine.Binding{Type: engine.TypeUint64, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
					if typeName(e) == name {
						return num(d, 1)
					}
					return num(d, 0)
				})}, nil
			}},
		timeFieldFlags(timeField("evt.outputtime", "Event time as printed in output lines (time of day with nanoseconds, UTC).", "15:04:05", true), engine.FlagPrintOnly),
		fdlist("fdlist.nums", "For poll events, the fd numbers of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			return strconv.AppendInt(b, fd, 10), true
		}),
		fdlist("fdlist.names", "For poll events, the fd names of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil || len(f.name) == 0 {
				return append(b, "<NA>"...), true
			}
			return append(b, f.name...), true
		}),
		fdlist("fdlist.cips", "For poll events, the client IPs of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil || !isConnSock(f) {
				return b, false
			}
			return f.SIP.AppendTo(b), true
		}),
		fdlist("fdlist.sips", "For poll events, the server IPs of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil {
				return b, false
			}
			a, ok := sipOf(f)
			if !ok || !a.IsValid() {
				return b, false
			}
			return a.AppendTo(b), true
		}),
		fdlist("fdlist.cports", "For poll events, the client ports of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil || !isConnSock(f) {
				return b, false
			}
			return strconv.AppendUint(b, uint64(f.SPort), 10), true
		}),
		fdlist("fdlist.sports", "For poll events, the server ports of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			switch {
			case f == nil:
				return b, false
			case f.Type == FDIPv4Server || f.Type == FDIPv6Server:
				return strconv.AppendUint(b, uint64(f.SPort), 10), true
			case isConnSock(f):
				return strconv.AppendUint(b, uint64(f.DPort), 10), true
			}
			return b, false
		}),
		{name: "proc.aenv", typ: engine.TypeString, arg: engine.ArgOptional, syntax: engine.ArgIndex | engine.ArgKey,
			flags: engine.FlagNoRHS | engine.FlagNoTransformer,
			desc:  "Environment of ancestors: proc.aenv[N] of the N-th ancestor, proc.aenv[NAME] the first value of NAME up the lineage, without argument any ancestor.",
			bind:  bindAenv},
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
		{name: "util.cnt", typ: engine.TypeUint64, desc: "A counter incremented each time the field is read.", bind: func(engine.Arg) (engine.Binding, error) {
			var n uint64
			return engine.Binding{Type: engine.TypeUint64, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
				n++
				return num(d, n)
			})}, nil
		}},
	}
}

// timeFieldFlags sets flags on a definition.
func timeFieldFlags(d def, f engine.FieldFlags) def {
	d.flags |= f
	return d
}

// appendHumanDuration renders ns like sysdig: "10.30ms", "2.00s", "350ns".
func appendHumanDuration(b []byte, ns uint64) []byte {
	switch {
	case ns >= 1e9:
		b = strconv.AppendFloat(b, float64(ns)/1e9, 'f', 2, 64)
		return append(b, 's')
	case ns >= 1e6:
		b = strconv.AppendFloat(b, float64(ns)/1e6, 'f', 2, 64)
		return append(b, "ms"...)
	case ns >= 1e3:
		b = strconv.AppendFloat(b, float64(ns)/1e3, 'f', 2, 64)
		return append(b, "us"...)
	}
	b = strconv.AppendUint(b, ns, 10)
	return append(b, "ns"...)
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
