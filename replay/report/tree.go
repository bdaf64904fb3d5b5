package report

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
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
// Each run of roots from one capture opens with a header line, "process
// tree of web.scap.zst (host web-01):", after a blank line but for the
// first (a tree that names no host and no capture has none); a rotated
// set is one capture, named after its first file (sets maps its files to
// that one, see [captureSets]). Process lines name their host and the
// file and event they describe, activity and exit lines their event, and
// its file when it is another one of the set (see [Activity]):
//
//	bash[8101] user=root host=web-01 capture=web.scap.zst evt.num=812 frame=1: bash
//	  - 2026-11-20T09:14:01.200000000+0000 evt.num=815 frame=1 open-read /etc/shadow
//	  - 2026-11-20T10:02:11.000000000+0000 capture=web-000002.scap.zst evt.num=91822 frame=0 open-read /etc/passwd
//
// The values come before the free text (command lines, paths), which a
// process could choose to look like them.
//
// last is where the text written before stands, for a tree written a
// capture at a time ([TreeWriter]).
func writeTreeText(w io.Writer, roots []ProcessNode, sets map[string]string, last *treeTextState, opts Options) error {
	var line []byte
	return walkTree(roots, func(n *ProcessNode, depth int, _ []*ProcessNode) error {
		line = line[:0]
		if c := cmp.Or(sets[n.Capture], n.Capture); depth == 0 && (n.Host != last.host || c != last.capture) {
			if last.written {
				line = append(line, '\n')
			}
			line = append(line, "process tree of "...)
			line = appendTreeSource(line, n.Host, c)
			line = append(line, ":\n"...)
			last.host, last.capture = n.Host, c
		}
		last.written = true
		indent := strings.Repeat("  ", depth)
		line = append(line, indent...)
		line = appendProcessSummary(line, n)
		line = append(line, '\n')
		for _, a := range n.Activity {
			line = append(line, indent...)
			line = append(line, "  - "...)
			line = appendEventTime(line, a.Time, opts)
			line = appendEventRef(line, a.Capture, a.EventNum, a.Frame)
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
			line = appendEventRef(line, n.ExitCapture, n.ExitNum, n.ExitFrame)
			line = append(line, " exit\n"...)
		}
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write text: %w", err)
		}
		return nil
	})
}

// treeTextState is where a text tree stands: the source its last header
// named, and whether a line was written.
type treeTextState struct {
	host, capture string
	written       bool
}

// appendTreeSource appends "web.scap.zst (host web-01)", the parts that
// are known, "an unknown capture" when neither is.
func appendTreeSource(dst []byte, host, capture string) []byte {
	if capture == "" {
		if host == "" {
			return append(dst, "an unknown capture"...)
		}
		return appendEscaped(append(dst, "host "...), host)
	}
	dst = appendEscaped(dst, capture)
	if host != "" {
		dst = append(dst, " (host "...)
		dst = appendEscaped(dst, host)
		dst = append(dst, ')')
	}
	return dst
}

// appendEventRef appends " capture=C evt.num=N frame=F", without the
// capture when file is empty (the process line's), without the frame when
// the capture is not framed and nothing when num is 0 (no event).
func appendEventRef(dst []byte, file string, num uint64, frame int) []byte {
	if num == 0 {
		return dst
	}
	if file != "" {
		dst = append(dst, " capture="...)
		dst = appendEscaped(dst, file)
	}
	dst = append(dst, " evt.num="...)
	dst = strconv.AppendUint(dst, num, 10)
	if frame >= 0 {
		dst = append(dst, " frame="...)
		dst = strconv.AppendInt(dst, int64(frame), 10)
	}
	return dst
}

// appendProcessSummary appends "name[pid] user=u tty=t (login)
// container=c host=h capture=f evt.num=n frame=f: cmdline", the parts
// that are known.
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
	if n.Host != "" {
		dst = append(dst, " host="...)
		dst = appendEscaped(dst, n.Host)
	}
	if n.Capture != "" {
		dst = append(dst, " capture="...)
		dst = appendEscaped(dst, n.Capture)
	}
	dst = appendEventRef(dst, "", n.EventNum, n.Frame)
	if p.Cmdline != "" {
		dst = append(dst, ": "...)
		dst = appendEscaped(dst, p.Cmdline)
	}
	return dst
}

// writeTreeJSON writes one JSON object per process, parents before
// children, so that line-oriented tools can index the tree:
//
//	{"activity":[{"capture"?,"evt_num","frame","kind","object","time"}...],"capture","cmdline",
//	 "container":{"id","image","name"},"depth","evt_num","exe","exit","exit_capture"?,"exit_evt_num",
//	 "exit_frame","frame","host","login","name","path","pid","ppid","start","tty","user","view":"tree"}
//
// "path" is the process path from the root ("systemd > sshd > bash"),
// "ppid" the parent's pid (0 for a root), times are UTC like Falco's "time"
// key and a missing start or exit is null. "host" and "capture" say where
// the process was recorded: "capture" is the file that holds the event
// "evt_num" and "frame" (the names of a detection's provenance) locate,
// the one the process's keys describe; in "activity" they locate each
// activity's event, and "exit_evt_num" and "exit_frame" the exit. An
// activity's "capture" and "exit_capture" are there only when that event
// is in another file (of a rotated set, whose evt_num counts from its
// first file). An evt_num of 0 is no event, a frame of -1 a capture that
// is not framed (see [ProcessNode]).
func writeTreeJSON(w io.Writer, roots []ProcessNode) error {
	var line []byte
	return walkTree(roots, func(n *ProcessNode, depth int, path []*ProcessNode) error {
		p := &n.Process
		line = append(line[:0], `{"activity":[`...)
		for i, a := range n.Activity {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, '{')
			if a.Capture != "" {
				line = append(line, `"capture":`...)
				line = appendValue(line, a.Capture)
				line = append(line, ',')
			}
			line = append(line, `"evt_num":`...)
			line = strconv.AppendUint(line, a.EventNum, 10)
			line = append(line, `,"frame":`...)
			line = strconv.AppendInt(line, int64(a.Frame), 10)
			line = append(line, `,"kind":`...)
			line = appendValue(line, a.Kind)
			line = append(line, `,"object":`...)
			line = appendValue(line, a.Object)
			line = append(line, `,"time":`...)
			line = appendJSONTime(line, a.Time)
			line = append(line, '}')
		}
		line = append(line, `],"capture":`...)
		line = appendValue(line, n.Capture)
		line = append(line, `,"cmdline":`...)
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
		line = append(line, `,"evt_num":`...)
		line = strconv.AppendUint(line, n.EventNum, 10)
		line = append(line, `,"exe":`...)
		line = appendValue(line, p.Exe)
		line = append(line, `,"exit":`...)
		line = appendJSONTime(line, n.Exit)
		if n.ExitCapture != "" {
			line = append(line, `,"exit_capture":`...)
			line = appendValue(line, n.ExitCapture)
		}
		line = append(line, `,"exit_evt_num":`...)
		line = strconv.AppendUint(line, n.ExitNum, 10)
		line = append(line, `,"exit_frame":`...)
		line = strconv.AppendInt(line, int64(n.ExitFrame), 10)
		line = append(line, `,"frame":`...)
		line = strconv.AppendInt(line, int64(n.Frame), 10)
		line = append(line, `,"host":`...)
		line = appendValue(line, n.Host)
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

// writeTreeTable prints one row per process: start time, where it was
// recorded (host, capture, the frame and evt.num its row describes), its
// container, the process indented under its parent, user, and its activity
// one per line, each with its evt.num (short of room, the table leaves the
// activities' frames, and their files when another file of a rotated set
// holds them, to the other formats; the evt.num alone names the event).
func writeTreeTable(w io.Writer, roots []ProcessNode, opts Options) error {
	loc := opts.zone()
	header := []string{"START", "SOURCE", "CONTAINER", "PROCESS", "USER", "ACTIVITY"}
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
			acts = append(acts, a.Time.In(loc).Format("15:04:05.000000")+tableEventNum(a.EventNum)+" "+cleanCell(a.Kind)+" "+cleanCell(a.Object))
		}
		if !n.Exit.IsZero() {
			acts = append(acts, n.Exit.In(loc).Format("15:04:05.000000")+tableEventNum(n.ExitNum)+" exit")
		}
		user := cleanCell(n.Process.User)
		if n.Login != "" {
			user += "\n" + cleanCell(n.Login)
		}
		source := treeSourceCell(n)
		rows = append(rows, []string{start, source, cleanCell(n.Container.Label()), proc, user, strings.Join(acts, "\n")})
		return nil
	})
	width := opts.Width
	if width <= 0 {
		width = defaultTableWidth
	}
	fitColumns(header, rows, width, []int{0, 1, 1, 2, 1, 3}, []bool{false, true})
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

// treeSourceCell returns the table's SOURCE cell of n, one line each for
// the host, the capture's file name, "frame F" and "evt.num N", those that
// are known.
func treeSourceCell(n *ProcessNode) string {
	var lines []string
	if n.Host != "" {
		lines = append(lines, cleanCell(n.Host))
	}
	if n.Capture != "" {
		lines = append(lines, cleanCell(filepath.Base(n.Capture))) // the host tells same-named files apart
	}
	if n.EventNum != 0 {
		if n.Frame >= 0 {
			lines = append(lines, "frame "+strconv.Itoa(n.Frame))
		}
		lines = append(lines, "evt.num "+strconv.FormatUint(n.EventNum, 10))
	}
	return strings.Join(lines, "\n")
}

// tableEventNum returns " evt.num N", or "" for no event (0).
func tableEventNum(num uint64) string {
	if num == 0 {
		return ""
	}
	return " evt.num " + strconv.FormatUint(num, 10)
}

// captureSets maps each file of a rotated set among caps to the set's
// name, its first file ([CaptureInfo.Files]); a tree's header names a set
// by it.
func captureSets(caps []CaptureInfo) map[string]string {
	var sets map[string]string
	for _, c := range caps {
		for _, f := range c.Files {
			if sets == nil {
				sets = map[string]string{}
			}
			sets[f] = c.File
		}
	}
	return sets
}
