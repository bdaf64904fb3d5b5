package detect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
)

// Scope limits which events are evaluated and reported. The state is
// always updated with every event. The zero Scope takes every event.
type Scope struct {
	// Since and Until bound event timestamps, in nanoseconds since the
	// epoch; 0 leaves that side open.
	Since, Until uint64
	// Container keeps the events of the container with this id (or id
	// prefix) or name; "host" stands for the host. Empty keeps all.
	Container string
	// Pid keeps the events of this process when HasPid is set.
	Pid    int64
	HasPid bool
}

// ScopeFilter is a Scope bound to a registry's fields. It keeps scratch
// buffers: it is not safe for concurrent use.
type ScopeFilter struct {
	spec            Scope
	cid, cname, pid *Probe
}

// Filter binds s to the fields of reg.
func (spec Scope) Filter(reg engine.Registry) *ScopeFilter {
	s := &ScopeFilter{spec: spec}
	if spec.Container != "" {
		s.cid, s.cname = NewProbe(reg, "container.id"), NewProbe(reg, "container.name")
	}
	if spec.HasPid {
		s.pid = NewProbe(reg, "proc.pid")
	}
	return s
}

// In reports whether e is inside the scope.
func (s *ScopeFilter) In(e *replay.Event) bool {
	ts := e.Ev.Ts()
	if ts < s.spec.Since || s.spec.Until != 0 && ts > s.spec.Until {
		return false
	}
	if s.spec.HasPid {
		if pid, ok := s.pid.Int(e); !ok || pid != s.spec.Pid {
			return false
		}
	}
	if s.spec.Container != "" {
		id, _ := s.cid.Text(e)
		if id == "" || id == engine.Missing {
			id = "host"
		}
		if id != s.spec.Container && !strings.HasPrefix(id, s.spec.Container) {
			if name, _ := s.cname.Text(e); name != s.spec.Container {
				return false
			}
		}
	}
	return true
}

// ParseTime parses a time given on the command line: RFC 3339 (the zone
// defaults to loc), a date and time without zone, a date, or Unix seconds
// with an optional fraction. It returns nanoseconds since the epoch, 0 for
// an empty value; flag names the flag in errors.
func ParseTime(flag, s string, loc *time.Location) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		if secs < 0 {
			return 0, fmt.Errorf("parse --%s %q: negative time", flag, s)
		}
		whole, frac, _ := strings.Cut(s, ".")
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || w > 1<<33 {
			return 0, fmt.Errorf("parse --%s %q: bad Unix time", flag, s)
		}
		frac = (frac + "000000000")[:9]
		ns, err := strconv.ParseUint(frac, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse --%s %q: bad Unix time", flag, s)
		}
		return w*1e9 + ns, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if t.Before(time.Unix(0, 0)) {
				return 0, fmt.Errorf("parse --%s %q: before 1970", flag, s)
			}
			return uint64(t.UnixNano()), nil
		}
	}
	return 0, fmt.Errorf("parse --%s %q: want RFC 3339 (2024-05-01T10:00:00Z) or Unix seconds", flag, s)
}
