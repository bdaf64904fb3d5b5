package timeline

import (
	"fmt"
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

// The activity views.
const (
	ViewFiles       = "files"
	ViewConnections = "connections"
	ViewCommands    = "commands"
	ViewIO          = "io"
	ViewErrors      = "errors"
	ViewPrivilege   = "privilege"
)

// Activity bounds: the entries an aggregate view keeps (files,
// connections, errors), and the I/O events the io view keeps. A view that
// reaches its bound says so in a last finding of rule "truncated".
const (
	MaxAggregates = 100_000
	MaxIOEvents   = 100_000
)

// sortedByRank reports views whose findings are ranked (most bytes or
// failures first) rather than in time order.
func sortedByRank(view string) bool {
	return view == ViewFiles || view == ViewConnections || view == ViewErrors
}

// activityProbes are the fields the activity views read.
type activityProbes struct {
	isRead, isWrite, rawres, res *detect.Probe
	cip, sip, cport, sport       *detect.Probe
	isServer, l4                 *detect.Probe
	loginName, pname, ppid       *detect.Probe
}

func newActivityProbes(reg engine.Registry) *activityProbes {
	return &activityProbes{
		isRead: detect.NewProbe(reg, "evt.is_io_read"), isWrite: detect.NewProbe(reg, "evt.is_io_write"),
		rawres: detect.NewProbe(reg, "evt.rawres"), res: detect.NewProbe(reg, "evt.res"),
		cip: detect.NewProbe(reg, "fd.cip"), sip: detect.NewProbe(reg, "fd.sip"),
		cport: detect.NewProbe(reg, "fd.cport"), sport: detect.NewProbe(reg, "fd.sport"),
		isServer: detect.NewProbe(reg, "fd.is_server"), l4: detect.NewProbe(reg, "fd.l4proto"),
		loginName: detect.NewProbe(reg, "user.loginname"), pname: detect.NewProbe(reg, "proc.pname"), ppid: detect.NewProbe(reg, "proc.ppid"),
	}
}

// aggKey identifies an aggregate entry: a process and an object.
type aggKey struct {
	proc procKey
	obj  string
}

// aggregate is one row of the files, connections or errors view.
type aggregate struct {
	det                   int // index in found
	first, last           time.Time
	readBytes, writeBytes uint64
	reads, writes, count  uint64
	kinds                 []string
	inbound, outbound     bool
	obj, firstObject      string
}

// activity is the state of the activity views.
type activity struct {
	p       *activityProbes
	aggs    map[aggKey]*aggregate
	ioCount int
	full    bool
}

// ioKind returns "read" or "write" for a successful I/O event with data
// and its byte count.
func (c *viewCollector) ioKind(e *replay.Event) (string, int64, bool) {
	if e.Ev.Info() == nil || e.Ev.Info().Dir != 'X' || e.FD == nil {
		return "", 0, false
	}
	p := c.act.p
	n, ok := p.rawres.Int(e)
	if !ok || n <= 0 {
		return "", 0, false
	}
	if r, _ := p.isRead.Text(e); r == "true" {
		return "read", n, true
	}
	if w, _ := p.isWrite.Text(e); w == "true" {
		return "write", n, true
	}
	return "", 0, false
}

// activityEvent feeds one in-scope event to an activity view; a is the
// event's classified action, if any.
func (c *viewCollector) activityEvent(e *replay.Event, a *action) {
	switch c.view {
	case ViewCommands:
		if a != nil && a.kind == "exec" {
			c.command(e, a)
		}
	case ViewPrivilege:
		if a != nil && (a.priv != "" || a.memfd) {
			c.privilege(e, a)
		}
	case ViewErrors:
		c.failure(e)
	case ViewFiles:
		if a != nil && len(a.paths) > 0 && a.kind != "exec" {
			c.fileOp(e, a)
			return
		}
		if kind, n, ok := c.ioKind(e); ok {
			if t, _ := c.fdType.Text(e); t == "f" {
				c.fileIO(e, kind, n)
			}
		}
	case ViewConnections:
		if a != nil && a.net != "" {
			c.connection(e, a.kind, 0)
			return
		}
		if kind, n, ok := c.ioKind(e); ok {
			if t, _ := c.fdType.Text(e); t == "4" || t == "6" {
				c.connection(e, kind, n)
			}
		}
	case ViewIO:
		if kind, n, ok := c.ioKind(e); ok {
			c.ioData(e, kind, n)
		}
	}
}

// entry returns the aggregate of e's process and obj, creating its
// finding; nil when the view is full.
func (c *viewCollector) entry(e *replay.Event, rule, obj string) *aggregate {
	l := e.Lineage()
	if l == nil {
		return nil
	}
	k := aggKey{keyOf(l), obj}
	if g, ok := c.act.aggs[k]; ok {
		return g
	}
	if len(c.act.aggs) >= MaxAggregates {
		c.act.full = true
		return nil
	}
	if !c.room() {
		return nil
	}
	d := c.detection(e, rule, "Informational")
	g := &aggregate{det: len(c.found), first: d.Time, obj: obj}
	c.found = append(c.found, d)
	c.act.aggs[k] = g
	return g
}

func evTime(e *replay.Event) time.Time { return time.Unix(0, int64(e.Ev.Ts())) }

// noiseRead reports a read of a shared library, locale or kernel pseudo
// file, which the files view leaves out (writes always count).
func noiseRead(path string) bool {
	return slices.ContainsFunc(treeNoiseDirs(), func(d string) bool { return path == d || strings.HasPrefix(path, d+"/") })
}

// fileOp records an open, rename, unlink, chmod ... of a file.
func (c *viewCollector) fileOp(e *replay.Event, a *action) {
	if a.kind == "open-read" && noiseRead(a.paths[0]) {
		return
	}
	g := c.entry(e, "file", a.paths[0])
	if g == nil {
		return
	}
	g.last = evTime(e)
	g.count++
	kind := map[string]string{"open-read": "opened for reading", "open-write": "opened for writing", "rename": "renamed",
		"unlink": "deleted", "rmdir": "removed", "mkdir": "created", "chmod": "mode changed", "link": "linked",
		"symlink": "symlinked"}[a.kind]
	if a.kind == "chmod" {
		if m, ok := e.Param("mode"); ok {
			if v, ok := scap.Uint64(m); ok && v&0o111 != 0 {
				kind = "made executable"
			}
		}
	}
	if a.kind == "rename" && len(a.paths) > 1 {
		kind = "renamed to " + a.paths[len(a.paths)-1]
	}
	if kind != "" && !slices.Contains(g.kinds, kind) {
		g.kinds = append(g.kinds, kind)
	}
}

// fileIO counts a read or write on a file.
func (c *viewCollector) fileIO(e *replay.Event, kind string, n int64) {
	name := c.fdName.Value(e)
	if name == "" || kind == "read" && noiseRead(name) {
		return
	}
	g := c.entry(e, "file", name)
	if g == nil {
		return
	}
	g.last = evTime(e)
	g.count++
	if kind == "read" {
		g.reads++
		g.readBytes += uint64(n)
	} else {
		g.writes++
		g.writeBytes += uint64(n)
		if !slices.Contains(g.kinds, "written") {
			g.kinds = append(g.kinds, "written")
		}
	}
}

// connection records a connect, an accept or socket I/O.
func (c *viewCollector) connection(e *replay.Event, kind string, n int64) {
	name := c.fdName.Value(e)
	if name == "" {
		return
	}
	l4 := c.act.p.l4.Value(e)
	g := c.entry(e, "connection", strings.TrimSpace(l4+" "+name))
	if g == nil {
		return
	}
	g.last = evTime(e)
	g.count++
	switch kind {
	case "connect":
		g.outbound = true
	case "accept":
		g.inbound = true
	case "read":
		g.reads++
		g.readBytes += uint64(n)
	case "write":
		g.writes++
		g.writeBytes += uint64(n)
	}
	if !g.inbound && !g.outbound {
		if s, _ := c.act.p.isServer.Text(e); s == "true" {
			g.inbound = true
		} else if s == "false" {
			g.outbound = true
		}
	}
}

// failure counts a failed syscall.
func (c *viewCollector) failure(e *replay.Event) {
	info := e.Ev.Info()
	if info == nil || info.Dir != 'X' {
		return
	}
	res, ok := c.act.p.rawres.Int(e)
	if !ok || res >= 0 || res < -4095 || res == -115 && e.Ev.TypeName() == "connect" {
		return
	}
	errName := c.act.p.res.Value(e)
	g := c.entry(e, "error", e.Ev.TypeName()+" "+errName)
	if g == nil {
		return
	}
	g.last = evTime(e)
	g.count++
	if g.firstObject == "" {
		g.firstObject = c.fdName.Value(e)
		if g.firstObject == "" {
			g.firstObject = c.fsName.Value(e)
		}
	}
}

// command records an exec, as sysdig's spy_users shows it.
func (c *viewCollector) command(e *replay.Event, a *action) {
	if !c.room() {
		return
	}
	d := c.detection(e, "command", "Informational")
	p := &d.Process
	login := c.act.p.loginName.Value(e)
	if pv := d.Provenance; pv != nil && pv.LoginUser != "" {
		login = pv.LoginUser
	}
	parent := ""
	if pv := d.Provenance; pv != nil && len(pv.Chain) > 1 {
		parent = fmt.Sprintf("%s[%d]", pv.Chain[1].Name, pv.Chain[1].Pid)
	} else if pn := c.act.p.pname.Value(e); pn != "" {
		ppid, _ := c.act.p.ppid.Int(e)
		parent = fmt.Sprintf("%s[%d]", pn, ppid)
	}
	d.Output = fmt.Sprintf("%s[%d] ran %s (user=%s login=%s tty=%d container=%s parent=%s)", p.Name, p.Pid, p.Cmdline,
		p.User, orNA(login), p.Tty, d.Container.Label(), orNA(parent))
	d.OutputFields = map[string]any{"proc.cmdline": p.Cmdline, "proc.pid": p.Pid, "user.name": p.User, "user.loginname": login,
		"proc.tty": p.Tty, "container.name": d.Container.Label(), "proc.parent": parent}
	if a.memfd {
		d.Output += " from a memfd"
	}
	c.found = append(c.found, d)
}

// privilege records a privilege syscall or a memfd exec.
func (c *viewCollector) privilege(e *replay.Event, a *action) {
	if !c.room() {
		return
	}
	d := c.detection(e, "privilege", "Notice")
	p := &d.Process
	what := a.priv
	if a.memfd && what == "" {
		what = "memfd-exec " + p.Cmdline
	}
	res, _ := c.act.p.res.Text(e)
	d.Output = fmt.Sprintf("%s[%d] %s (user=%s container=%s)", p.Name, p.Pid, what, p.User, d.Container.Label())
	d.OutputFields = map[string]any{"evt.type": d.EventType, "privilege.kind": a.kind, "evt.args": what, "evt.res": res}
	c.found = append(c.found, d)
}

// ioData records the data of one read or write: on sockets, or on any fd
// of the process the scope names.
func (c *viewCollector) ioData(e *replay.Event, kind string, n int64) {
	typ, _ := c.fdType.Text(e)
	if typ != "4" && typ != "6" && !c.ioAllFDs {
		return
	}
	if c.act.ioCount >= MaxIOEvents {
		c.act.full = true
		return
	}
	if !c.room() {
		return
	}
	c.act.ioCount++
	data, _ := e.Param("data")
	d := c.detection(e, "io", "Informational")
	p := c.act.p
	name := c.fdName.Value(e)
	l4 := p.l4.Value(e)
	dir := "from"
	if kind == "write" {
		dir = "to"
	}
	// The writers escape control characters and invalid UTF-8.
	d.Output = fmt.Sprintf("%s[%d] %s %d B %s fd %d %s: %s", d.Process.Name, d.Process.Pid, kind, n, dir, e.FDNum,
		strings.TrimSpace(l4+" "+name), data)
	server, _ := p.isServer.Text(e)
	cport, _ := p.cport.Int(e)
	sport, _ := p.sport.Int(e)
	d.OutputFields = map[string]any{"evt.type": d.EventType, "io.direction": kind, "evt.rawres": n, "fd.num": e.FDNum,
		"fd.name": name, "fd.typechar": typ, "fd.l4proto": l4, "fd.cip": p.cip.Value(e), "fd.sip": p.sip.Value(e),
		"fd.cport": cport, "fd.sport": sport, "fd.is_server": server == "true", "evt.buffer": string(data)}
	c.found = append(c.found, d)
}

// finishActivity writes the aggregate findings' summaries and adds the
// truncation notice.
func (c *viewCollector) finishActivity() {
	for _, g := range c.act.aggs {
		d := &c.found[g.det]
		p := &d.Process
		who := fmt.Sprintf("%s[%d]", p.Name, p.Pid)
		switch d.Rule {
		case "file":
			obj := g.obj
			d.Files = []string{obj}
			d.Output = fmt.Sprintf("%s %s: read %s in %d read(s), wrote %s in %d write(s); %s (user=%s container=%s)",
				who, obj, size(g.readBytes), g.reads, size(g.writeBytes), g.writes, orNA(strings.Join(g.kinds, ", ")),
				p.User, d.Container.Label())
			d.OutputFields = map[string]any{"fd.name": obj, "bytes.read": g.readBytes, "bytes.written": g.writeBytes,
				"reads": g.reads, "writes": g.writes, "operations": g.count, "kinds": slices.Clone(g.kinds),
				"first": g.first, "last": g.last}
		case "connection":
			obj := g.obj
			dir := "outbound"
			switch {
			case g.inbound && g.outbound:
				dir = "both ways"
			case g.inbound:
				dir = "inbound"
			case !g.outbound:
				dir = "unknown direction"
			}
			d.Network = []string{obj}
			d.Output = fmt.Sprintf("%s %s %s: sent %s in %d write(s), received %s in %d read(s) (user=%s container=%s)",
				who, dir, obj, size(g.writeBytes), g.writes, size(g.readBytes), g.reads, p.User, d.Container.Label())
			d.OutputFields = map[string]any{"connection": obj, "direction": dir, "bytes.sent": g.writeBytes,
				"bytes.received": g.readBytes, "writes": g.writes, "reads": g.reads, "first": g.first, "last": g.last}
		case "error":
			obj := g.obj
			call, errName, _ := strings.Cut(obj, " ")
			first := ""
			if g.firstObject != "" {
				first = " (first on " + g.firstObject + ")"
			}
			d.Output = fmt.Sprintf("%s %s failed with %s %d time(s)%s (user=%s container=%s)", who, call, errName, g.count,
				first, p.User, d.Container.Label())
			d.OutputFields = map[string]any{"evt.type": call, "evt.res": errName, "count": g.count, "first": g.first, "last": g.last}
		}
	}
	if c.act.full {
		var d report.Detection
		if n := len(c.found); n > 0 {
			d.Time = c.found[n-1].Time
		}
		d.Rule, d.Priority, d.Source, d.Capture = "truncated", "Informational", "syscall", c.capture
		d.Output = fmt.Sprintf("view %s reached its bound (%d aggregates, %d I/O events); later activity is not shown",
			c.view, MaxAggregates, MaxIOEvents)
		c.found = append(c.found, d)
	}
}

// rankOf is the value a ranked view sorts by, largest first.
func rankOf(d *report.Detection) uint64 {
	var r uint64
	for _, k := range []string{"bytes.read", "bytes.written", "bytes.sent", "bytes.received", "count"} {
		if v, ok := d.OutputFields[k].(uint64); ok {
			r += v
		}
	}
	return r
}

// size prints a byte count: "512 B", "2.0 KiB", "3.1 MiB".
func size(n uint64) string {
	switch {
	case n < 1024:
		return strconv.FormatUint(n, 10) + " B"
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

func orNA(s string) string {
	if s == "" {
		return "<NA>"
	}
	return s
}
