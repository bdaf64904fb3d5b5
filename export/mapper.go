package export

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// errInProgress is connect's EINPROGRESS: a non-blocking connect under way.
const errInProgress = -115

// probes extract the Falco fields the rows come from; docs/EXPORT.md's
// mapping names them.
type probes struct {
	evtDir, rawres, res, flags                          *detect.Probe
	pid, tid, pidTs, name, cmdline, exepath, cwd, tty   *detect.Probe
	userName, userUID, groupName, groupGID              *detect.Probe
	loginUID, loginName                                 *detect.Probe
	ppid, ppidTs, pname, pcmdline, pexepath             *detect.Probe
	cid, cname, cimage, cimageTag, cimageID, ctype, cpr *detect.Probe
	fdNum, fdType, fdName, l4proto                      *detect.Probe
	cip, cport, sip, sport                              *detect.Probe
	fsName, fsSource, fsTarget                          *detect.Probe
}

// mapper turns the events of one worker's captures into rows. It is not
// safe for concurrent use.
type mapper struct {
	p       probes
	byType  [scap.NumTypes][]*EventMapping
	product Product
	writers writerPool
	// procs is the last description of each thread's process, with the
	// state and process generation it was made at; texts interns the
	// small texts rows repeat (evt.dir, fd.typechar, flags ...).
	procs     map[int64]*procMemo
	last      *procMemo
	texts     map[string]string
	typeNames map[[2]int32]string
	// fresh makes every row's process description anew (tests compare
	// it with the memo's).
	fresh bool
}

// procMemo is a description of a thread and when it was made: it holds
// while the state's process generation stays.
type procMemo struct {
	state  *replay.State
	thread *replay.Thread
	gen    uint64
	desc   threadDesc
}

// threadDesc is what a row says of its thread: its process and parent,
// login user, terminal and container.
type threadDesc struct {
	proc       Process
	loginName  string
	tty        int64
	container  *Container
	privileged bool
}

// Bounds of the mapper's caches: past them a cache starts over.
const (
	maxProcMemos = 1 << 14
	maxTexts     = 1 << 12
)

// newMapper binds the probes with reg.
func newMapper(reg engine.Registry, product Product) *mapper {
	f := func(name string) *detect.Probe { return detect.NewProbe(reg, name) }
	m := &mapper{product: product, writers: writerPool{}, procs: map[int64]*procMemo{}, texts: map[string]string{}, typeNames: map[[2]int32]string{}, p: probes{
		evtDir: f("evt.dir"), rawres: f("evt.rawres"), res: f("evt.res"), flags: f("evt.arg.flags"),
		pid: f("proc.pid"), tid: f("thread.tid"), pidTs: f("proc.pid.ts"), name: f("proc.name"),
		cmdline: f("proc.cmdline"), exepath: f("proc.exepath"), cwd: f("proc.cwd"), tty: f("proc.tty"),
		userName: f("user.name"), userUID: f("user.uid"), groupName: f("group.name"), groupGID: f("group.gid"),
		loginUID: f("user.loginuid"), loginName: f("user.loginname"),
		ppid: f("proc.ppid"), ppidTs: f("proc.ppid.ts"), pname: f("proc.pname"), pcmdline: f("proc.pcmdline"),
		pexepath: f("proc.pexepath"),
		cid:      f("container.id"), cname: f("container.name"), cimage: f("container.image"),
		cimageTag: f("container.image.tag"), cimageID: f("container.image.id"), ctype: f("container.type"),
		cpr:   f("container.privileged"),
		fdNum: f("fd.num"), fdType: f("fd.typechar"), fdName: f("fd.name"), l4proto: f("fd.l4proto"),
		cip: f("fd.cip"), cport: f("fd.cport"), sip: f("fd.sip"), sport: f("fd.sport"),
		fsName: f("fs.path.name"), fsSource: f("fs.path.source"), fsTarget: f("fs.path.target"),
	}}
	byName := mappingsByType()
	for c := range scap.NumTypes {
		t := scap.Type(c)
		info, ok := scap.Lookup(t)
		if !ok || scap.IsGeneric(t) || (t.IsEnter() && t.HasExit()) {
			continue
		}
		m.byType[c] = byName[info.Name]
	}
	return m
}

// source is what a row's provenance needs of its capture: its host, the
// name its files are named after (stem) and its file name (logName).
type source struct {
	host, stem, logName string
}

// mapping returns the mapping of e, or nil when e is not exported.
func (m *mapper) mapping(e *replay.Event) *EventMapping {
	t := e.Ev.Type()
	if int(t) >= len(m.byType) {
		return nil
	}
	ms := m.byType[t]
	if len(ms) == 0 {
		return nil
	}
	fdType := ""
	for _, em := range ms {
		if em.Fd == "" {
			return em
		}
		if fdType == "" {
			if fdType = m.p.fdType.Value(e); fdType == "" {
				return nil
			}
		}
		if strings.Contains(em.Fd, fdType) {
			return em
		}
	}
	return nil
}

// base fills the attributes every class has for e.
func (m *mapper) base(b *Base, src source, e *replay.Event, a Activity) {
	ts := e.Ev.Ts()
	c := classOf(a.Class)
	*b = Base{
		Time: time.Unix(0, int64(ts)).UTC(), ClassUID: c.UID, ClassName: c.Name, CategoryUID: c.CategoryUID,
		CategoryName: c.CategoryName, ActivityID: a.ID, ActivityName: a.Name, TypeUID: int64(c.UID)*100 + int64(a.ID),
		TypeName: m.typeName(c, a), SeverityID: 1, Severity: "Informational", StatusID: 1, Status: "Success",
		Metadata: Metadata{Version: OCSFVersion, Product: m.product, UID: src.uid(e.Num), LogProvider: "retrace",
			LogName: src.logName, Sequence: int64(e.Num), EventCode: e.Ev.TypeName()},
		Device: Device{Hostname: src.host, TypeID: 0, Type: "Unknown"},
	}
	if res, ok := m.p.rawres.Int(e); ok && res < 0 {
		b.StatusID, b.Status, b.StatusCode = 2, "Failure", m.text(m.p.res, e)
	}
	d := m.thread(src, e)
	b.Actor.Process = d.proc
	b.Actor.User = d.proc.User
	b.Container = d.container
	u := &b.Unmapped
	u.EvtRawTime = int64(ts)
	u.Frame = int64(e.Frame)
	u.EvtDir = m.text(m.p.evtDir, e)
	if n, ok := m.p.fdNum.Int(e); ok && e.FDNum >= 0 {
		u.FdNum = &n
	}
	u.FdType = m.text(m.p.fdType, e)
	u.Flags = m.text(m.p.flags, e)
	u.UserLoginName, u.ProcTty, u.ContainerPrivileged = d.loginName, d.tty, d.privileged
}

// text returns probe's value for e (as [detect.Probe.Value]) for a field
// of few distinct values, interned.
func (m *mapper) text(probe *detect.Probe, e *replay.Event) string {
	b, ok := probe.Bytes(e)
	if !ok || string(b) == engine.Missing {
		return ""
	}
	if s, ok := m.texts[string(b)]; ok {
		return s
	}
	if len(m.texts) >= maxTexts {
		clear(m.texts)
	}
	s := string(b)
	m.texts[s] = s
	return s
}

// typeName returns a's type_name ("Process Activity: Launch"), made once
// per class and activity.
func (m *mapper) typeName(c *Class, a Activity) string {
	k := [2]int32{c.UID, a.ID}
	if s, ok := m.typeNames[k]; ok {
		return s
	}
	s := c.Name + ": " + a.Name
	m.typeNames[k] = s
	return s
}

// uid is the row's metadata.uid: host, capture and event number.
func (s source) uid(num uint64) string {
	return s.host + ":" + s.stem + ":" + strconv.FormatUint(num, 10)
}

// processUID is a process's uid: host, pid and start time.
func processUID(host string, pid, start int64) string {
	return host + ":" + strconv.FormatInt(pid, 10) + ":" + strconv.FormatInt(start, 10)
}

// thread describes e's thread. A thread is described again only when the
// state's process generation has changed since its last description
// (replay.State.ProcessGeneration).
func (m *mapper) thread(src source, e *replay.Event) *threadDesc {
	st, gen := e.State(), e.State().ProcessGeneration()
	// Events come in runs of one thread: its description is often the
	// last one returned.
	if !m.fresh && e.Thread != nil && m.last.holds(st, e.Thread, gen) {
		return &m.last.desc
	}
	tid, _ := m.p.tid.Int(e)
	pm := m.procs[tid]
	if pm == nil {
		if len(m.procs) >= maxProcMemos {
			clear(m.procs)
		}
		pm = &procMemo{}
		m.procs[tid] = pm
	}
	m.last = pm
	if !m.fresh && pm.holds(st, e.Thread, gen) {
		return &pm.desc
	}
	tty, _ := m.p.tty.Int(e)
	*pm = procMemo{state: st, thread: e.Thread, gen: gen, desc: threadDesc{
		proc: m.describeProcess(src, e), loginName: m.text(m.p.loginName, e), tty: tty,
		container: m.container(e), privileged: m.text(m.p.cpr, e) == "true"}}
	return &pm.desc
}

// holds reports whether pm describes thread t of state st at process
// generation gen.
func (pm *procMemo) holds(st *replay.State, t *replay.Thread, gen uint64) bool {
	return pm != nil && pm.state == st && pm.thread == t && pm.gen == gen
}

// describeProcess describes e's process and its parent from its fields
// (names, paths and ids interned: processes share them).
func (m *mapper) describeProcess(src source, e *replay.Event) Process {
	p := &m.p
	var out Process
	pid, ok := p.pid.Int(e)
	if !ok {
		return out
	}
	start, _ := p.pidTs.Int(e)
	tid, _ := p.tid.Int(e)
	out = Process{PID: int32(pid), TID: int32(tid), UID: processUID(src.host, pid, start), Name: m.text(p.name, e),
		CmdLine: p.cmdline.Value(e), File: fileOf(m.text(p.exepath, e), 1), WorkingDirectory: m.text(p.cwd, e),
		CreatedTime: timeOf(start)}
	if name, uid := m.text(p.userName, e), m.text(p.userUID, e); name != "" || uid != "" {
		out.User = &User{Name: name, UID: uid}
	}
	if name, gid := m.text(p.groupName, e), m.text(p.groupGID, e); name != "" || gid != "" {
		out.Group = &Group{Name: name, UID: gid}
	}
	if auid, ok := p.loginUID.Int(e); ok && auid >= 0 && auid < 1<<31 {
		a := int32(auid)
		out.AUID = &a
	}
	if ppid, ok := p.ppid.Int(e); ok && ppid > 0 {
		pstart, _ := p.ppidTs.Int(e)
		out.ParentProcess = &ParentProcess{PID: int32(ppid), UID: processUID(src.host, ppid, pstart), Name: m.text(p.pname, e),
			CmdLine: p.pcmdline.Value(e), File: fileOf(m.text(p.pexepath, e), 1), CreatedTime: timeOf(pstart)}
	}
	return out
}

// parentAsProcess returns p's parent as a process (the actor of a launch).
func parentAsProcess(p *Process) Process {
	pp := p.ParentProcess
	if pp == nil {
		return Process{}
	}
	return Process{PID: pp.PID, UID: pp.UID, Name: pp.Name, CmdLine: pp.CmdLine, File: pp.File, CreatedTime: pp.CreatedTime}
}

// timeOf converts ns since the epoch to a time; zero stays zero (null).
func timeOf(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// File type ids of OCSF's file object.
var fileTypes = map[string]struct {
	id   int32
	name string
}{
	"f": {1, "Regular File"}, "d": {2, "Folder"}, "u": {5, "Local Socket"}, "p": {6, "Named Pipe"},
}

// fileOf returns the file object of path p of type typeID (0: unknown),
// nil for an empty path.
func fileOf(p string, typeID int32) *File {
	if p == "" {
		return nil
	}
	f := fileValue(p, typeID)
	return &f
}

// fileValue returns the file object of path p (not empty) of type typeID.
func fileValue(p string, typeID int32) File {
	return File{Path: p, Name: path.Base(p), ParentFolder: path.Dir(p), TypeID: typeID, Type: fileTypeName(typeID)}
}

// fileTypeName is the caption of an OCSF file type id.
func fileTypeName(id int32) string {
	switch id {
	case 1:
		return "Regular File"
	case 2:
		return "Folder"
	case 5:
		return "Local Socket"
	case 6:
		return "Named Pipe"
	case 7:
		return "Symbolic Link"
	}
	return "Unknown"
}

// container describes e's container, nil on the host.
func (m *mapper) container(e *replay.Event) *Container {
	id := m.text(m.p.cid, e)
	if id == "" || id == "host" {
		return nil
	}
	c := &Container{UID: id, Name: m.p.cname.Value(e), Runtime: m.p.ctype.Value(e)}
	if name, tag, uid := m.p.cimage.Value(e), m.p.cimageTag.Value(e), m.p.cimageID.Value(e); name != "" || uid != "" {
		c.Image = &Image{Name: name, Tag: tag, UID: uid}
	}
	return c
}

// isProcessRow reports whether e of activity a makes a Process Activity
// row: not the parent's side of a clone, not a failed exec.
func (m *mapper) isProcessRow(e *replay.Event, a Activity) bool {
	if a != procLaunch {
		return true
	}
	res, hasRes := m.p.rawres.Int(e)
	switch {
	case hasRes && res != 0 && e.Ev.TypeName() != "execve" && e.Ev.TypeName() != "execveat":
		return false // the parent's side of a clone
	case hasRes && res < 0:
		return false
	}
	return true
}

// processRow fills r, a zero row, with e's Process Activity row (e is one:
// isProcessRow).
func (m *mapper) processRow(r *ProcessActivity, src source, e *replay.Event, a Activity) {
	m.base(&r.Base, src, e, a)
	r.Process = r.Actor.Process
	if a == procLaunch {
		r.Actor.Process = parentAsProcess(&r.Process)
	}
	if a == procTerminate {
		if code, ok := exitCode(e.Ev); ok {
			r.ExitCode = &code
		}
	}
}

// exitCode returns a procexit event's exit code.
func exitCode(ev *scap.Event) (int32, bool) {
	if b, ok := ev.ParamByName("ret"); ok {
		if v, ok := scap.Int64(b); ok {
			return int32(v), true
		}
	}
	if b, ok := ev.ParamByName("status"); ok {
		if v, ok := scap.Int64(b); ok {
			return int32(v>>8) & 0xff, true
		}
	}
	return 0, false
}

// fileRow fills r, a zero row, with e's File System Activity row.
func (m *mapper) fileRow(r *FileActivity, src source, e *replay.Event, a Activity) {
	m.base(&r.Base, src, e, a)
	typeID := int32(0)
	if ft, ok := fileTypes[r.Unmapped.FdType]; ok {
		typeID = ft.id
	}
	name := e.Ev.TypeName()
	var file, result string
	switch name {
	case "rename", "renameat", "renameat2":
		file, result = m.p.fsSource.Value(e), m.p.fsTarget.Value(e)
	case "link", "linkat", "symlink", "symlinkat":
		file, result = m.p.fsTarget.Value(e), m.p.fsSource.Value(e)
		if strings.HasPrefix(name, "symlink") {
			typeID = 7
		}
	case "mount":
		file = m.p.fsTarget.Value(e)
	case "mkdir", "mkdirat":
		typeID = 2
	}
	if file == "" {
		if file = m.p.fsName.Value(e); file == "" {
			file = m.p.fdName.Value(e)
		}
	}
	if file != "" {
		r.File = fileValue(file, typeID)
	} else {
		r.File = File{Type: fileTypeName(0)}
	}
	r.FileResult = fileOf(result, 0)
}

// networkRow fills r, a zero row, with e's Network Activity row.
func (m *mapper) networkRow(r *NetworkActivity, src source, e *replay.Event, a Activity) {
	res, _ := m.p.rawres.Int(e)
	name := e.Ev.TypeName()
	if a == netOpen && res < 0 && res != errInProgress {
		a = netFail
	}
	m.base(&r.Base, src, e, a)
	if name == "connect" && res == errInProgress {
		r.StatusID, r.Status, r.StatusCode = 1, "Success", m.p.res.Value(e)
	}
	// The client, the end that opened the connection, is the source on
	// both sides: fd.cip and fd.sip follow the connection's tuple, where
	// fd.lip and fd.rip follow Falco's local-address rule (which takes a
	// loopback client for the local end of the server's socket too). A
	// listening socket has a server address only.
	r.SrcEndpoint, r.DstEndpoint = m.endpoint(e, m.p.cip, m.p.cport), m.endpoint(e, m.p.sip, m.p.sport)
	ci := &r.ConnectionInfo
	ci.ProtocolName = m.text(m.p.l4proto, e)
	switch ci.ProtocolName {
	case "tcp":
		ci.ProtocolNum = 6
	case "udp":
		ci.ProtocolNum = 17
	}
	switch name {
	case "connect":
		ci.DirectionID, ci.Direction = 2, "Outbound"
	case "accept", "accept4":
		ci.DirectionID, ci.Direction = 1, "Inbound"
	default:
		ci.DirectionID, ci.Direction = 0, "Unknown"
	}
}

// endpoint returns the endpoint of an address and a port field.
func (m *mapper) endpoint(e *replay.Event, ip, port *detect.Probe) Endpoint {
	var ep Endpoint
	ep.IP = ip.Value(e)
	if p, ok := port.Int(e); ok && p > 0 && p < 1<<16 {
		ep.Port = int32(p)
	}
	return ep
}

// Falco priorities as OCSF severities.
var severities = map[string]struct {
	id   int32
	name string
}{
	"Emergency": {6, "Fatal"}, "Alert": {5, "Critical"}, "Critical": {5, "Critical"}, "Error": {4, "High"},
	"Warning": {3, "Medium"}, "Notice": {2, "Low"}, "Informational": {1, "Informational"}, "Debug": {1, "Informational"},
}

// findingRow fills r, a zero row, with the Detection Finding row of det,
// found on e.
func (m *mapper) findingRow(r *DetectionFinding, src source, e *replay.Event, det *report.Detection) {
	m.base(&r.Base, src, e, findingCreate)
	if sev, ok := severities[det.Priority]; ok {
		r.SeverityID, r.Severity = sev.id, sev.name
	} else {
		r.SeverityID, r.Severity = 99, "Other"
	}
	r.Message = det.Output
	for _, a := range det.Ancestry {
		exe := a.Exe
		if exe == "" {
			exe = a.Name
		}
		r.Actor.Process.Lineage = append(r.Actor.Process.Lineage, exe)
	}
	tags := slices.Clone(det.Tags)
	slices.Sort(tags)
	r.FindingInfo = FindingInfo{UID: r.Metadata.UID + ":" + det.Rule, Title: det.Rule, Types: tags,
		Analytic: Analytic{Name: det.Rule, TypeID: 1, Type: "Rule"}}
	r.Metadata.UID = r.FindingInfo.UID
	r.IsAlert = true
	r.Unmapped.Priority = det.Priority
	r.Unmapped.Source = det.Source
}
