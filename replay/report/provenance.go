package report

import (
	"strconv"
	"strings"
	"time"
)

// Provenance is where a process came from, from the capture alone: the
// chain of processes that created it, those that exited before the event
// included, and the login session it belongs to.
type Provenance struct {
	// Chain is the process first, then the image that created it, and so
	// on up to the oldest one the capture knows (or MaxChain).
	Chain []Origin
	// Truncated is set when older creators exist but are not listed.
	Truncated bool
	// LoginUID is the audit login uid (-1: none); LoginUser its name, or
	// the number when the name is unknown.
	LoginUID  int64
	LoginUser string
	// Session is the process's session id (the session leader's pid);
	// -1 when unknown.
	Session int64
	// Tty is the controlling terminal number, 0 for none.
	Tty int64
}

// Origin is one link of a provenance chain: a process image and how it
// began.
type Origin struct {
	Process
	// How is "exec" (it ran execve), "fork" (a copy of its creator) or
	// "snapshot" (running when the capture started).
	How string
	// Container is the container id of the image, "host" for the host.
	Container string
	// Exit is when the process exited; zero while it ran on.
	Exit time.Time
}

// Login returns "login alice (uid 1000) session 4242 tty 34816", the parts
// that are known; the session only beside a login or a terminal, "" when
// there is neither.
func (p *Provenance) Login() string {
	if p == nil {
		return ""
	}
	var parts []string
	if p.LoginUID >= 0 {
		u := "uid " + strconv.FormatInt(p.LoginUID, 10)
		if p.LoginUser != "" && p.LoginUser != strconv.FormatInt(p.LoginUID, 10) {
			u = p.LoginUser + " (" + u + ")"
		}
		parts = append(parts, "login "+u)
	}
	if p.Session > 0 && (p.LoginUID >= 0 || p.Tty != 0) {
		parts = append(parts, "session "+strconv.FormatInt(p.Session, 10))
	}
	if p.Tty != 0 {
		parts = append(parts, "tty "+strconv.FormatInt(p.Tty, 10))
	}
	return strings.Join(parts, " ")
}

// ChainText returns the chain oldest first, "bash[10] > podman[12] >
// conmon[20] > runc[31] > sh[40]", with "[container]" where an image runs
// in another container than its creator, and "… > " when truncated.
func (p *Provenance) ChainText() string {
	if p == nil || len(p.Chain) == 0 {
		return ""
	}
	var b strings.Builder
	if p.Truncated {
		b.WriteString("… > ")
	}
	for i := len(p.Chain) - 1; i >= 0; i-- {
		o := &p.Chain[i]
		b.WriteString(procName(o.Process))
		b.WriteByte('[')
		b.WriteString(strconv.FormatInt(o.Pid, 10))
		b.WriteByte(']')
		if i+1 < len(p.Chain) && o.Container != p.Chain[i+1].Container || i == len(p.Chain)-1 && o.Container != "host" {
			b.WriteString("{container ")
			b.WriteString(shortID(o.Container))
			b.WriteByte('}')
		}
		if i > 0 {
			b.WriteString(" > ")
		}
	}
	return b.String()
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// appendProvenanceJSON appends `,"provenance":{...}` for a d with a
// process provenance (nothing otherwise, so that bare detections keep
// Falco's keys): keys sorted, where the event is (capture file, event
// number, zstd frame, host: what traces the detection back to its bytes),
// the chain (process first) and the login:
//
//	{"capture","chain":[{"cmdline","container","exe","exit","how","name","pid","start","tty","user"}...],
//	 "evt_num","frame","host","login_uid","login_user","session","truncated","tty"}
func appendProvenanceJSON(dst []byte, d *Detection) []byte {
	p := d.Provenance
	if p == nil {
		return dst
	}
	dst = append(dst, `,"provenance":{"capture":`...)
	dst = appendValue(dst, d.Capture)
	dst = append(dst, `,"chain":[`...)
	for i := range p.Chain {
		o := &p.Chain[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"cmdline":`...)
		dst = appendValue(dst, o.Cmdline)
		dst = append(dst, `,"container":`...)
		dst = appendValue(dst, o.Container)
		dst = append(dst, `,"exe":`...)
		dst = appendValue(dst, o.Exe)
		dst = append(dst, `,"exit":`...)
		dst = appendJSONTime(dst, o.Exit)
		dst = append(dst, `,"how":`...)
		dst = appendValue(dst, o.How)
		dst = append(dst, `,"name":`...)
		dst = appendValue(dst, o.Name)
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, o.Pid, 10)
		dst = append(dst, `,"start":`...)
		dst = appendJSONTime(dst, o.Start)
		dst = append(dst, `,"tty":`...)
		dst = strconv.AppendInt(dst, o.Tty, 10)
		dst = append(dst, `,"user":`...)
		dst = appendValue(dst, o.User)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = appendEventSource(dst, d)
	dst = append(dst, `,"login_uid":`...)
	dst = strconv.AppendInt(dst, p.LoginUID, 10)
	dst = append(dst, `,"login_user":`...)
	dst = appendValue(dst, p.LoginUser)
	dst = append(dst, `,"session":`...)
	dst = strconv.AppendInt(dst, p.Session, 10)
	dst = append(dst, `,"truncated":`...)
	dst = strconv.AppendBool(dst, p.Truncated)
	dst = append(dst, `,"tty":`...)
	dst = strconv.AppendInt(dst, p.Tty, 10)
	return append(dst, '}')
}

// appendEventSource appends the members `,"evt_num":N,"frame":F,"host":"H"`.
func appendEventSource(dst []byte, d *Detection) []byte {
	dst = append(dst, `,"evt_num":`...)
	dst = strconv.AppendUint(dst, d.EventNum, 10)
	dst = append(dst, `,"frame":`...)
	dst = strconv.AppendInt(dst, int64(d.Frame), 10)
	dst = append(dst, `,"host":`...)
	return appendValue(dst, d.Hostname)
}

// AppendTextProvenance appends d's alert line (see [AppendText]) and,
// when d has a provenance chain, a second line, without the final
// newline:
//
//	provenance: bash[10] > podman[12] > conmon[20] > runc[31] > sh[40]{container f00903864d98}; login alice (uid 1000) session 10 tty 34816; event 4242 in frame 3 of web.scap.zst (host web-01)
//
// escaped like alert lines, then the lines of its [Drill], if any.
// Line-oriented consumers of Falco alerts can tell them apart by their
// leading spaces.
func AppendTextProvenance(dst []byte, d *Detection, opts Options) []byte {
	dst = AppendText(dst, d, opts)
	if d.Gap != nil {
		dst = append(dst, "\n    "...)
		dst = AppendGapText(dst, d.Gap)
	}
	p := d.Provenance
	if p == nil || len(p.Chain) == 0 {
		return appendDrillText(dst, d.Drill, opts)
	}
	dst = append(dst, "\n    provenance: "...)
	dst = appendEscaped(dst, p.ChainText())
	if l := p.Login(); l != "" {
		dst = append(dst, "; "...)
		dst = appendEscaped(dst, l)
	}
	if d.Capture != "" {
		dst = append(dst, "; event "...)
		dst = strconv.AppendUint(dst, d.EventNum, 10)
		if d.Frame >= 0 {
			dst = append(dst, " in frame "...)
			dst = strconv.AppendInt(dst, int64(d.Frame), 10)
		}
		dst = append(dst, " of "...)
		dst = appendEscaped(dst, d.Capture)
		if d.Hostname != "" {
			dst = append(dst, " (host "...)
			dst = appendEscaped(dst, d.Hostname)
			dst = append(dst, ')')
		}
	}
	return appendDrillText(dst, d.Drill, opts)
}
