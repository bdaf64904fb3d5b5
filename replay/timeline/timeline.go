package timeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/engine"
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
	return []string{ViewShells, ViewSensitiveReads, ViewBinaryWrites, ViewTree}
}

// shellNames are the process names the shells view reports.
func shellNames() []string {
	return []string{"sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "pdksh", "tcsh", "csh", "fish", "busybox", "rbash", "yash"}
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
}

// Run replays the captures at paths, at most Options.Workers at once, and
// returns the view over all of them: findings in time order, or the
// process trees. Errors of single captures do not stop the others; they
// are joined in the returned error, beside the report of what was read.
func Run(ctx context.Context, paths []string, opts Options) (*report.Report, error) {
	if opts.View == "" {
		opts.View = ViewTree
	}
	if !slices.Contains(Views(), opts.View) {
		return nil, fmt.Errorf("timeline: unknown view %q (want one of %s)", opts.View, strings.Join(Views(), ", "))
	}
	reg := opts.Registry
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	results := make([]captureResult, len(paths))
	detect.ForEach(len(paths), detect.Workers(len(paths), opts.Workers), func(_, i int) {
		results[i] = capture(ctx, &opts, reg, paths[i])
	})
	rep := &report.Report{Title: "retrace timeline: " + opts.View, View: opts.View}
	var errs []error
	for _, r := range results {
		rep.Captures = append(rep.Captures, r.info)
		rep.Detections = append(rep.Detections, r.detections...)
		rep.Tree = append(rep.Tree, r.tree...)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	slices.SortStableFunc(rep.Detections, func(a, b report.Detection) int { return a.Time.Compare(b.Time) })
	return rep, errors.Join(errs...)
}

// captureResult is what one capture contributed.
type captureResult struct {
	info       report.CaptureInfo
	detections []report.Detection
	tree       []report.ProcessNode
	err        error
}

// capture replays one capture through the view's collector.
func capture(ctx context.Context, opts *Options, reg engine.Registry, path string) captureResult {
	spec := opts.Scope
	rootPid, treePid := spec.Pid, opts.View == ViewTree && spec.HasPid
	if treePid {
		spec.HasPid = false // the tree keeps the process's descendants too
	}
	sc := spec.Filter(reg, path)
	col := newViewCollector(opts, reg, path)
	col.treePid, col.rootPid = treePid, rootPid
	info, err := detect.ReplayCapture(ctx, path, opts.Progress, func(report.CaptureInfo) replay.Handler {
		return sc.Wrap(func(e *replay.Event) error {
			col.event(e)
			return nil
		})
	})
	info.Notes = append(info.Notes, sc.Notes()...)
	col.host = info.Hostname
	res := captureResult{info: info, err: err}
	res.detections, res.tree = col.finish()
	return res
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
	sensitive, dirs      []string

	// shells view
	shells   map[int64]int // live shell pid -> index in found
	found    []report.Detection
	shellSet map[string]bool

	// tree view
	nodes   map[int64]*treeNode // live processes by pid
	roots   []*treeNode
	treePid bool
	rootPid int64
}

// treeNode is a process of the tree view while it is being built.
type treeNode struct {
	node     report.ProcessNode
	children []*treeNode
	included bool
	dropped  int
}

func newViewCollector(opts *Options, reg engine.Registry, path string) *viewCollector {
	c := &viewCollector{
		view: opts.View, capture: path, desc: detect.NewDescriber(reg),
		res: detect.NewProbe(reg, "evt.rawres"), fsOps: fsOpKinds(),
		ppid: detect.NewProbe(reg, "proc.ppid"), pname: detect.NewProbe(reg, "proc.pname"), pcmd: detect.NewProbe(reg, "proc.pcmdline"),
		openRead: detect.NewProbe(reg, "evt.is_open_read"), openWrite: detect.NewProbe(reg, "evt.is_open_write"),
		fdName: detect.NewProbe(reg, "fd.name"), fdType: detect.NewProbe(reg, "fd.typechar"),
		fsName: detect.NewProbe(reg, "fs.path.name"), fsSrc: detect.NewProbe(reg, "fs.path.source"), fsDst: detect.NewProbe(reg, "fs.path.target"),
		shells: map[int64]int{}, shellSet: map[string]bool{}, nodes: map[int64]*treeNode{},
	}
	for _, s := range shellNames() {
		c.shellSet[s] = true
	}
	switch opts.View {
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
	kind  string   // exec, open-read, open-write, connect, accept, rename, unlink, chmod, mkdir, rmdir, link, symlink, exit
	paths []string // files involved
	net   string   // network endpoint, for connect and accept
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
		return action{kind: "exec"}, true
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

// event feeds one in-scope event to the view.
func (c *viewCollector) event(e *replay.Event) {
	a, ok := c.classify(e)
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

// seeShell tracks shells: a shell process found by any event of its own,
// or through a command it ran (then it predates the capture), and the
// commands each shell ran.
func (c *viewCollector) seeShell(e *replay.Event, a *action) {
	if e.Thread == nil {
		return
	}
	pid := e.Thread.Pid
	if a != nil && a.kind == "exit" {
		if e.Thread.IsMain() {
			delete(c.shells, pid)
		}
		return
	}
	if a != nil && a.kind == "exec" {
		delete(c.shells, pid) // the process is a new program now
		ppid, _ := c.ppid.Int(e)
		if i, ok := c.shellParent(e, ppid); ok {
			d := c.detection(e, "", "")
			child := d.Process
			child.Start = d.Time
			c.found[i].Children = append(c.found[i].Children, child)
		}
	}
	if _, ok := c.shells[pid]; ok || !c.shellSet[string(e.Thread.Comm())] {
		return
	}
	d := c.detection(e, "shell", "Notice")
	c.shells[pid] = len(c.found)
	c.found = append(c.found, d)
}

// shellParent returns the index of the shell entry for ppid, creating one
// from the parent fields of e when the shell predates the capture.
func (c *viewCollector) shellParent(e *replay.Event, ppid int64) (int, bool) {
	if i, ok := c.shells[ppid]; ok {
		return i, true
	}
	pname, _ := c.pname.Text(e)
	if ppid <= 0 || !c.shellSet[pname] {
		return 0, false
	}
	d := c.detection(e, "shell", "Notice")
	pcmd, _ := c.pcmd.Text(e)
	d.Process = report.Process{Pid: ppid, Name: pname, Cmdline: pcmd}
	if len(d.Ancestry) > 0 {
		d.Ancestry = d.Ancestry[1:]
	}
	d.Files, d.Network = nil, nil
	c.shells[ppid] = len(c.found)
	c.found = append(c.found, d)
	return c.shells[ppid], true
}

// treeEvent records a for e's process in the tree.
func (c *viewCollector) treeEvent(e *replay.Event, a action) {
	pid, ok := c.desc.Pid(e)
	if !ok {
		return
	}
	n := c.nodes[pid]
	if n == nil || (a.kind == "exec" && !n.node.Exit.IsZero()) {
		n = c.newNode(e, pid)
	}
	ts := time.Unix(0, int64(e.Ev.Ts()))
	if a.kind == "exit" {
		n.node.Exit = ts
		delete(c.nodes, pid)
		return
	}
	if a.kind == "exec" {
		d := c.detection(e, "", "")
		n.node.Process = d.Process
		n.node.Process.Start = ts
		n.node.Container = d.Container
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
	case len(a.paths) > 0:
		obj = strings.Join(a.paths, " -> ")
	}
	n.node.Activity = append(n.node.Activity, report.Activity{Time: ts, Kind: a.kind, Object: obj})
}

// newNode starts a tree node for pid, under its parent when the parent is
// known (a parent seen only through this event's parent fields gets a node
// of its own).
func (c *viewCollector) newNode(e *replay.Event, pid int64) *treeNode {
	d := c.detection(e, "", "")
	n := &treeNode{node: report.ProcessNode{Process: d.Process, Container: d.Container}}
	ppid, _ := c.ppid.Int(e)
	parent := c.nodes[ppid]
	if parent == nil && ppid > 0 && ppid != pid {
		pname, _ := c.pname.Text(e)
		pcmd, _ := c.pcmd.Text(e)
		parent = &treeNode{node: report.ProcessNode{Process: report.Process{Pid: ppid, Name: pname, Cmdline: pcmd}, Container: d.Container}}
		parent.included = !c.treePid || ppid == c.rootPid
		c.nodes[ppid] = parent
		c.roots = append(c.roots, parent)
	}
	n.included = !c.treePid || pid == c.rootPid || parent != nil && parent.included
	if parent != nil {
		parent.children = append(parent.children, n)
	} else {
		c.roots = append(c.roots, n)
	}
	c.nodes[pid] = n
	return n
}

// finish returns the view's findings, with shells' summaries written.
func (c *viewCollector) finish() ([]report.Detection, []report.ProcessNode) {
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
		if len(d.Ancestry) > 0 {
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
		if n.dropped > 0 {
			out.Activity = append(out.Activity, report.Activity{Kind: "truncated", Object: fmt.Sprintf("%d more events not shown", n.dropped)})
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
