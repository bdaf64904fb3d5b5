package detect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/replay"
)

// Scope limits which events are evaluated and reported. The state is
// always updated with every event. The zero Scope takes every event.
type Scope struct {
	// Since and Until bound event times (unset: that side is open).
	Since, Until TimeSpec
	// Container keeps the events of the container with this id (or id
	// prefix) or name; "host" stands for the host. Empty keeps all.
	Container string
	// Pid keeps the events of this process when HasPid is set.
	Pid    int64
	HasPid bool
	// Clock corrects hosts' clocks: every event's time, before the scope
	// or anything else reads it (see [ClockOffsets]).
	Clock ClockOffsets
}

// maxScopeContainers bounds the containers a ScopeFilter remembers for
// its "no such container" note.
const maxScopeContainers = 64

// ScopeFilter is a Scope bound to a registry's fields, for one capture:
// it resolves relative times against the capture and counts what matched,
// to say why nothing did. It is not safe for concurrent use.
type ScopeFilter struct {
	spec            Scope
	cid, cname, pid *Probe
	path            string // the capture, read again for its end when an offset counts from there

	resolved     bool
	first, last  uint64
	since, until uint64

	inTime, ofPid, matched uint64
	containers             map[string]string // id -> name, of in-time events of the pid
}

// Filter binds s to the fields of reg for the capture at path.
func (spec Scope) Filter(reg engine.Registry, path string) *ScopeFilter {
	s := &ScopeFilter{spec: spec, path: path}
	if spec.Container != "" {
		s.cid, s.cname = NewProbe(reg, "container.id"), NewProbe(reg, "container.name")
		s.containers = map[string]string{}
	}
	if spec.HasPid {
		s.pid = NewProbe(reg, "proc.pid")
	}
	return s
}

// Wrap returns a handler that hands h the events inside the scope (and
// not state-only), watching every event for the capture's time span.
func (s *ScopeFilter) Wrap(h replay.Handler) replay.Handler {
	return func(e *replay.Event) error {
		ts := e.Ev.Ts()
		if !s.resolved {
			s.resolve(ts)
		}
		s.last = ts
		if e.StateOnly || !s.in(e, ts) {
			return nil
		}
		return h(e)
	}
}

// resolve fixes the time bounds at the capture's first event.
func (s *ScopeFilter) resolve(first uint64) {
	s.resolved, s.first = true, first
	var end uint64
	if s.spec.Since.needsEnd() || s.spec.Until.needsEnd() {
		end = lastEventTime(s.path, s.spec.Clock)
	}
	s.since = s.spec.Since.Resolve(first, end)
	s.until = s.spec.Until.Resolve(first, end)
}

// in reports whether e, at ts, is inside the scope.
func (s *ScopeFilter) in(e *replay.Event, ts uint64) bool {
	if ts < s.since || s.spec.Until.IsSet() && ts > s.until {
		return false
	}
	s.inTime++
	if s.spec.HasPid {
		if pid, ok := s.pid.Int(e); !ok || pid != s.spec.Pid {
			return false
		}
	}
	s.ofPid++
	if s.spec.Container != "" {
		id, _ := s.cid.Text(e)
		if id == "" || id == engine.Missing {
			id = "host"
		}
		name, _ := s.cname.Text(e)
		if _, ok := s.containers[id]; !ok && len(s.containers) < maxScopeContainers {
			s.containers[id] = name
		}
		if id != s.spec.Container && !strings.HasPrefix(id, s.spec.Container) && name != s.spec.Container {
			return false
		}
	}
	s.matched++
	return true
}

// Notes explains, after the capture's replay, why the scope matched no
// event: times outside the capture, a pid or container that is not in it
// (with the containers that are, and the closest names). It returns nil
// when an event matched or no scope was set.
func (s *ScopeFilter) Notes() []string {
	sc := s.spec
	if s.matched > 0 || !sc.Since.IsSet() && !sc.Until.IsSet() && !sc.HasPid && sc.Container == "" {
		return nil
	}
	if !s.resolved {
		return []string{"the capture has no events"}
	}
	at := func(ns uint64) string { return time.Unix(0, int64(ns)).UTC().Format(time.RFC3339Nano) }
	switch {
	case s.inTime == 0 && sc.Since.IsSet() && s.since > s.last:
		return []string{fmt.Sprintf("--since %s (%s) is after the capture's last event (%s)", sc.Since, at(s.since), at(s.last))}
	case s.inTime == 0 && sc.Until.IsSet() && s.until < s.first:
		return []string{fmt.Sprintf("--until %s (%s) is before the capture's first event (%s)", sc.Until, at(s.until), at(s.first))}
	case s.inTime == 0:
		return []string{fmt.Sprintf("no event between --since and --until (the capture runs from %s to %s)", at(s.first), at(s.last))}
	case sc.HasPid && s.ofPid == 0:
		return []string{fmt.Sprintf("no event of pid %d in the capture's selected time range", sc.Pid)}
	}
	var names, labels []string
	for id, name := range s.containers {
		names = append(names, id)
		label := id
		if name != "" && name != engine.Missing && name != id {
			names = append(names, name)
			label = fmt.Sprintf("%s (%s)", name, id)
		}
		labels = append(labels, label)
	}
	slices.Sort(labels)
	slices.Sort(names)
	where := ""
	if sc.HasPid {
		where = fmt.Sprintf(" for pid %d", sc.Pid)
	}
	return []string{fmt.Sprintf("no container with id or name %q in the capture%s%s; containers: %s", sc.Container, where,
		suggest.DidYouMean(sc.Container, names), strings.Join(labels, ", "))}
}

// lastEventTime returns the time of the last event of the capture at
// path: from the summary of a retrace .scap.zst file, else by reading the
// events' headers once; 0 when the capture cannot be read (the replay
// reports why), corrected by the host's offset in clock.
func lastEventTime(path string, clock ClockOffsets) uint64 {
	var off int64
	if len(clock) > 0 {
		off = int64(clock.Of(CaptureHost(path)))
	}
	if sum, err := capture.ReadSummary(path); err == nil {
		return uint64(int64(sum.LastTS) + off)
	}
	r, err := capture.Open(path)
	if err != nil {
		return 0
	}
	defer r.Close()
	r.SetClockOffset(time.Duration(off))
	var last uint64
	for {
		ev, err := r.Next()
		if err != nil {
			return last
		}
		last = ev.Ts()
	}
}

// ParseScope builds a Scope from the values of the --tz, --since, --until
// and --container flags that replay, timeline and events share, and the
// zone times print in (UTC unless tz names one). pid is kept when hasPid
// is set (the flag was given).
func ParseScope(tz, since, until, container string, pid int64, hasPid bool) (*time.Location, Scope, error) {
	loc, err := time.UTC, error(nil)
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, Scope{}, fmt.Errorf("parse --tz: %w", err)
		}
	}
	sc := Scope{Container: container, Pid: pid, HasPid: hasPid}
	if sc.Since, err = ParseTimeSpec("since", since, loc); err != nil {
		return nil, Scope{}, err
	}
	if sc.Until, err = ParseTimeSpec("until", until, loc); err != nil {
		return nil, Scope{}, err
	}
	if sc.Since.After(sc.Until) {
		return nil, Scope{}, fmt.Errorf("parse --until %s: before --since %s", sc.Until, sc.Since)
	}
	return loc, sc, nil
}

// ParseCompat parses the --compat value: "" (current Falco) or
// [CompatFalco032]; it reports whether Falco 0.32's visibility applies.
func ParseCompat(s string) (bool, error) {
	switch s {
	case "":
		return false, nil
	case CompatFalco032:
		return true, nil
	}
	return false, fmt.Errorf("parse --compat %q: want %s", s, CompatFalco032)
}
