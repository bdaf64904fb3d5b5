package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// MaxAncestry bounds the ancestors a detection lists.
const MaxAncestry = 8

// processProbes extract one process's description.
type processProbes struct {
	pid, name, exe, cmdline *Probe
}

// process describes the process of pp for ev; ok is false when it has no pid.
func (pp *processProbes) process(ev engine.Event) (report.Process, bool) {
	pid, ok := pp.pid.Int(ev)
	if !ok {
		return report.Process{}, false
	}
	p := report.Process{Pid: pid}
	p.Name, _ = pp.name.Text(ev)
	p.Exe, _ = pp.exe.Text(ev)
	p.Cmdline, _ = pp.cmdline.Text(ev)
	return p, true
}

// Describer fills a detection's context (process, ancestry, user,
// container, files and network objects) from an event's fields. It is not
// safe for concurrent use: each worker has its own.
type Describer struct {
	self                          processProbes
	user, uid, tty                *Probe
	cid, cname, cimage            *Probe
	evtType, fdName, fdType, fdL4 *Probe
	source, target                *Probe
	ancestors                     [MaxAncestry]processProbes
}

// NewDescriber binds the fields a detection's context comes from.
func NewDescriber(reg engine.Registry) *Describer {
	p := &Describer{
		self: processProbes{NewProbe(reg, "proc.pid"), NewProbe(reg, "proc.name"), NewProbe(reg, "proc.exepath"),
			NewProbe(reg, "proc.cmdline")},
		user: NewProbe(reg, "user.name"), uid: NewProbe(reg, "user.uid"), tty: NewProbe(reg, "proc.tty"),
		cid: NewProbe(reg, "container.id"), cname: NewProbe(reg, "container.name"),
		cimage: NewProbe(reg, "container.image"), evtType: NewProbe(reg, "evt.type"),
		fdName: NewProbe(reg, "fd.name"), fdType: NewProbe(reg, "fd.typechar"), fdL4: NewProbe(reg, "fd.l4proto"),
		source: NewProbe(reg, "fs.path.source"), target: NewProbe(reg, "fs.path.target"),
	}
	for i := range p.ancestors {
		n := strconv.Itoa(i + 1)
		p.ancestors[i] = processProbes{NewProbe(reg, "proc.apid["+n+"]"), NewProbe(reg, "proc.aname["+n+"]"),
			NewProbe(reg, "proc.aexepath["+n+"]"), NewProbe(reg, "proc.acmdline["+n+"]")}
	}
	return p
}

// Pid returns the pid of ev's process and whether it has one.
func (p *Describer) Pid(ev engine.Event) (int64, bool) { return p.self.pid.Int(ev) }

// Describe returns a detection for e (rule and priority as given, source
// "syscall") with its time, event number, capture and context. The
// capture is the file that holds the event (of a rotated set, the member
// file, which its frame number counts in), else capture.
func (p *Describer) Describe(e *replay.Event, rule, priority, capture string) report.Detection {
	d := report.Detection{Time: time.Unix(0, int64(e.Ev.Ts())), Rule: rule, Priority: priority, Source: "syscall",
		Capture: captureOf(e, capture), EventNum: e.Num, Frame: e.Frame}
	p.Fill(&d, e)
	return d
}

// captureOf returns the file that holds e: of a rotated set, the member
// file, which e.Frame counts in (e.Num counts from the set's first file);
// capture when e was not read from a file.
func captureOf(e *replay.Event, capture string) string {
	if e.Capture != "" {
		return e.Capture
	}
	return capture
}

// Fill completes d with ev's process, ancestry, container and objects.
func (p *Describer) Fill(d *report.Detection, ev engine.Event) {
	d.EventType, _ = p.evtType.Text(ev)
	if proc, ok := p.self.process(ev); ok {
		if u, ok := p.user.Text(ev); ok && u != "" && u != engine.Missing {
			proc.User = u
		} else if uid, ok := p.uid.Text(ev); ok {
			proc.User = uid
		}
		proc.Tty, _ = p.tty.Int(ev)
		d.Process = proc
		for i := range p.ancestors {
			a, ok := p.ancestors[i].process(ev)
			if !ok {
				break
			}
			d.Ancestry = append(d.Ancestry, a)
		}
		if e, ok := ev.(*replay.Event); ok {
			d.Provenance = ProvenanceOf(e)
		}
	}
	d.Container.ID, _ = p.cid.Text(ev)
	d.Container.Name = p.cname.Value(ev)
	d.Container.Image = p.cimage.Value(ev)
	for _, pr := range []*Probe{p.source, p.target} {
		if s := pr.Value(ev); s != "" {
			d.Files = append(d.Files, s)
		}
	}
	name, ok := p.fdName.Text(ev)
	if !ok || name == "" {
		return
	}
	switch typ, _ := p.fdType.Text(ev); typ {
	case "4", "6":
		l4, _ := p.fdL4.Text(ev)
		d.Network = append(d.Network, strings.TrimSpace(l4+" "+name))
	case "f", "d":
		if !slices.Contains(d.Files, name) {
			d.Files = append(d.Files, name)
		}
	}
}

// outputFields returns the typed values of a rule output's fields, as
// Falco's output_fields carry them.
func outputFields(f *engine.Format, ev engine.Event, scratch []byte) map[string]any {
	names := f.Fields()
	m := make(map[string]any, len(names))
	for i, n := range names {
		scratch = f.AppendJSONValue(scratch[:0], ev, i)
		dec := json.NewDecoder(bytes.NewReader(scratch))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			m[n] = string(scratch)
			continue
		}
		m[n] = jsonToReport(v)
	}
	return m
}

// jsonToReport converts a decoded JSON value to the types report accepts.
func jsonToReport(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return u
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(jsonToReport(x)))
		}
		return out
	}
	return v
}
