package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// walkTree calls fn for every node of roots in pre-order (parents before
// children), with the node's depth and its ancestors, root first. The
// recursion depth is bounded by the tree's depth, which the replay builds
// from real process lineage.
func walkTree(roots []ProcessNode, fn func(n *ProcessNode, depth int, path []*ProcessNode) error) error {
	var walk func(nodes []ProcessNode, path []*ProcessNode) error
	walk = func(nodes []ProcessNode, path []*ProcessNode) error {
		for i := range nodes {
			n := &nodes[i]
			if err := fn(n, len(path), path); err != nil {
				return err
			}
			if err := walk(n.Children, append(path, n)); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(roots, nil)
}

// writeTreeText prints the tree indented two spaces per level: one line per
// process, then one line per activity, escaped like Falco's alert lines.
func writeTreeText(w io.Writer, roots []ProcessNode, opts Options) error {
	var line []byte
	return walkTree(roots, func(n *ProcessNode, depth int, _ []*ProcessNode) error {
		indent := strings.Repeat("  ", depth)
		line = append(line[:0], indent...)
		line = appendProcessSummary(line, n)
		line = append(line, '\n')
		for _, a := range n.Activity {
			line = append(line, indent...)
			line = append(line, "  - "...)
			line = appendEventTime(line, a.Time, opts)
			line = append(line, ' ')
			line = appendEscaped(line, a.Kind)
			line = append(line, ' ')
			line = appendEscaped(line, a.Object)
			line = append(line, '\n')
		}
		if !n.Exit.IsZero() {
			line = append(line, indent...)
			line = append(line, "  - "...)
			line = appendEventTime(line, n.Exit, opts)
			line = append(line, " exit\n"...)
		}
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write text: %w", err)
		}
		return nil
	})
}

// appendProcessSummary appends "name[pid] user=u tty=t container=c: cmdline".
func appendProcessSummary(dst []byte, n *ProcessNode) []byte {
	p := &n.Process
	dst = appendEscaped(dst, procName(*p))
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, p.Pid, 10)
	dst = append(dst, ']')
	if p.User != "" {
		dst = append(dst, " user="...)
		dst = appendEscaped(dst, p.User)
	}
	if p.Tty != 0 {
		dst = append(dst, " tty="...)
		dst = strconv.AppendInt(dst, p.Tty, 10)
	}
	if n.Login != "" {
		dst = append(dst, " ("...)
		dst = appendEscaped(dst, n.Login)
		dst = append(dst, ')')
	}
	if !n.Container.IsHost() {
		dst = append(dst, " container="...)
		dst = appendEscaped(dst, n.Container.Label())
	}
	if p.Cmdline != "" {
		dst = append(dst, ": "...)
		dst = appendEscaped(dst, p.Cmdline)
	}
	return dst
}

// writeTreeJSON writes one JSON object per process, parents before
// children, so that line-oriented tools can index the tree:
//
//	{"activity":[{"kind","object","time"}...],"cmdline","container":{"id","image","name"},
//	 "depth","exe","exit","login","name","path","pid","ppid","start","tty","user","view":"tree"}
//
// "path" is the process path from the root ("systemd > sshd > bash"),
// "ppid" the parent's pid (0 for a root), times are UTC like Falco's "time"
// key and a missing start or exit is null.
func writeTreeJSON(w io.Writer, roots []ProcessNode) error {
	var line []byte
	return walkTree(roots, func(n *ProcessNode, depth int, path []*ProcessNode) error {
		p := &n.Process
		line = append(line[:0], `{"activity":[`...)
		for i, a := range n.Activity {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, `{"kind":`...)
			line = appendValue(line, a.Kind)
			line = append(line, `,"object":`...)
			line = appendValue(line, a.Object)
			line = append(line, `,"time":`...)
			line = appendJSONTime(line, a.Time)
			line = append(line, '}')
		}
		line = append(line, `],"cmdline":`...)
		line = appendValue(line, p.Cmdline)
		line = append(line, `,"container":{"id":`...)
		id := n.Container.ID
		if n.Container.IsHost() {
			id = "host"
		}
		line = appendValue(line, id)
		line = append(line, `,"image":`...)
		line = appendValue(line, n.Container.Image)
		line = append(line, `,"name":`...)
		line = appendValue(line, n.Container.Name)
		line = append(line, `},"depth":`...)
		line = strconv.AppendInt(line, int64(depth), 10)
		line = append(line, `,"exe":`...)
		line = appendValue(line, p.Exe)
		line = append(line, `,"exit":`...)
		line = appendJSONTime(line, n.Exit)
		line = append(line, `,"login":`...)
		line = appendValue(line, n.Login)
		line = append(line, `,"name":`...)
		line = appendValue(line, p.Name)
		line = append(line, `,"path":"`...)
		for _, a := range path {
			line = appendEscaped(line, procName(a.Process))
			line = append(line, " > "...)
		}
		line = appendEscaped(line, procName(*p))
		line = append(line, `","pid":`...)
		line = strconv.AppendInt(line, p.Pid, 10)
		line = append(line, `,"ppid":`...)
		var ppid int64
		if len(path) > 0 {
			ppid = path[len(path)-1].Process.Pid
		}
		line = strconv.AppendInt(line, ppid, 10)
		line = append(line, `,"start":`...)
		line = appendJSONTime(line, p.Start)
		line = append(line, `,"tty":`...)
		line = strconv.AppendInt(line, p.Tty, 10)
		line = append(line, `,"user":`...)
		line = appendValue(line, p.User)
		line = append(line, `,"view":"tree"}`+"\n"...)
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		return nil
	})
}

// appendJSONTime appends t as a quoted UTC time with nine fractional digits,
// or null for the zero time.
func appendJSONTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	return append(dst, '"')
}

// writeTreeTable prints one row per process: start time, container, the
// process indented under its parent, user, and its activity one per line.
func writeTreeTable(w io.Writer, roots []ProcessNode, opts Options) error {
	loc := opts.zone()
	header := []string{"START", "CONTAINER", "PROCESS", "USER", "ACTIVITY"}
	var rows [][]string
	_ = walkTree(roots, func(n *ProcessNode, depth int, _ []*ProcessNode) error {
		start := ""
		if !n.Process.Start.IsZero() {
			start = n.Process.Start.In(loc).Format("2006-01-02 15:04:05.000000")
		}
		proc := strings.Repeat("  ", depth) + cleanCell(procName(n.Process)) + "[" + strconv.FormatInt(n.Process.Pid, 10) + "]"
		if n.Process.Cmdline != "" {
			proc += "\n" + strings.Repeat("  ", depth) + cleanCell(n.Process.Cmdline)
		}
		var acts []string
		for _, a := range n.Activity {
			acts = append(acts, a.Time.In(loc).Format("15:04:05.000000")+" "+cleanCell(a.Kind)+" "+cleanCell(a.Object))
		}
		if !n.Exit.IsZero() {
			acts = append(acts, n.Exit.In(loc).Format("15:04:05.000000")+" exit")
		}
		user := cleanCell(n.Process.User)
		if n.Login != "" {
			user += "\n" + cleanCell(n.Login)
		}
		rows = append(rows, []string{start, cleanCell(n.Container.Label()), proc, user, strings.Join(acts, "\n")})
		return nil
	})
	width := opts.Width
	if width <= 0 {
		width = defaultTableWidth
	}
	fitColumns(header, rows, width, []int{0, 1, 2, 1, 3}, nil)
	table := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	table.Header(header)
	if err := table.Bulk(rows); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}
