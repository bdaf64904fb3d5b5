package detect

import (
	"strconv"
	"time"

	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// MaxProvenance bounds the links of a detection's provenance chain.
const MaxProvenance = 24

// noLoginUID is the loginuid of a process outside any login (UINT32_MAX).
const noLoginUID = 0xffffffff

// ProvenanceOf returns the provenance of e's process from the replay's
// lineage records: its creation chain, exited creators included, and its
// login uid, session and terminal. It returns nil for an event without a
// thread.
func ProvenanceOf(e *replay.Event) *report.Provenance {
	l := e.Lineage()
	if l == nil {
		return nil
	}
	t := e.Thread
	st := e.State()
	p := &report.Provenance{LoginUID: -1, Session: t.Sid, Tty: int64(t.Tty)}
	if t.LoginUID != noLoginUID {
		p.LoginUID = int64(t.LoginUID)
		p.LoginUser = userName(st, t.LoginUID)
	}
	chain := l.Chain(MaxProvenance + 1)
	if len(chain) > MaxProvenance {
		chain, p.Truncated = chain[:MaxProvenance], true
	} else if chain[len(chain)-1].Cut {
		p.Truncated = true
	}
	p.Chain = make([]report.Origin, len(chain))
	for i, a := range chain {
		o := &p.Chain[i]
		o.Process = report.Process{Pid: a.Pid, Name: a.Comm, Exe: a.ExePath, Cmdline: a.Cmdline,
			User: userName(st, a.UID), Tty: int64(a.Tty), Start: nsTime(a.Start)}
		o.How = a.Origin.String()
		o.Container = a.ContainerID
		if o.Container == "" {
			o.Container = "host"
		}
		o.Exit = nsTime(a.Exit)
	}
	return p
}

// userName returns uid's name in the capture's user table, else the
// number.
func userName(st *replay.State, uid uint32) string {
	if u, ok := st.Users.User(uid); ok && u.Name != "" {
		return u.Name
	}
	return strconv.FormatUint(uint64(uid), 10)
}

// nsTime converts ns since the epoch, the zero time for 0.
func nsTime(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns))
}
