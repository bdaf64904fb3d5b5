package replay

import (
	"strconv"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// fdlistFields returns the fdlist.* fields.
func fdlistFields() []def {
	return []def{
		fdlistField("fdlist.nums", "For poll events, the fd numbers of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			return strconv.AppendInt(b, fd, 10), true
		}),
		fdlistField("fdlist.names", "For poll events, the fd names of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil || len(f.name) == 0 {
				return append(b, "<NA>"...), true
			}
			return append(b, f.name...), true
		}),
		fdlistField("fdlist.cips", "For poll events, the client IPs of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil || !isConnSock(f) {
				return b, false
			}
			return f.SIP.AppendTo(b), true
		}),
		fdlistField("fdlist.sips", "For poll events, the server IPs of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil {
				return b, false
			}
			a, ok := sipOf(f)
			if !ok || !a.IsValid() {
				return b, false
			}
			return a.AppendTo(b), true
		}),
		fdlistField("fdlist.cports", "For poll events, the client ports of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
			if f == nil || !isConnSock(f) {
				return b, false
			}
			return strconv.AppendUint(b, uint64(f.SPort), 10), true
		}),
		fdlistField("fdlist.sports", "For poll events, the server ports of the fds argument, comma-separated.", func(b []byte, fd int64, f *FD) ([]byte, bool) {
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
	}
}

// fdlistField defines an fdlist.* field: for the fds argument of a poll
// event, the rendering of each fd render accepts, comma-separated.
func fdlistField(name, desc string, render func(b []byte, fd int64, f *FD) ([]byte, bool)) def {
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
