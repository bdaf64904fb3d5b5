package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TimesketchTimestampDesc is the timestamp_desc of every Timesketch line:
// all of retrace's times are the times the recorded kernel saw a syscall.
const TimesketchTimestampDesc = "Syscall event time"

// WriteTimesketch writes r as JSON lines that Timesketch imports: one line
// per detection (see [AppendTimesketch]) and, for a tree view, one line per
// activity of every process.
func WriteTimesketch(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i := range r.Detections {
		line = AppendTimesketch(line[:0], &r.Detections[i], r.View)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write timesketch: %w", err)
		}
	}
	if err := writeTreeTimesketch(bw, r.Tree, reportHost(r)); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write timesketch: %w", err)
	}
	return nil
}

// writeTreeTimesketch writes a line per activity of every process of
// roots; host is the host of a process that names none.
func writeTreeTimesketch(w io.Writer, roots []ProcessNode, host string) error {
	var line []byte
	return walkTree(roots, func(n *ProcessNode, _ int, _ []*ProcessNode) error {
		for i := range n.Activity {
			line = appendTimesketchActivity(line[:0], n, &n.Activity[i], host)
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				return fmt.Errorf("write timesketch: %w", err)
			}
		}
		return nil
	})
}

// reportHost names the recorded host of r's captures: their host names,
// distinct, joined by commas.
func reportHost(r *Report) string {
	var hosts []string
	for _, c := range r.Captures {
		if c.Hostname != "" && !slices.Contains(hosts, c.Hostname) {
			hosts = append(hosts, c.Hostname)
		}
	}
	return strings.Join(hosts, ",")
}

// AppendTimesketch appends d as one Timesketch JSON line, without a
// newline, to dst and returns the extended buffer. The line has the three
// keys Timesketch requires, "message" (the rule's output, or the view's
// finding), "datetime" (ISO 8601 in UTC with microseconds, Timesketch's
// precision) and "timestamp_desc" ([TimesketchTimestampDesc]), then
// "timestamp" (microseconds since the epoch) and the context an analyst
// filters on: "data_type" ("retrace:detection", or "retrace:timeline:"
// and the view), "rule", "priority", "source", "tags", "host",
// "container_id", "container_name", "container_image", "proc_pid",
// "proc_name", "proc_exepath", "proc_cmdline", "user_name",
// "proc_ancestry" (the parents' "name[pid] cmdline", parent first), with
// a [Provenance] "provenance_chain" (its [Provenance.ChainText]),
// "login_uid", "login_user", "session" and "tty", then "evt_type",
// "files", "network", "output_fields" and the provenance: "capture",
// "frame" (the zstd frame holding the event, -1 for files not in frames),
// "evt_num" and "time_ns" (the event's exact time).
func AppendTimesketch(dst []byte, d *Detection, view string) []byte {
	dst = appendTimesketchHead(dst, d.Output, d.Time)
	dst = append(dst, `,"data_type":`...)
	if view == "" {
		dst = appendValue(dst, "retrace:detection")
	} else {
		dst = appendValue(dst, "retrace:timeline:"+view)
	}
	dst = append(dst, `,"rule":`...)
	dst = appendValue(dst, d.Rule)
	dst = append(dst, `,"priority":`...)
	dst = appendValue(dst, d.Priority)
	dst = append(dst, `,"source":`...)
	dst = appendValue(dst, d.Source)
	dst = append(dst, `,"tags":`...)
	dst = appendSortedStrings(dst, d.Tags)
	dst = append(dst, `,"host":`...)
	dst = appendValue(dst, d.Hostname)
	dst = appendTimesketchContainer(dst, d.Container)
	dst = appendTimesketchProcess(dst, &d.Process)
	dst = append(dst, `,"proc_ancestry":`...)
	dst = appendAncestry(dst, d.Ancestry)
	if p := d.Provenance; p != nil {
		dst = append(dst, `,"provenance_chain":`...)
		dst = appendValue(dst, p.ChainText())
		dst = append(dst, `,"login_uid":`...)
		dst = strconv.AppendInt(dst, p.LoginUID, 10)
		dst = append(dst, `,"login_user":`...)
		dst = appendValue(dst, p.LoginUser)
		dst = append(dst, `,"session":`...)
		dst = strconv.AppendInt(dst, p.Session, 10)
		dst = append(dst, `,"tty":`...)
		dst = strconv.AppendInt(dst, p.Tty, 10)
	}
	dst = append(dst, `,"evt_type":`...)
	dst = appendValue(dst, d.EventType)
	dst = append(dst, `,"files":`...)
	dst = appendStrings(dst, d.Files)
	dst = append(dst, `,"network":`...)
	dst = appendStrings(dst, d.Network)
	if len(d.Children) > 0 {
		cmds := make([]string, len(d.Children))
		for i := range d.Children {
			cmds[i] = d.Children[i].Cmdline
		}
		dst = append(dst, `,"children":`...)
		dst = appendStrings(dst, cmds)
	}
	dst = append(dst, `,"output_fields":{`...)
	dst = appendOutputFields(dst, d, Options{})
	dst = append(dst, '}')
	dst = append(dst, `,"capture":`...)
	dst = appendValue(dst, d.Capture)
	dst = append(dst, `,"frame":`...)
	dst = strconv.AppendInt(dst, int64(d.Frame), 10)
	dst = append(dst, `,"evt_num":`...)
	dst = strconv.AppendUint(dst, d.EventNum, 10)
	dst = append(dst, `,"time_ns":`...)
	dst = strconv.AppendInt(dst, d.Time.UnixNano(), 10)
	return append(dst, '}')
}

// appendTimesketchActivity appends one activity of a tree view's process,
// with the keys of a detection's provenance: "host" (the process's, host
// when it names none), "capture" (the file that holds the activity's
// event, of a rotated set the member file), "frame", "evt_num" and
// "time_ns".
func appendTimesketchActivity(dst []byte, n *ProcessNode, a *Activity, host string) []byte {
	if n.Host != "" {
		host = n.Host
	}
	msg := a.Kind + " " + a.Object + " (" + procName(n.Process) + " pid " + strconv.FormatInt(n.Process.Pid, 10) + ")"
	dst = appendTimesketchHead(dst, msg, a.Time)
	dst = append(dst, `,"data_type":"retrace:timeline:tree","activity":`...)
	dst = appendValue(dst, a.Kind)
	dst = append(dst, `,"object":`...)
	dst = appendValue(dst, a.Object)
	dst = append(dst, `,"host":`...)
	dst = appendValue(dst, host)
	dst = appendTimesketchContainer(dst, n.Container)
	dst = appendTimesketchProcess(dst, &n.Process)
	dst = append(dst, `,"capture":`...)
	dst = appendValue(dst, n.ActivityFile(a))
	dst = append(dst, `,"frame":`...)
	dst = strconv.AppendInt(dst, int64(a.Frame), 10)
	dst = append(dst, `,"evt_num":`...)
	dst = strconv.AppendUint(dst, a.EventNum, 10)
	dst = append(dst, `,"time_ns":`...)
	dst = strconv.AppendInt(dst, a.Time.UnixNano(), 10)
	return append(dst, '}')
}

// appendTimesketchHead opens the object with the keys Timesketch requires
// and the microsecond timestamp.
func appendTimesketchHead(dst []byte, msg string, t time.Time) []byte {
	if msg == "" {
		msg = "(no message)"
	}
	dst = append(dst, `{"message":`...)
	dst = appendValue(dst, msg)
	dst = append(dst, `,"datetime":"`...)
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000+00:00")
	dst = append(dst, `","timestamp_desc":`...)
	dst = appendValue(dst, TimesketchTimestampDesc)
	dst = append(dst, `,"timestamp":`...)
	return strconv.AppendInt(dst, t.UnixMicro(), 10)
}

// appendAncestry appends the ancestors as a JSON array of
// "name[pid] cmdline" strings, parent first.
func appendAncestry(dst []byte, anc []Process) []byte {
	ss := make([]string, len(anc))
	for i := range anc {
		p := &anc[i]
		ss[i] = procName(*p) + "[" + strconv.FormatInt(p.Pid, 10) + "]"
		if p.Cmdline != "" {
			ss[i] += " " + p.Cmdline
		}
	}
	return appendStrings(dst, ss)
}

func appendTimesketchContainer(dst []byte, c Container) []byte {
	id := c.ID
	if c.IsHost() {
		id = "host"
	}
	dst = append(dst, `,"container_id":`...)
	dst = appendValue(dst, id)
	dst = append(dst, `,"container_name":`...)
	dst = appendValue(dst, c.Name)
	dst = append(dst, `,"container_image":`...)
	return appendValue(dst, c.Image)
}

func appendTimesketchProcess(dst []byte, p *Process) []byte {
	dst = append(dst, `,"proc_pid":`...)
	dst = strconv.AppendInt(dst, p.Pid, 10)
	dst = append(dst, `,"proc_name":`...)
	dst = appendValue(dst, p.Name)
	dst = append(dst, `,"proc_exepath":`...)
	dst = appendValue(dst, p.Exe)
	dst = append(dst, `,"proc_cmdline":`...)
	dst = appendValue(dst, p.Cmdline)
	dst = append(dst, `,"user_name":`...)
	return appendValue(dst, p.User)
}
