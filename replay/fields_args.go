package replay

import (
	"fmt"
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
	if info == nil {
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

// maxBufPrint is how many bytes of a buffer sysdig prints.
const maxBufPrint = 80

// appendParamOf renders parameter i of ev (the event or its enter event)
// the way sysdig prints it; fds and pids are resolved against the state.
func appendParamOf(b []byte, e *Event, ev *scap.Event, i int, inArgs bool) []byte {
	pi, ok := ev.ParamInfo(i)
	raw := ev.Param(i)
	if !ok {
		return appendSanitized(b, raw, maxBufPrint)
	}
	if pi.Type == scap.PTDyn {
		real, val, ok := scap.DynValue(pi, raw)
		if !ok {
			return b
		}
		pi, raw = real, val
	}
	switch pi.Type {
	case scap.PTFD, scap.PTFD32:
		v, ok := scap.Int64(raw)
		if !ok {
			return b
		}
		b = strconv.AppendInt(b, v, 10)
		switch {
		case v == atFDCWD:
			b = append(b, "(AT_FDCWD)"...)
		case v < 0:
			if n := errnoName(-v); n != "" {
				b = append(append(append(b, '('), n...), ')')
			}
		case e.Thread != nil:
			if f := e.state.getFD(e.Thread, v); f != nil {
				b = append(b, '(', '<', f.Type.TypeChar())
				if f.Type.IsSocket() {
					if c := l4Char(f.l4()); c != 0 {
						b = append(b, c)
					}
				}
				b = append(b, '>')
				b = appendSanitized(b, f.name, -1)
				b = append(b, ')')
			}
		}
		return b
	case scap.PTPID, scap.PTPID32:
		v, ok := scap.Int64(raw)
		if !ok {
			return b
		}
		b = strconv.AppendInt(b, v, 10)
		if t, ok := e.state.threads[v]; ok {
			b = append(append(append(b, '('), t.comm...), ')')
		}
		return b
	case scap.PTErrno:
		v, ok := scap.Int64(raw)
		if !ok {
			return b
		}
		b = strconv.AppendInt(b, v, 10)
		if v < 0 {
			if n := errnoName(-v); n != "" {
				b = append(append(append(b, '('), n...), ')')
			}
		}
		return b
	}
	return appendValue(b, pi, raw)
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

// appendValue renders a parameter value that needs no state.
func appendValue(b []byte, pi scap.Param, raw []byte) []byte {
	switch pi.Type {
	case scap.PTCharBuf, scap.PTFSPath, scap.PTFSRelPath:
		return appendSanitized(b, scap.TrimNUL(raw), -1)
	case scap.PTByteBuf:
		return appendSanitized(b, raw, maxBufPrint)
	case scap.PTSockAddr:
		sa, ok := scap.ParseSockAddr(raw)
		if !ok {
			return b
		}
		switch sa.Family {
		case afInet, afInet6:
			return appendAddrPort(b, sa.Addr, sa.Port)
		case afUnix:
			return appendSanitized(b, sa.Path, -1)
		}
		return b
	case scap.PTSockTuple:
		st, ok := scap.ParseSockTuple(raw)
		if !ok {
			return b
		}
		switch st.Family {
		case afInet, afInet6:
			b = appendAddrPort(b, st.SrcAddr, st.SrcPort)
			b = append(b, "->"...)
			return appendAddrPort(b, st.DstAddr, st.DstPort)
		case afUnix:
			return appendUnixTuple(b, st.SrcPtr, st.DstPtr, st.Path)
		}
		return b
	case scap.PTSyscallID:
		v, _ := scap.Uint64(raw)
		if n := scap.SyscallName(uint16(v)); n != "" {
			return append(b, n...)
		}
		return strconv.AppendUint(b, v, 10)
	case scap.PTFDList:
		n, ok := scap.FDListLen(raw)
		if !ok {
			return b
		}
		for k := 0; k < n; k++ {
			fd, fl, _ := scap.FDListEntry(raw, k)
			b = strconv.AppendInt(b, fd, 10)
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(fl), 10)
			b = append(b, ' ')
		}
		return b
	}
	if sz := pi.Type.Size(); sz > 0 && len(raw) == sz {
		signed := false
		switch pi.Type {
		case scap.PTInt8, scap.PTInt16, scap.PTInt32, scap.PTInt64:
			signed = true
		}
		var uv uint64
		var sv int64
		if signed {
			sv, _ = scap.Int64(raw)
			uv = uint64(sv)
		} else {
			uv, _ = scap.Uint64(raw)
		}
		switch pi.Format {
		case scap.PFHex:
			b = strconv.AppendUint(b, uv, 16)
			if len(b) > 0 {
				// sysdig prints hex in upper case
				for k := len(b) - 1; k >= 0 && b[k] != '='; k-- {
					if b[k] >= 'a' && b[k] <= 'f' {
						b[k] -= 'a' - 'A'
					}
					if b[k] == ' ' || b[k] == '(' {
						break
					}
				}
			}
		case scap.PFOct:
			b = strconv.AppendUint(b, uv, 8)
		default:
			if signed {
				b = strconv.AppendInt(b, sv, 10)
			} else {
				b = strconv.AppendUint(b, uv, 10)
			}
		}
		if pi.Table != "" {
			b = appendFlagNames(b, pi, uint32(uv))
		}
		return b
	}
	return appendSanitized(b, raw, maxBufPrint)
}

// appendFlagNames renders "(NAME|NAME)" for a flag or enum value.
func appendFlagNames(b []byte, pi scap.Param, v uint32) []byte {
	tab, ok := scap.FlagTable(pi.Table)
	if !ok {
		return b
	}
	enum := pi.Type == scap.PTEnumFlags8 || pi.Type == scap.PTEnumFlags16 || pi.Type == scap.PTEnumFlags32
	start := len(b)
	b = append(b, '(')
	first := true
	rem := v
	for _, nv := range tab {
		match := false
		if enum {
			match = nv.Value == v
		} else {
			match = nv.Value != 0 && v&nv.Value == nv.Value && rem&nv.Value != 0 || nv.Value == 0 && v == 0
		}
		if !match {
			continue
		}
		rem &^= nv.Value
		if !first {
			b = append(b, '|')
		}
		b = append(b, nv.Name...)
		first = false
		if enum {
			break
		}
	}
	if first {
		return b[:start]
	}
	return append(b, ')')
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

var _ = fmt.Sprintf
