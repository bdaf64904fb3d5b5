package replay

import (
	"strconv"
	"strings"
)

// lineage029 follows the parent tids sysdig 0.29.3 keeps, which differ
// from retrace's (current libs') in two documented ways: a thread created
// in the capture has its creating thread as parent
// (REPLAY-THREAD-PARENT-029), and nothing is reparented when a parent
// exits (REPLAY-REPARENT-029). It computes what 0.29.3 prints for the
// parent and ancestor fields it knows from those tids and retrace's
// thread table, so a disagreement is explained only when 0.29.3's own
// rules give sysdig's value.
type lineage029 struct {
	started bool
	// ptid is 0.29.3's parent tid per tid, valid while the thread with
	// that tid has the recorded clone time.
	ptid map[int64]ptid029
}

type ptid029 struct {
	cloneTs uint64
	ptid    int64
}

func newLineage029() *lineage029 { return &lineage029{ptid: map[int64]ptid029{}} }

// observe updates the model after retrace applied e.
func (l *lineage029) observe(e *Event) {
	s := e.State()
	if !l.started {
		// The process snapshot: parent tids as recorded.
		l.started = true
		s.Threads(func(t *Thread) bool {
			l.ptid[t.Tid] = ptid029{t.CloneTs, t.PTid}
			return true
		})
	}
	info := e.Ev.Info()
	if info != nil && info.Dir == 'X' && isCloneExit(e.Ev.Type(), info) {
		res, _ := e.Ev.ParamInt64(0)
		flags, _ := e.uint64Param("flags")
		var child *Thread
		var parent int64
		switch {
		case res == 0:
			child = e.Thread
			if uint32(flags)&clCloneThread != 0 {
				parent, _ = e.int64Param("pid")
			} else {
				parent, _ = e.int64Param("ptid")
			}
		case res > 0:
			child, _ = s.Thread(res)
			parent = e.Ev.Tid()
		}
		if child != nil && child.CloneTs == e.Ev.Ts() {
			l.ptid[child.Tid] = ptid029{child.CloneTs, parent}
		}
	}
	if t := e.Thread; t != nil {
		if p, ok := l.ptid[t.Tid]; !ok || p.cloneTs != t.CloneTs || (p.ptid == -1 && t.PTid != -1) {
			// A thread first seen now (an unknown tid), or a parent
			// tid an execve filled in.
			l.ptid[t.Tid] = ptid029{t.CloneTs, t.PTid}
		}
	}
}

// parentTid returns 0.29.3's parent tid of t and whether it differs from
// retrace's because retrace reparented t.
func (l *lineage029) parentTid(t *Thread) (int64, bool) {
	p, ok := l.ptid[t.Tid]
	if !ok || p.cloneTs != t.CloneTs {
		return t.PTid, false
	}
	return p.ptid, p.ptid != t.PTid && t.IsMain()
}

// parent returns the thread 0.29.3 takes as t's parent.
func (l *lineage029) parent(s *State, t *Thread) (*Thread, bool, bool) {
	ptid, reparented := l.parentTid(t)
	p, ok := s.Thread(ptid)
	return p, ok, reparented
}

// lineageFields are the parent and ancestor fields sysdig 0.29.3 knows.
var lineageFields = map[string]bool{"proc.ppid": true, "proc.pname": true, "proc.pcmdline": true, "proc.pvpid": true}

// known reports whether want is what sysdig 0.29.3 prints for field on e
// by its own parent tids, and the docs/COMPATIBILITY.md row that says why
// retrace differs.
func (l *lineage029) known(e *Event, field, want string) (string, bool) {
	t := e.Thread
	if t == nil {
		return "", false
	}
	s := e.State()
	base, n := field, -1
	if i := strings.IndexByte(field, '['); i > 0 && strings.HasSuffix(field, "]") {
		v, err := strconv.Atoi(field[i+1 : len(field)-1])
		if err != nil {
			return "", false
		}
		base, n = field[:i], v
	}
	var got string
	reparented := false
	switch {
	case n < 0 && base == "proc.ppid":
		m := s.mainThread(t)
		ptid, r := l.parentTid(m)
		got, reparented = strconv.FormatInt(ptid, 10), r
		if ptid < -1 {
			got = "<NA>"
		}
	case n < 0 && lineageFields[base]:
		p, ok, r := l.parent(s, t)
		reparented = r
		got = "<NA>"
		if ok {
			got = lineageValue(base, p)
		}
	case n >= 0 && (base == "proc.aname" || base == "proc.apid"):
		a := s.mainThread(t)
		got = lineageValue(base, a)
		for i := 0; i < n; i++ {
			p, ok, r := l.parent(s, a)
			reparented = reparented || r
			if !ok {
				got = "<NA>"
				break
			}
			a = p
			got = lineageValue(base, a)
		}
	default:
		return "", false
	}
	if got != want {
		return "", false
	}
	if reparented {
		return "REPLAY-REPARENT-029", true
	}
	return "REPLAY-THREAD-PARENT-029", true
}

// lineageValue renders field (a parent or ancestor field) of p as sysdig
// prints it.
func lineageValue(field string, p *Thread) string {
	switch field {
	case "proc.pname", "proc.aname":
		return string(p.comm)
	case "proc.pcmdline":
		return string(p.cmdline)
	case "proc.pvpid":
		return strconv.FormatInt(p.Vpid, 10)
	}
	return strconv.FormatInt(p.Pid, 10) // proc.ppid, proc.apid
}
