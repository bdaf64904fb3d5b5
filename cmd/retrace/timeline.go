package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// The views of `retrace timeline`.
const (
	viewShells         = "shells"
	viewSensitiveReads = "sensitive-reads"
	viewBinaryWrites   = "binary-writes"
	viewTree           = "tree"
)

func timelineViews() []string {
	return []string{viewShells, viewSensitiveReads, viewBinaryWrites, viewTree}
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

// timelineFlags are the command line of `retrace timeline`, as typed.
type timelineFlags struct {
	output, out, since, until, container, tz string
	pid                                      int64
	paths                                    []string
	quiet                                    bool
}

// timelineConfig is a validated timeline run.
type timelineConfig struct {
	files    []string
	view     string
	format   report.Format
	outPath  string
	scope    scopeSpec
	loc      *time.Location
	paths    []string
	progress bool
}

func newTimelineCmd() *cobra.Command {
	var f timelineFlags
	cmd := &cobra.Command{
		Use:   "timeline FILE... [shells|sensitive-reads|binary-writes|tree]",
		Short: "Show what processes did, without rules: shells, sensitive reads, binary writes, the process tree",
		Long: `timeline lists activity that matters in an investigation whether or not a
rule fired (rules get tuned, attackers evade them):

  shells           every shell process, in containers or not, with its terminal,
                   parent chain, user and the commands it ran
  sensitive-reads  every open for reading of a sensitive file (/etc/shadow, sudoers,
                   PAM configuration, SSH private keys; --path adds more)
  binary-writes    every write-open, rename, unlink, chmod, mkdir or link below a
                   binary directory (/bin, /sbin, /usr/bin, ...; --path adds more)
  tree             the process tree (default), with each process's execs, file
                   opens, renames and deletes, and network connections

Times print in UTC unless --tz says otherwise.`,
		Example: `  retrace timeline host.scap.zst shells
  retrace timeline host.scap.zst tree --pid 4242 -o html --out tree.html
  retrace timeline host.scap.zst sensitive-reads --path /srv/app/secrets.yaml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd, args)
			if err != nil {
				return withCode(exitUsage, err)
			}
			return runTimeline(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: text, json, table or html")
	fl.StringVar(&f.out, "out", "", "write the output to this file instead of stdout")
	fl.StringVar(&f.since, "since", "", "ignore events before this time (RFC 3339, or Unix seconds)")
	fl.StringVar(&f.until, "until", "", "ignore events after this time (RFC 3339, or Unix seconds)")
	fl.StringVar(&f.container, "container", "", "only the container with this id or name (\"host\" for the host)")
	fl.Int64Var(&f.pid, "pid", 0, "only this process (tree: and its descendants)")
	fl.StringVar(&f.tz, "tz", "", "print times in this zone (e.g. Europe/Paris, Local); default UTC")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar on stderr")
	fl.StringArrayVar(&f.paths, "path", nil, "sensitive-reads: another sensitive file or directory; binary-writes: another directory (repeatable)")
	return cmd
}

// config validates the flags. The last argument names the view when it is
// a view's name and not an existing file.
func (f *timelineFlags) config(cmd *cobra.Command, args []string) (*timelineConfig, error) {
	cfg := &timelineConfig{view: viewTree, outPath: f.out}
	if last := args[len(args)-1]; slices.Contains(timelineViews(), last) {
		if _, err := os.Stat(last); err != nil {
			cfg.view, args = last, args[:len(args)-1]
		}
	}
	if len(args) == 0 {
		return nil, errors.New("timeline: no capture file given")
	}
	files, err := expandCaptures(args)
	if err != nil {
		return nil, err
	}
	cfg.files = files
	if cfg.format, err = report.ParseFormat(f.output); err != nil {
		return nil, err
	}
	if cfg.loc, cfg.scope, err = parseScope(cmd, f.tz, f.since, f.until, f.container, f.pid); err != nil {
		return nil, err
	}
	for _, p := range f.paths {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("parse --path %q: want an absolute path", p)
		}
		cfg.paths = append(cfg.paths, strings.TrimSuffix(p, "/"))
	}
	cfg.progress = !f.quiet && isTerminal(cmd.ErrOrStderr())
	if len(cfg.paths) > 0 && cfg.view != viewSensitiveReads && cfg.view != viewBinaryWrites {
		return nil, fmt.Errorf("--path applies to the %s and %s views", viewSensitiveReads, viewBinaryWrites)
	}
	return cfg, nil
}

// runTimeline replays every capture (one worker per capture, up to the
// number of CPUs) and writes the merged view.
func runTimeline(ctx context.Context, cfg *timelineConfig, stdout, stderr io.Writer) error {
	reg := replay.NewFieldRegistry()
	prog, stopProgress := trackProgress(stderr, cfg.files, cfg.progress)
	results := make([]timelineResult, len(cfg.files))
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	var wg sync.WaitGroup
	for i, path := range cfg.files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = timelineCapture(ctx, cfg, reg, path, prog)
		}()
	}
	wg.Wait()
	stopProgress()

	rep := report.Report{Title: "retrace timeline: " + cfg.view, View: cfg.view}
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

	out := stdout
	var file *os.File
	if cfg.outPath != "" {
		f, err := os.Create(cfg.outPath)
		if err != nil {
			return withCode(exitFailure, fmt.Errorf("create output: %w", err))
		}
		file, out = f, f
	}
	opts := report.Options{TZ: cfg.loc, Width: terminalWidth(out)}
	bw := bufio.NewWriterSize(out, 64<<10)
	if err := report.Write(bw, &rep, cfg.format, opts); err != nil {
		errs = append(errs, err)
	} else if err := bw.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("write output: %w", err))
	}
	if file != nil {
		if err := file.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write output: %w", err))
		}
	}
	if len(errs) > 0 {
		return withCode(exitFailure, errors.Join(errs...))
	}
	return nil
}

// timelineResult is what one capture contributed.
type timelineResult struct {
	info       report.CaptureInfo
	detections []report.Detection
	tree       []report.ProcessNode
	err        error
}

// timelineCapture replays one capture through the view's collector.
func timelineCapture(ctx context.Context, cfg *timelineConfig, reg engine.Registry, path string, prog *progressCounter) timelineResult {
	res := timelineResult{info: report.CaptureInfo{File: path}}
	rd, err := capture.Open(path)
	if err != nil {
		res.err = fmt.Errorf("timeline %s: %w", path, err)
		return res
	}
	defer rd.Close()
	if m := rd.Header().Machine; m != nil {
		res.info.Hostname = m.Hostname
	}

	spec := cfg.scope
	rootPid, treePid := spec.pid, cfg.view == viewTree && spec.hasPid
	if treePid {
		spec.hasPid = false // the tree keeps the process's descendants too
	}
	sc := newScope(spec, reg)
	col := newViewCollector(cfg, reg, path)
	col.treePid, col.rootPid = treePid, rootPid

	err = replayTracked(ctx, rd, prog, &res.info, func(e *replay.Event) error {
		if e.StateOnly || !sc.in(e) {
			return nil
		}
		col.event(e)
		return nil
	})
	if err != nil {
		res.err = fmt.Errorf("timeline %s: %w", path, err)
	}
	col.host = res.info.Hostname
	res.detections, res.tree = col.finish()
	return res
}

// viewCollector turns events into one view's findings.
type viewCollector struct {
	view, capture, host  string
	ctx                  *contextProbes
	res                  *probe
	fsOps                map[string]string
	ppid, pname, pcmd    *probe
	openRead, openWrite  *probe
	fdName, fdType       *probe
	fsName, fsSrc, fsDst *probe
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

func newViewCollector(cfg *timelineConfig, reg engine.Registry, path string) *viewCollector {
	c := &viewCollector{
		view: cfg.view, capture: path, ctx: newContextProbes(reg),
		res: newProbe(reg, "evt.rawres"), fsOps: fsOpKinds(),
		ppid: newProbe(reg, "proc.ppid"), pname: newProbe(reg, "proc.pname"), pcmd: newProbe(reg, "proc.pcmdline"),
		openRead: newProbe(reg, "evt.is_open_read"), openWrite: newProbe(reg, "evt.is_open_write"),
		fdName: newProbe(reg, "fd.name"), fdType: newProbe(reg, "fd.typechar"),
		fsName: newProbe(reg, "fs.path.name"), fsSrc: newProbe(reg, "fs.path.source"), fsDst: newProbe(reg, "fs.path.target"),
		shells: map[int64]int{}, shellSet: map[string]bool{}, nodes: map[int64]*treeNode{},
	}
	for _, s := range shellNames() {
		c.shellSet[s] = true
	}
	switch cfg.view {
	case viewSensitiveReads:
		c.sensitive = append(sensitiveFiles(), cfg.paths...)
		c.dirs = append(sensitiveDirs(), cfg.paths...)
	case viewBinaryWrites:
		c.dirs = append(binaryDirs(), cfg.paths...)
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
	res, _ := c.res.int(e)
	ok := res >= 0 || typ == "connect" && res == -115 // EINPROGRESS: a non-blocking connect
	if !ok {
		return action{}, false
	}
	text := func(p *probe) string {
		s, ok := p.text(e)
		if !ok || s == engine.Missing {
			return ""
		}
		return s
	}
	switch typ {
	case "execve", "execveat":
		return action{kind: "exec"}, true
	case "open", "openat", "openat2", "creat":
		name := text(c.fdName)
		if name == "" {
			name = text(c.fsName)
		}
		if name == "" {
			return action{}, false
		}
		if w, _ := c.openWrite.text(e); w == "true" || typ == "creat" {
			return action{kind: "open-write", paths: []string{name}}, true
		}
		if r, _ := c.openRead.text(e); r == "true" {
			return action{kind: "open-read", paths: []string{name}}, true
		}
		return action{}, false
	case "connect", "accept", "accept4":
		name := text(c.fdName)
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
	for _, p := range []*probe{c.fsName, c.fsSrc, c.fsDst} {
		if s := text(p); s != "" {
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
		if c.view == viewShells {
			c.seeShell(e, nil)
		}
		return
	}
	switch c.view {
	case viewShells:
		c.seeShell(e, &a)
	case viewSensitiveReads:
		if a.kind == "open-read" && c.isSensitive(a.paths[0]) {
			c.add(e, "sensitive-read", "Warning", a)
		}
	case viewBinaryWrites:
		if a.kind != "open-read" && a.kind != "exec" && a.kind != "exit" && a.net == "" && slices.ContainsFunc(a.paths, c.inDirs) {
			c.add(e, "binary-write", "Warning", a)
		}
	case viewTree:
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
	d := report.Detection{
		Time: time.Unix(0, int64(e.Ev.Ts())), Rule: rule, Priority: priority, Source: "syscall",
		Capture: c.capture, EventNum: e.Num,
	}
	c.ctx.fill(&d, e)
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
		ppid, _ := c.ppid.int(e)
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
	pname, _ := c.pname.text(e)
	if ppid <= 0 || !c.shellSet[pname] {
		return 0, false
	}
	d := c.detection(e, "shell", "Notice")
	pcmd, _ := c.pcmd.text(e)
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
	pid, ok := c.ctx.self.pid.int(e)
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
	ppid, _ := c.ppid.int(e)
	parent := c.nodes[ppid]
	if parent == nil && ppid > 0 && ppid != pid {
		pname, _ := c.pname.text(e)
		pcmd, _ := c.pcmd.text(e)
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
	if c.view != viewTree {
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
