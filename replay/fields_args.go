package replay

import (
	"bytes"
	"strconv"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// bindArgs binds evt.args: every parameter as "name=value", separated by
// spaces, with a trailing space as sysdig prints it.
func bindArgs() engine.Binding {
	var buf []byte
	return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
		buf = appendArgs(buf[:0], e)
		return str(d, buf)
	})}
}

// appendArgs renders every parameter of e.
func appendArgs(b []byte, e *Event) []byte {
	info := e.Ev.Info()
	if info == nil || scap.IsGeneric(e.Ev.Type()) {
		return b
	}
	n := e.Ev.NumParams()
	if n > len(info.Params) {
		n = len(info.Params)
	}
	for i := 0; i < n; i++ {
		b = append(b, info.Params[i].Name...)
		b = append(b, '=')
		b = appendParam(b, e, i, true)
		b = append(b, ' ')
	}
	return b
}

// bindArg binds evt.arg.NAME / evt.arg[N].
func bindArg(arg engine.Arg) (engine.Binding, error) {
	var buf []byte
	name, idx := arg.Text, -1
	if !arg.Dotted && arg.Index >= 0 {
		idx = arg.Index
	}
	return engine.Binding{Type: engine.TypeString, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
		i := idx
		if i < 0 {
			info := e.Ev.Info()
			if info == nil {
				return d
			}
			i = info.ParamIndex(name)
			if i < 0 {
				return d
			}
		}
		if i >= e.Ev.NumParams() {
			// Older exit events lack parameters their enter event carried.
			if idx >= 0 || !e.enterOK {
				return d
			}
			j := e.enter.Info().ParamIndex(name)
			if j < 0 || j >= e.enter.NumParams() {
				return d
			}
			buf = appendParamOf(buf[:0], e, &e.enter, j, false)
			return str(d, buf)
		}
		buf = appendParam(buf[:0], e, i, false)
		return str(d, buf)
	})}, nil
}

// bindRawArg binds evt.rawarg.NAME: the parameter's raw value, typed by
// the parameter's type in the event table.
func bindRawArg(arg engine.Arg) (engine.Binding, error) {
	name := arg.Text
	typ := rawArgType(name)
	return engine.Binding{Type: typ, Extractor: fn(func(e *Event, d []engine.Value) []engine.Value {
		p, ok := e.Param(name)
		if !ok {
			return d
		}
		switch typ {
		case engine.TypeString:
			return str(d, scap.TrimNUL(p))
		case engine.TypeBytes:
			return append(d, engine.Value{Bytes: p})
		case engine.TypeInt64:
			v, ok := scap.Int64(p)
			if !ok {
				return d
			}
			return i64(d, v)
		default:
			v, ok := scap.Uint64(p)
			if !ok {
				return d
			}
			return num(d, v)
		}
	})}, nil
}

// rawArgType picks the type of evt.rawarg.NAME from the first event type
// that has a parameter called name.
func rawArgType(name string) engine.FieldType {
	for code := 0; code < scap.NumTypes; code++ {
		info, _ := scap.Lookup(scap.Type(code))
		if i := info.ParamIndex(name); i >= 0 {
			switch info.Params[i].Type {
			case scap.PTCharBuf, scap.PTFSPath, scap.PTFSRelPath:
				return engine.TypeString
			case scap.PTByteBuf, scap.PTSockAddr, scap.PTSockTuple, scap.PTFDList:
				return engine.TypeBytes
			case scap.PTInt8, scap.PTInt16, scap.PTInt32, scap.PTInt64, scap.PTErrno, scap.PTFD, scap.PTPID, scap.PTFD32, scap.PTPID32:
				return engine.TypeInt64
			default:
				return engine.TypeUint64
			}
		}
	}
	return engine.TypeInt64
}

// appendParam renders parameter i of the event itself.
func appendParam(b []byte, e *Event, i int, inArgs bool) []byte {
	return appendParamOf(b, e, e.Ev, i, inArgs)
}

// appendParamOf renders parameter i of ev (the event or its enter event)
// the way sysdig prints it. Stateless values come from scap's renderer;
// fds, pids, users, groups and relative paths are resolved against the
// state. inArgs selects the %evt.args form "value(resolved)"; otherwise the
// %evt.arg.NAME form: the resolution alone when there is one.
func appendParamOf(b []byte, e *Event, ev *scap.Event, i int, inArgs bool) []byte {
	pi, ok := ev.ParamInfo(i)
	raw := ev.Param(i)
	if !ok {
		return appendSanitized(b, raw, scap.MaxBufOutput)
	}
	if pi.Type == scap.PTDyn {
		if real, val, ok := scap.DynValue(pi, raw); ok {
			pi, raw = real, val
		}
	}
	start := len(b)
	var res []byte
	switch pi.Type {
	case scap.PTFD, scap.PTFD32:
		v, ok := scap.Int64(raw)
		if !ok || v < 0 || e.Thread == nil {
			break
		}
		f := e.state.getFD(e.Thread, v)
		if f == nil {
			break
		}
		b = strconv.AppendInt(b, v, 10)
		mark := len(b)
		b = append(b, '(', '<', f.Type.TypeChar())
		if f.Type.IsSocket() {
			if c := l4Char(f.l4()); c != 0 {
				b = append(b, c)
			}
		}
		b = append(b, '>')
		b = appendPrintable(b, f.name)
		b = append(b, ')')
		res = b[mark+1 : len(b)-1]
	case scap.PTPID, scap.PTPID32:
		v, ok := scap.Int64(raw)
		if !ok {
			break
		}
		t, ok := e.state.threads[v]
		if !ok {
			break
		}
		b = strconv.AppendInt(b, v, 10)
		mark := len(b)
		b = append(append(append(b, '('), t.comm...), ')')
		res = b[mark+1 : len(b)-1]
	case scap.PTUID, scap.PTGID:
		v, ok := scap.Uint64(raw)
		if !ok {
			break
		}
		var name string
		if pi.Type == scap.PTUID {
			if u, ok := e.state.Users.User(uint32(v)); ok {
				name = u.Name
			}
		} else if g, ok := e.state.Users.Group(uint32(v)); ok {
			name = g.Name
		}
		if name == "" {
			break
		}
		b = strconv.AppendUint(b, v, 10)
		mark := len(b)
		b = append(append(append(b, '('), name...), ')')
		res = b[mark+1 : len(b)-1]
	case scap.PTFSPath, scap.PTFSRelPath:
		p := scap.TrimNUL(raw)
		if len(p) == 0 || p[0] == '/' || e.Thread == nil || bytes.HasPrefix(p, []byte("<NA>")) {
			break
		}
		dirfd := int64(atFDCWD)
		if pi.Type == scap.PTFSRelPath && pi.DirFD >= 0 {
			if v, ok := ev.ParamInt64(int(pi.DirFD)); ok {
				dirfd = v
			}
		}
		b = appendSanitized(b, p, -1)
		mark := len(b)
		b = append(b, '(')
		b = e.state.resolveAt(b, e.Thread, dirfd, p)
		b = append(b, ')')
		res = b[mark+1 : len(b)-1]
	}
	if len(b) == start {
		if inArgs {
			return scap.AppendParam(b, pi, raw)
		}
		return scap.AppendParamArg(b, pi, raw)
	}
	if !inArgs {
		n := copy(b[start:], res)
		return b[:start+n]
	}
	return b
}

// l4Char is the protocol letter of an fd rendering.
func l4Char(p uint8) byte {
	switch p {
	case L4TCP:
		return 't'
	case L4UDP:
		return 'u'
	case L4ICMP:
		return 'i'
	case L4Raw:
		return 'r'
	}
	return 0
}

// appendSanitized appends s with non-printable bytes replaced by '.', at
// most max bytes (-1: all), followed by "..." when cut.
func appendSanitized(b, s []byte, max int) []byte {
	cut := false
	if max >= 0 && len(s) > max {
		s, cut = s[:max], true
	}
	for _, c := range s {
		if c < 0x20 || c >= 0x7f {
			c = '.'
		}
		b = append(b, c)
	}
	if cut {
		b = append(b, "..."...)
	}
	return b
}

// appendPrintable appends the printable ASCII bytes of s, dropping the
// others, as libsinsp sanitizes fd names for display.
func appendPrintable(b, s []byte) []byte {
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	return b
}
