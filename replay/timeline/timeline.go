package timeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// The views.
const (
	ViewShells         = "shells"
	ViewSensitiveReads = "sensitive-reads"
	ViewBinaryWrites   = "binary-writes"
	ViewTree           = "tree"
)

// Views returns the names of the views.
func Views() []string {
	return []string{ViewShells, ViewSensitiveReads, ViewBinaryWrites, ViewTree, ViewFiles, ViewConnections, ViewCommands,
		ViewIO, ViewErrors, ViewPrivilege}
}

// UnknownViewError is the error of a view name that is not one of [Views].
type UnknownViewError struct {
	Name string
}

func (e *UnknownViewError) Error() string {
	return fmt.Sprintf("unknown view %q%s; the views are %s", e.Name, suggest.DidYouMean(e.Name, Views()), strings.Join(Views(), ", "))
}

// sensitiveFiles are the upstream rules' sensitive_file_names plus other
// credential stores; sensitiveDirs hold only sensitive files.
func sensitiveFiles() []string {
	return []string{"/etc/shadow", "/etc/sudoers", "/etc/pam.conf", "/etc/security/pwquality.conf",
		"/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/master.passwd"}
}

func sensitiveDirs() []string { return []string{"/etc/sudoers.d", "/etc/pam.d"} }

// privateKeyNames are file names of SSH private keys, wherever they are.
func privateKeyNames() []string {
	return []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
}

// binaryDirs are the directories the binary-writes view watches.
func binaryDirs() []string {
	return []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/usr/libexec"}
}

// treeNoiseDirs are directories whose read-opens the tree view leaves out
// (shared libraries, locales, kernel pseudo files); writes always show.
func treeNoiseDirs() []string {
	return []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/share/locale", "/proc", "/sys", "/etc/ld.so.cache"}
}

// fsOpKinds maps the file-system syscalls the views report to their
// activity kind.
func fsOpKinds() map[string]string {
	return map[string]string{
		"rename": "rename", "renameat": "rename", "renameat2": "rename",
		"unlink": "unlink", "unlinkat": "unlink", "rmdir": "rmdir",
		"mkdir": "mkdir", "mkdirat": "mkdir",
		"chmod": "chmod", "fchmodat": "chmod", "fchmod": "chmod",
		"link": "link", "linkat": "link", "symlink": "symlink", "symlinkat": "symlink",
	}
}

// privilegeKinds maps the syscalls the privilege view and the tree report
// to their activity kind.
func privilegeKinds() map[string]string {
	return map[string]string{
		"setuid": "setuid", "setresuid": "setuid", "setreuid": "setuid", "setfsuid": "setuid",
		"setgid": "setgid", "setresgid": "setgid", "setregid": "setgid", "setfsgid": "setgid",
		"capset": "capset", "ptrace": "ptrace", "setns": "setns", "unshare": "unshare",
		"mount": "mount", "umount": "umount", "umount2": "umount", "bpf": "bpf",
		"init_module": "module-load", "finit_module": "module-load", "delete_module": "module-unload",
		"memfd_create": "memfd_create", "chroot": "chroot", "pivot_root": "pivot_root",
	}
}

// maxTreeActivity bounds the activity the tree view keeps per process.
const maxTreeActivity = 500

// Options configure [Run].
type Options struct {
	// View is the view to build (one of [Views]); empty means the tree.
	View string
	// Scope limits the events the view sees. With the tree view, Pid
	// keeps that process and its descendants.
	Scope detect.Scope
	// Paths add sensitive files or directories (sensitive-reads) or
	// binary directories (binary-writes).
	Paths []string
	// Registry resolves field names; nil means replay's registry.
	Registry engine.Registry
	// Workers bounds the captures replayed at once; 0: one per CPU.
	Workers int
	// Progress, when set, counts the bytes read.
	Progress *detect.Progress
	// MaxFindings bounds the findings each view keeps: the first ones in
	// the view's order over all captures (in each capture, for an
	// aggregate view, the first entries it aggregates, below
	// MaxAggregates). The report counts the others in Report.Left and
	// says in Report.Notes what it left out. 0 leaves only the views' own
	// bounds.
	MaxFindings int
}

// cleanPaths checks Options.Paths: absolute, and given to views of which
// one uses them; it drops trailing slashes.
func (o *Options) cleanPaths(views []string) error {
	if len(o.Paths) > 0 && !slices.Contains(views, ViewSensitiveReads) && !slices.Contains(views, ViewBinaryWrites) {
		return fmt.Errorf("--path applies to the %s and %s views", ViewSensitiveReads, ViewBinaryWrites)
	}
	paths := make([]string, len(o.Paths))
	for i, p := range o.Paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("parse --path %q: want an absolute path", p)
		}
		paths[i] = strings.TrimSuffix(p, "/")
	}
	o.Paths = paths
	return nil
}

// Run replays the captures at paths, at most Options.Workers at once, and
// returns the view over all of them: findings in time order, or the
// process trees. Errors of single captures do not stop the others; they
// are joined in the returned error, beside the report of what was read.
func Run(ctx context.Context, paths []string, opts Options) (*report.Report, error) {
	if opts.View == "" {
		opts.View = ViewTree
	}
	reps, err := RunViews(ctx, paths, []string{opts.View}, opts)
	if reps == nil {
		return nil, err
	}
	return reps[0], err
}

// ReportViews are the activity views an HTML report has tabs for by
// default (the story's process tree comes with the drill-down).
func ReportViews() []string {
	return []string{ViewCommands, ViewShells, ViewFiles, ViewConnections, ViewIO,
		ViewPrivilege, ViewSensitiveReads, ViewBinaryWrites, ViewErrors}
}

// ParseReportViews checks the views named for an HTML report's tabs
// (retrace replay --views): known views other than the tree, or "none".
func ParseReportViews(names []string) ([]string, error) {
	if len(names) == 1 && names[0] == "none" {
		return nil, nil
	}
	for _, v := range names {
		if v == ViewTree {
			return nil, fmt.Errorf("--views: the process tree is the report's own tab (it comes with the drill-down); the views are %s", strings.Join(ReportViews(), ", "))
		}
		if !slices.Contains(Views(), v) {
			return nil, fmt.Errorf("--views: %w", &UnknownViewError{Name: v})
		}
	}
	return names, nil
}

// AddViews runs views over the captures at paths ([RunViews]: one more
// pass) and adds their findings to rep, a replay's report, for the HTML
// report's tabs: what the tabs show of them ([report.TabRow]), with the
// count of those Options.MaxFindings left out and notes saying so.
func AddViews(ctx context.Context, rep *report.Report, paths, views []string, opts Options) error {
	reps, err := runViews(ctx, paths, views, opts, report.TabRow)
	for i, r := range reps {
		rep.Views = append(rep.Views, report.ActivityView{Name: views[i], Findings: r.Detections, Left: r.Left.Count})
		rep.Notes = append(rep.Notes, r.Notes...)
	}
	if err != nil {
		return fmt.Errorf("activity views: %w", err)
	}
	return nil
}

// RunViews is [Run] for several views in one pass over each capture: every
// event feeds one collector per view. It returns one report per view, in
// the order of views (Options.View is ignored). A process scope
// (Scope.HasPid) keeps the tree view's descendants only when the tree is
// the one view asked for.
func RunViews(ctx context.Context, paths []string, views []string, opts Options) ([]*report.Report, error) {
	return runViews(ctx, paths, views, opts, nil)
}

// runViews is [RunViews] keeping row(finding) of each finding (nil: the
// whole finding).
func runViews(ctx context.Context, paths []string, views []string, opts Options, row func(*report.Detection) report.Detection) ([]*report.Report, error) {
	for _, v := range views {
		if !slices.Contains(Views(), v) {
			return nil, fmt.Errorf("timeline: %w", &UnknownViewError{Name: v})
		}
	}
	if err := opts.cleanPaths(views); err != nil {
		return nil, err
	}
	reg := opts.Registry
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	units := detect.Sets(paths) // a rotated set is one capture
	infos := make([]report.CaptureInfo, len(units))
	errs := make([]error, len(units))
	firsts := make([]*firstFindings, len(views))
	trees := make([][][]report.ProcessNode, len(views)) // by view, then capture
	for v, view := range views {
		firsts[v] = &firstFindings{view: view, max: opts.MaxFindings, row: row}
		if view == ViewTree {
			trees[v] = make([][]report.ProcessNode, len(units))
		}
	}
	// A capture's findings join the kept ones as soon as it is replayed,
	// so that they do not wait for the other captures.
	var mu sync.Mutex
	detect.ForEach(len(units), detect.Workers(len(units), opts.Workers), func(_, i int) {
		res := capture(ctx, &opts, reg, views, units[i])
		infos[i], errs[i] = res[0].info, res[0].err
		mu.Lock()
		defer mu.Unlock()
		for v, r := range res {
			firsts[v].add(i, r.detections, r.cut)
			if trees[v] != nil {
				trees[v][i] = r.tree
			}
		}
	})
	reps := make([]*report.Report, len(views))
	for v, view := range views {
		rep := &report.Report{Title: "retrace timeline: " + view, View: view, Captures: infos}
		firsts[v].finish(rep)
		for _, t := range trees[v] {
			rep.Tree = append(rep.Tree, t...)
		}
		reps[v] = rep
	}
	return reps, errors.Join(errs...)
}

// captureResult is what one capture contributed.
type captureResult struct {
	info       report.CaptureInfo
	detections []report.Detection
	tree       []report.ProcessNode
	// cut counts the events left out at Options.MaxFindings.
	cut int
	err error
}

// capture replays one capture (a file, or the files of a rotated set)
// through one collector per view and returns each view's part.
func capture(ctx context.Context, opts *Options, reg engine.Registry, views []string, files []string) []captureResult {
	path := files[0]
	spec := opts.Scope
	rootPid, treePid := spec.Pid, len(views) == 1 && views[0] == ViewTree && spec.HasPid
	if treePid {
		spec.HasPid = false // the tree keeps the process's descendants too
	}
	sc := spec.Filter(reg, files[len(files)-1]) // the end of a set is in its last file
	cols := make([]*viewCollector, len(views))
	for i, v := range views {
		o := *opts
		o.View = v
		col := newViewCollector(&o, reg, path)
		col.treePid, col.rootPid = treePid, rootPid
		col.ioAllFDs = opts.Scope.HasPid
		col.maxFound = opts.MaxFindings
		cols[i] = col
	}
	info, err := detect.ReplaySet(ctx, files, opts.Progress, opts.Scope.Clock, func(report.CaptureInfo) replay.Handler {
		return sc.Wrap(func(e *replay.Event) error {
			a, ok := cols[0].classify(e) // the same for every view
			for _, col := range cols {
				col.eventAs(e, a, ok)
			}
			return nil
		})
	})
	info.Notes = append(info.Notes, sc.Notes()...)
	out := make([]captureResult, len(views))
	for i, col := range cols {
		col.host = info.Hostname
		out[i] = captureResult{info: info, err: err}
		out[i].detections, out[i].tree = col.finish()
		out[i].cut = col.cut
	}
	return out
}

// viewCollector turns events into one view's findings.
type viewCollector struct {
	view, capture, host  string
	desc                 *detect.Describer
	res                  *detect.Probe
	fsOps                map[string]string
	ppid, pname, pcmd    *detect.Probe
	openRead, openWrite  *detect.Probe
	fdName, fdType       *detect.Probe
	fsName, fsSrc, fsDst *detect.Probe
	evtArgs, memfdExec   *detect.Probe
	privOps              map[string]string
	sensitive, dirs      []string

	found []report.Detection
	// maxFound bounds found (0: no bound); cut counts the findings left
	// out once it was reached.
	maxFound, cut int

	// shells view: the finding of each shell image
	shells map[*replay.Lineage]int

	// activity views
	act      *activity
	ioAllFDs bool // io: every fd, not only sockets

	// tree view
	nodes      map[procKey]*treeNode // processes by identity
	roots      []*treeNode
	containers map[string]report.Container // containers seen, by id
	treePid    bool
	rootPid    int64
}

// procKey identifies a process across its execs: pid and start.
type procKey struct {
	pid   int64
	start uint64
}

func keyOf(l *replay.Lineage) procKey { return procKey{l.Pid, l.ProcessStart} }

// treeNode is a process of the tree view while it is being built.
type treeNode struct {
	node     report.ProcessNode
	children []*treeNode
	included bool
	dropped  int
	pins     []int // detections pinned on it (the story's tree)
}

func newViewCollector(opts *Options, reg engine.Registry, path string) *viewCollector {
	c := &viewCollector{
		view: opts.View, capture: path, desc: detect.NewDescriber(reg),
		res: detect.NewProbe(reg, "evt.rawres"), fsOps: fsOpKinds(),
		ppid: detect.NewProbe(reg, "proc.ppid"), pname: detect.NewProbe(reg, "proc.pname"), pcmd: detect.NewProbe(reg, "proc.pcmdline"),
		openRead: detect.NewProbe(reg, "evt.is_open_read"), openWrite: detect.NewProbe(reg, "evt.is_open_write"),
		fdName: detect.NewProbe(reg, "fd.name"), fdType: detect.NewProbe(reg, "fd.typechar"),
		fsName: detect.NewProbe(reg, "fs.path.name"), fsSrc: detect.NewProbe(reg, "fs.path.source"), fsDst: detect.NewProbe(reg, "fs.path.target"),
		evtArgs: detect.NewProbe(reg, "evt.args"), memfdExec: detect.NewProbe(reg, "proc.is_exe_from_memfd"), privOps: privilegeKinds(),
		shells: map[*replay.Lineage]int{}, nodes: map[procKey]*treeNode{}, containers: map[string]report.Container{},
	}
	switch opts.View {
	case ViewFiles, ViewConnections, ViewCommands, ViewIO, ViewErrors, ViewPrivilege:
		c.act = &activity{p: newActivityProbes(reg), aggs: map[aggKey]*aggregate{}}
	case ViewSensitiveReads:
		c.sensitive = append(sensitiveFiles(), opts.Paths...)
		c.dirs = append(sensitiveDirs(), opts.Paths...)
	case ViewBinaryWrites:
		c.dirs = append(binaryDirs(), opts.Paths...)
	}
	return c
}

// action is what an event did, as the views classify it.
type action struct {
	kind  string   // exec, open-read, open-write, connect, accept, rename, unlink, chmod, mkdir, rmdir, link, symlink, exit, or a privilege kind
	paths []string // files involved
	net   string   // network endpoint, for connect and accept
	priv  string   // a privilege syscall's arguments
	memfd bool     // an exec of a memfd_create file
}

// classify returns the event's action; ok is false for events no view uses
// (enter events, failures, everything else).
func (c *viewCollector) classify(e *replay.Event) (action, bool) {
	info := e.Ev.Info()
	if info == nil {
		return action{}, false
	}
	typ := e.Ev.TypeName()
	if typ == "procexit" {
		return action{kind: "exit"}, true
	}
	if info.Dir != 'X' {
		return action{}, false
	}
	if kind, ok := c.privOps[typ]; ok {
		// Privilege syscalls count whether they succeeded or not.
		args, _ := c.evtArgs.Text(e)
		return action{kind: kind, priv: typ + " " + args}, true
	}
	switch typ {
	case "execve", "execveat", "open", "openat", "openat2", "creat", "connect", "accept", "accept4":
	default:
		if _, ok := c.fsOps[typ]; !ok {
			return action{}, false
		}
	}
	res, _ := c.res.Int(e)
	ok := res >= 0 || typ == "connect" && res == -115 // EINPROGRESS: a non-blocking connect
	if !ok {
		return action{}, false
	}
	switch typ {
	case "execve", "execveat":
		m, _ := c.memfdExec.Text(e)
		return action{kind: "exec", memfd: m == "true"}, true
	case "open", "openat", "openat2", "creat":
		name := c.fdName.Value(e)
		if name == "" {
			name = c.fsName.Value(e)
		}
		if name == "" {
			return action{}, false
		}
		if w, _ := c.openWrite.Text(e); w == "true" || typ == "creat" {
			return action{kind: "open-write", paths: []string{name}}, true
		}
		if r, _ := c.openRead.Text(e); r == "true" {
			return action{kind: "open-read", paths: []string{name}}, true
		}
		return action{}, false
	case "connect", "accept", "accept4":
		name := c.fdName.Value(e)
		if name == "" {
			return action{}, false
		}
		kind := "connect"
		if typ != "connect" {
			kind = "accept"
		}
		return action{kind: kind, net: name}, true
	}
	a := action{kind: c.fsOps[typ]}
	for _, p := range []*detect.Probe{c.fsName, c.fsSrc, c.fsDst} {
		if s := p.Value(e); s != "" {
			a.paths = append(a.paths, s)
		}
	}
	if len(a.paths) == 0 {
		return action{}, false
	}
	return a, true
}

// eventAs feeds one in-scope event, classified as a (ok false: no view
// uses it), to the view. Views that share a pass share the classification;
// no view changes a.
func (c *viewCollector) eventAs(e *replay.Event, a action, ok bool) {
	if c.act != nil {
		if ok {
			c.activityEvent(e, &a)
		} else {
			c.activityEvent(e, nil)
		}
		return
	}
	if !ok {
		if c.view == ViewShells {
			c.seeShell(e, nil)
		}
		return
	}
	switch c.view {
	case ViewShells:
		c.seeShell(e, &a)
	case ViewSensitiveReads:
		if a.kind == "open-read" && c.isSensitive(a.paths[0]) {
			c.add(e, "sensitive-read", "Warning", a)
		}
	case ViewBinaryWrites:
		if a.kind != "open-read" && a.kind != "exec" && a.kind != "exit" && a.net == "" && slices.ContainsFunc(a.paths, c.inDirs) {
			c.add(e, "binary-write", "Warning", a)
		}
	case ViewTree:
		c.treeEvent(e, a)
	}
}

func (c *viewCollector) isSensitive(name string) bool {
	if slices.Contains(c.sensitive, name) || c.inDirs(name) {
		return true
	}
	base := name[strings.LastIndexByte(name, '/')+1:]
	return slices.Contains(privateKeyNames(), base) || strings.Contains(name, "/.ssh/") && !strings.HasSuffix(name, ".pub") &&
		base != "known_hosts" && base != "config" && base != "authorized_keys"
}

// inDirs reports whether path is one of c.dirs or below one.
func (c *viewCollector) inDirs(path string) bool {
	for _, d := range c.dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// detection builds a finding for e with its process context.
func (c *viewCollector) detection(e *replay.Event, rule, priority string) report.Detection {
	d := c.desc.Describe(e, rule, priority, c.capture)
	d.Process.Start = processStart(e)
	return d
}

// add records a file finding.
func (c *viewCollector) add(e *replay.Event, rule, priority string, a action) {
	if !c.room() {
		return
	}
	d := c.detection(e, rule, priority)
	d.Files = a.paths
	verb := map[string]string{"open-read": "read", "open-write": "opened for writing", "rename": "renamed",
		"unlink": "deleted", "rmdir": "removed", "mkdir": "created directory", "chmod": "changed the mode of",
		"link": "linked", "symlink": "symlinked"}[a.kind]
	d.Output = fmt.Sprintf("%s[%d] %s %s (user=%s command=%s container=%s)", d.Process.Name, d.Process.Pid, verb,
		strings.Join(a.paths, " -> "), d.Process.User, d.Process.Cmdline, d.Container.Label())
	c.found = append(c.found, d)
}

// processStart returns when e's process started, zero when unknown.
func processStart(e *replay.Event) time.Time {
	if e.Thread != nil {
		if ts := e.Thread.CloneTs; ts != 0 {
			return time.Unix(0, int64(ts))
		}
	}
	return time.Time{}
}

// seeShell tracks shells: a process image that is a shell (it exec'd one,
// by executable or argv[0], or ran one when the capture started; a fork of
// a shell is not a new shell), and the commands each ran: the execs of its
// children and of its subshells' children.
func (c *viewCollector) seeShell(e *replay.Event, a *action) {
	if e.Thread == nil {
		return
	}
	l := e.Lineage()
	if l == nil {
		return
	}
	if a != nil && a.kind == "exec" {
		if i, ok := c.shellOf(e, l.Parent); ok {
			d := c.detection(e, "", "")
			child := d.Process
			child.Start = d.Time
			c.found[i].Children = append(c.found[i].Children, child)
		}
	}
	if l.Origin == replay.OriginFork || !l.IsShell() {
		return
	}
	if _, ok := c.shells[l]; ok {
		return
	}
	if l.Prev != nil {
		// A shell that exec'd another shell (bash -c 'exec bash -i') is
		// one shell started; the exec'd one is a command it ran.
		if i, ok := c.shells[l.Prev]; ok {
			c.shells[l] = i
			d := c.detection(e, "", "")
			d.Process.Start = d.Time
			c.found[i].Children = append(c.found[i].Children, d.Process)
			return
		}
	}
	if !c.room() {
		return
	}
	d := c.detection(e, "shell", "Notice")
	if l.Origin == replay.OriginExec {
		d.Time = time.Unix(0, int64(l.Start))
	}
	c.shells[l] = len(c.found)
	c.found = append(c.found, d)
}

// shellOf returns the finding of the shell l belongs to: l itself, or the
// shell a chain of forks of it (subshells) started from. A shell known only
// as an ancestor (it ran before the capture started) gets its finding here.
func (c *viewCollector) shellOf(e *replay.Event, l *replay.Lineage) (int, bool) {
	for ; l != nil && l.Origin == replay.OriginFork && l.IsShell(); l = l.Parent {
	}
	if l == nil || !l.IsShell() {
		return 0, false
	}
	if i, ok := c.shells[l]; ok {
		return i, true
	}
	if !c.room() {
		return 0, false
	}
	d := c.detection(e, "shell", "Notice")
	d.Process = c.lineageProcess(e, l)
	d.Container = c.containerOf(l.ContainerID)
	d.Ancestry = nil
	for _, a := range l.Chain(detect.MaxAncestry + 1)[1:] {
		d.Ancestry = append(d.Ancestry, c.lineageProcess(e, a))
	}
	d.Files, d.Network = nil, nil
	c.shells[l] = len(c.found)
	c.found = append(c.found, d)
	return c.shells[l], true
}

// room reports whether the view may keep another finding, counting the
// ones it leaves out once it is full.
func (c *viewCollector) room() bool {
	if c.maxFound > 0 && len(c.found) >= c.maxFound {
		c.cut++
		return false
	}
	return true
}

// lineageProcess describes the process image l.
func (c *viewCollector) lineageProcess(e *replay.Event, l *replay.Lineage) report.Process {
	p := report.Process{Pid: l.Pid, Name: l.Comm, Exe: l.ExePath, Cmdline: l.Cmdline, Tty: int64(l.Tty)}
	if l.Start != 0 {
		p.Start = time.Unix(0, int64(l.Start))
	}
	p.User = strconv.FormatUint(uint64(l.UID), 10)
	if u, ok := e.State().Users.User(l.UID); ok && u.Name != "" {
		p.User = u.Name
	}
	return p
}

// containerOf returns the container with this id as the views saw it.
func (c *viewCollector) containerOf(id string) report.Container {
	if id == "" {
		return report.Container{ID: "host"}
	}
	if k, ok := c.containers[id]; ok {
		return k
	}
	return report.Container{ID: id}
}

// fileOf returns the file that holds e: of a rotated set, the member file
// (e.Frame counts in it); the capture when e was not read from a file.
func (c *viewCollector) fileOf(e *replay.Event) string {
	if e.Capture != "" {
		return e.Capture
	}
	return c.capture
}

// treeEvent records a for e's process in the tree.
func (c *viewCollector) treeEvent(e *replay.Event, a action) {
	l := e.Lineage()
	if l == nil {
		return
	}
	n := c.node(e, l)
	ts := time.Unix(0, int64(e.Ev.Ts()))
	if a.kind == "exit" {
		if e.Thread.IsMain() {
			n.node.Exit, n.node.ExitNum, n.node.ExitFrame, n.node.ExitCapture = ts, e.Num, e.Frame, c.fileOf(e)
		}
		return
	}
	if a.kind == "exec" {
		d := c.detection(e, "", "")
		n.node.Process = d.Process
		n.node.Process.Start = ts
		n.node.Container = d.Container
		n.node.EventNum, n.node.Frame, n.node.Capture = e.Num, e.Frame, c.fileOf(e)
		c.containers[l.ContainerID] = d.Container
	}
	if a.kind == "open-read" && slices.ContainsFunc(treeNoiseDirs(), func(d string) bool {
		return a.paths[0] == d || strings.HasPrefix(a.paths[0], d+"/")
	}) {
		return
	}
	if len(n.node.Activity) >= maxTreeActivity {
		n.dropped++
		return
	}
	obj := a.net
	switch {
	case a.kind == "exec":
		obj = n.node.Process.Cmdline
	case a.priv != "":
		obj = a.priv
	case len(a.paths) > 0:
		obj = strings.Join(a.paths, " -> ")
	}
	file := c.fileOf(e)
	n.node.Activity = append(n.node.Activity, report.Activity{Time: ts, Kind: a.kind, Object: obj, EventNum: e.Num, Frame: e.Frame, Capture: file})
	if a.memfd {
		n.node.Activity = append(n.node.Activity, report.Activity{Time: ts, Kind: "memfd-exec", Object: obj, EventNum: e.Num, Frame: e.Frame, Capture: file})
	}
}

// node returns the tree node of l's process, creating it, and the nodes of
// its ancestors, from the lineage records: a process sits under the
// process that forked it, even when that one exited long before.
func (c *viewCollector) node(e *replay.Event, l *replay.Lineage) *treeNode {
	k := keyOf(l)
	if n, ok := c.nodes[k]; ok {
		if n.node.EventNum == 0 {
			c.describe(n, e, l) // known so far as a creator only
		}
		return n
	}
	var parent *treeNode
	if l.Parent != nil {
		parent = c.node(e, l.Parent)
	}
	n := &treeNode{node: report.ProcessNode{Process: c.lineageProcess(e, l), Container: c.containerOf(l.ContainerID), Capture: c.capture,
		Frame: -1, ExitFrame: -1}}
	c.describe(n, e, l)
	if l.Exit != 0 {
		n.node.Exit = time.Unix(0, int64(l.Exit))
	}
	n.included = !c.treePid || l.Pid == c.rootPid || parent != nil && parent.included
	if parent != nil {
		parent.children = append(parent.children, n)
	} else {
		c.roots = append(c.roots, n)
	}
	c.nodes[k] = n
	return n
}

// describe describes n's process as of e, when e is an event of the
// process l (not of a descendant), and records e as the event it
// describes.
func (c *viewCollector) describe(n *treeNode, e *replay.Event, l *replay.Lineage) {
	if e.Thread == nil || e.Lineage() != l {
		return
	}
	d := c.detection(e, "", "")
	n.node.EventNum, n.node.Frame, n.node.Capture = e.Num, e.Frame, c.fileOf(e)
	n.node.Process, n.node.Container = d.Process, d.Container
	n.node.Login = d.Provenance.Login()
	n.node.Process.Start = time.Unix(0, int64(l.Start))
	if l.Start == 0 {
		n.node.Process.Start = time.Time{}
	}
	c.containers[l.ContainerID] = d.Container
}

// finish returns the view's findings, with shells' summaries written.
func (c *viewCollector) finish() ([]report.Detection, []report.ProcessNode) {
	if c.act != nil {
		c.finishActivity()
	}
	for i := range c.found {
		d := &c.found[i]
		d.Hostname = c.host
		if d.Rule != "shell" {
			continue
		}
		p := d.Process
		tty := "no terminal"
		if p.Tty != 0 {
			tty = "tty " + strconv.FormatInt(p.Tty, 10)
		}
		parent := "unknown parent"
		if pv := d.Provenance; pv != nil && len(pv.Chain) > 1 {
			parent = "parent " + pv.Chain[1].Name
		} else if len(d.Ancestry) > 0 {
			parent = "parent " + d.Ancestry[0].Name
		}
		d.Output = fmt.Sprintf("shell %s[%d] (%s, user=%s, %s, container=%s) ran %d command(s): %s", p.Name, p.Pid, tty,
			p.User, parent, d.Container.Label(), len(d.Children), p.Cmdline)
	}
	if c.view != ViewTree {
		return c.found, nil
	}
	var convert func(n *treeNode) []report.ProcessNode
	convert = func(n *treeNode) []report.ProcessNode {
		var kids []report.ProcessNode
		for _, k := range n.children {
			kids = append(kids, convert(k)...)
		}
		if !n.included {
			return kids // an excluded process passes its included descendants up
		}
		out := n.node
		out.Host, out.Pins = c.host, n.pins
		// An activity or exit names its file only when it is not the
		// node's (another file of a rotated set).
		for i := range out.Activity {
			if out.Activity[i].Capture == out.Capture {
				out.Activity[i].Capture = ""
			}
		}
		if out.ExitCapture == out.Capture {
			out.ExitCapture = ""
		}
		if n.dropped > 0 {
			out.Activity = append(out.Activity, report.Activity{Kind: "truncated", Object: fmt.Sprintf("%d more events not shown", n.dropped), Frame: -1})
		}
		out.Children = kids
		return []report.ProcessNode{out}
	}
	var roots []report.ProcessNode
	for _, r := range c.roots {
		roots = append(roots, convert(r)...)
	}
	return nil, roots
}
