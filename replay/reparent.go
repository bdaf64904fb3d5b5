package replay

import "github.com/retrace-dev/retrace/capture/scap"

// Parent links and reparenting, as current libsinsp keeps them: every
// thread in the table is listed under the tid its PTid names, so that the
// children of a thread that leaves the table can be given to their reaper
// without a walk over all threads (docs/COMPATIBILITY.md,
// REPLAY-REPARENT-029).

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER option.
const prSetChildSubreaper = 36

// linkChild lists t under its parent tid.
func (s *State) linkChild(t *Thread) {
	t.childIdx = -1
	if t.PTid < 0 || t.PTid == t.Tid {
		return
	}
	l := s.children[t.PTid]
	t.childIdx = len(l)
	s.children[t.PTid] = append(l, t)
}

// unlinkChild removes t from its parent tid's list, in constant time.
func (s *State) unlinkChild(t *Thread) {
	l := s.children[t.PTid]
	i := t.childIdx
	t.childIdx = -1
	if i < 0 || i >= len(l) || l[i] != t {
		return
	}
	last := len(l) - 1
	l[i] = l[last]
	l[i].childIdx = i
	l[last] = nil
	l = l[:last]
	if len(l) == 0 {
		delete(s.children, t.PTid)
	} else {
		s.children[t.PTid] = l
	}
}

// setPTid changes the parent tid of t, a thread in the table.
func (s *State) setPTid(t *Thread, ptid int64) {
	if s.threads[t.Tid] != t {
		t.PTid = ptid
		return
	}
	s.unlinkChild(t)
	t.PTid = ptid
	s.linkChild(t)
}

// reparentChildren gives the children of t, which is leaving the table,
// to their reaper: the procexit's reaper_tid when it names a known
// thread, otherwise the one [State.findReaper] finds, otherwise nobody
// (parent tid 0), as libsinsp's remove_thread does.
func (s *State) reparentChildren(t *Thread) {
	kids := s.children[t.Tid]
	if len(kids) == 0 {
		return
	}
	delete(s.children, t.Tid)
	var reaper *Thread
	if t.reaperTid > 0 {
		if r := s.threads[t.reaperTid]; r != nil && !r.fake && r != t {
			reaper = r
		}
	}
	if reaper == nil {
		reaper = s.findReaper(t)
	}
	newPTid := int64(0)
	if reaper != nil {
		newPTid = reaper.Tid
		if reaper.Pid != t.Pid {
			s.mainThread(reaper).reaper = true
		}
	}
	for _, c := range kids {
		if c == reaper {
			// A thread cannot be its own parent; libsinsp never lists
			// a reaper among the children it gives it.
			c.PTid = 0
			s.linkChild(c)
			continue
		}
		c.PTid = newPTid
		s.linkChild(c)
	}
}

// findReaper picks the reaper of t's children as libsinsp's
// find_new_reaper does when the kernel named none: a live thread of t's
// process, else the nearest ancestor in the same kind of pid namespace
// that is a reaper, else nil.
func (s *State) findReaper(t *Thread) *Thread {
	if r := s.liveThreadOf(t.Pid, t); r != nil {
		return r
	}
	inNS := t.inPidNS()
	seen := map[int64]bool{t.Tid: true}
	for p := s.threads[t.PTid]; p != nil && !seen[p.Tid] && len(seen) <= maxLineage; p = s.threads[p.PTid] {
		seen[p.Tid] = true
		if p.inPidNS() != inNS {
			break
		}
		if s.isReaper(p) {
			if r := s.liveThreadOf(p.Pid, nil); r != nil {
				return r
			}
		}
	}
	return nil
}

// isReaper reports whether t's process reaps orphans: an init (pid or
// vpid 1), a child subreaper (prctl), or a process named as a reaper by an
// earlier procexit.
func (s *State) isReaper(t *Thread) bool {
	m := s.mainThread(t)
	return m.reaper || m.Pid == 1 || m.Vpid == 1
}

// liveThreadOf returns a thread of process pid that has not exited,
// other than except: its main thread when alive, else any (a walk over
// the table, only when the main thread is gone or exiting while other
// threads remain).
func (s *State) liveThreadOf(pid int64, except *Thread) *Thread {
	m := s.threads[pid]
	if m != nil && !m.dead && !m.fake && m != except {
		return m
	}
	n := s.procThreads[pid]
	if m != nil {
		n--
	}
	if except != nil && except != m && except.Pid == pid {
		n--
	}
	if n <= 0 {
		return nil
	}
	for _, x := range s.threads {
		if x.Pid == pid && x != except && x != m && !x.dead && !x.fake {
			return x
		}
	}
	return nil
}

// inPidNS reports whether t lives in a child pid namespace, as libsinsp's
// is_in_pid_namespace decides it.
func (t *Thread) inPidNS() bool {
	return t.Flags&clChildInPidNS != 0 || (t.Vtid >= 0 && t.Tid != t.Vtid)
}

// parsePrctl applies prctl(PR_SET_CHILD_SUBREAPER): the process becomes
// (arg2 != 0) or stops being the reaper of its orphaned descendants.
func (s *State) parsePrctl(e *Event, _ *scap.Info, _ int64) {
	t := e.Thread
	if t == nil || t.fake {
		return
	}
	opt, ok := e.uint64Param("option")
	if !ok || opt != prSetChildSubreaper {
		return
	}
	arg, _ := e.int64Param("arg2_int")
	s.mainThread(t).reaper = arg != 0
}
