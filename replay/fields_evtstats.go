package replay

import (
	"strconv"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// evtStatFields returns the fields sysdig's tables and chisels sum up or
// compare per event: buffer lengths (evt.buflen.*), counts (evt.count.*,
// evt.type.is, util.cnt) and latencies (evt.latency*, evt.wait_latency).
func evtStatFields() []def {
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
		{name: "evt.latency", typ: engine.TypeRelTime, flags: engine.FlagDeprecated, desc: "Nanoseconds between the enter event and this exit event.",
			ex: func(e *Event, d []engine.Value) []engine.Value {
				if e.Thread == nil {
					return num(d, 0)
				}
				return num(d, e.Thread.latency)
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
		{name: "util.cnt", typ: engine.TypeUint64, desc: "A counter incremented each time the field is read.", bind: func(engine.Arg) (engine.Binding, error) {
			var n uint64
			return engine.Binding{Type: engine.TypeUint64, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
				n++
				return num(d, n)
			})}, nil
		}},
	}
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
