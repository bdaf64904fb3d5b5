package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/builtin"
)

// This file loads the rules and builds detections and scopes for a worker.

// loadRules loads the rule files of cfg, or the built-in rules.
func loadRules(cfg *replayConfig, reg engine.Registry) (*rules.Set, error) {
	opts := rules.Options{Fields: reg, EventTypes: scap.EventTypeIndex{}}
	if len(cfg.ruleFiles) == 0 {
		files, err := builtin.Files()
		if err != nil {
			return nil, err
		}
		return rules.LoadFiles(files, opts)
	}
	return rules.Load(cfg.ruleFiles, opts)
}

// probe extracts one field's values as text, for building detections.
type probe struct {
	ex  engine.Extractor
	typ engine.FieldType
	buf []engine.Value
	txt []byte
}

// newProbe binds field ref (e.g. "proc.aname[2]"); nil when the registry
// does not have it.
func newProbe(reg engine.Registry, ref string) *probe {
	info, arg, err := engine.ResolveField(reg, ref)
	if err != nil {
		return nil
	}
	b, err := reg.Bind(info.Name, arg)
	if err != nil {
		return nil
	}
	typ := b.Type
	if typ == engine.TypeInvalid {
		typ = info.Type
	}
	return &probe{ex: b.Extractor, typ: typ}
}

// text returns the field's first value as text and whether it has one.
func (p *probe) text(ev engine.Event) (string, bool) {
	if p == nil {
		return "", false
	}
	p.buf = p.ex.Extract(ev, p.buf[:0])
	if len(p.buf) == 0 {
		return "", false
	}
	p.txt = engine.AppendValue(p.txt[:0], p.typ, p.buf[0])
	return string(p.txt), true
}

// int returns the field's first value as a signed integer.
func (p *probe) int(ev engine.Event) (int64, bool) {
	if p == nil {
		return 0, false
	}
	p.buf = p.ex.Extract(ev, p.buf[:0])
	if len(p.buf) == 0 {
		return 0, false
	}
	return int64(p.buf[0].Num), true
}

// maxAncestry bounds the ancestors a detection lists.
const maxAncestry = 8

// procProbes extract one process's description.
type procProbes struct {
	pid, name, exe, cmdline *probe
}

// contextProbes are the fields a detection's context is built from.
type contextProbes struct {
	self                          procProbes
	user, uid, tty                *probe
	cid, cname, cimage            *probe
	evtType, fdName, fdType, fdL4 *probe
	source, target                *probe
	ancestors                     [maxAncestry]procProbes
}

func newContextProbes(reg engine.Registry) *contextProbes {
	p := &contextProbes{
		self: procProbes{newProbe(reg, "proc.pid"), newProbe(reg, "proc.name"), newProbe(reg, "proc.exepath"),
			newProbe(reg, "proc.cmdline")},
		user: newProbe(reg, "user.name"), uid: newProbe(reg, "user.uid"), tty: newProbe(reg, "proc.tty"),
		cid: newProbe(reg, "container.id"), cname: newProbe(reg, "container.name"),
		cimage: newProbe(reg, "container.image"), evtType: newProbe(reg, "evt.type"),
		fdName: newProbe(reg, "fd.name"), fdType: newProbe(reg, "fd.typechar"), fdL4: newProbe(reg, "fd.l4proto"),
		source: newProbe(reg, "fs.path.source"), target: newProbe(reg, "fs.path.target"),
	}
	for i := range p.ancestors {
		n := strconv.Itoa(i + 1)
		p.ancestors[i] = procProbes{newProbe(reg, "proc.apid["+n+"]"), newProbe(reg, "proc.aname["+n+"]"),
			newProbe(reg, "proc.aexepath["+n+"]"), newProbe(reg, "proc.acmdline["+n+"]")}
	}
	return p
}

// process describes the process of pp for ev; ok is false when it has no pid.
func (pp *procProbes) process(ev engine.Event) (report.Process, bool) {
	pid, ok := pp.pid.int(ev)
	if !ok {
		return report.Process{}, false
	}
	p := report.Process{Pid: pid}
	p.Name, _ = pp.name.text(ev)
	p.Exe, _ = pp.exe.text(ev)
	p.Cmdline, _ = pp.cmdline.text(ev)
	return p, true
}

// fill completes d with ev's process, ancestry, container and objects.
func (p *contextProbes) fill(d *report.Detection, ev engine.Event) {
	d.EventType, _ = p.evtType.text(ev)
	if proc, ok := p.self.process(ev); ok {
		if u, ok := p.user.text(ev); ok && u != "" && u != engine.Missing {
			proc.User = u
		} else if uid, ok := p.uid.text(ev); ok {
			proc.User = uid
		}
		proc.Tty, _ = p.tty.int(ev)
		d.Process = proc
		for i := range p.ancestors {
			a, ok := p.ancestors[i].process(ev)
			if !ok {
				break
			}
			d.Ancestry = append(d.Ancestry, a)
		}
	}
	d.Container.ID, _ = p.cid.text(ev)
	d.Container.Name, _ = p.cname.text(ev)
	d.Container.Image, _ = p.cimage.text(ev)
	for _, c := range []*string{&d.Container.Name, &d.Container.Image} {
		if *c == engine.Missing {
			*c = ""
		}
	}
	for _, pr := range []*probe{p.source, p.target} {
		if s, ok := pr.text(ev); ok && s != "" && s != engine.Missing {
			d.Files = append(d.Files, s)
		}
	}
	name, ok := p.fdName.text(ev)
	if !ok || name == "" {
		return
	}
	switch typ, _ := p.fdType.text(ev); typ {
	case "4", "6":
		l4, _ := p.fdL4.text(ev)
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

// scope is a scopeSpec bound for one worker.
type scope struct {
	spec             scopeSpec
	cid, cname, pid  *probe
	containerFilters bool
}

func newScope(spec scopeSpec, reg engine.Registry) *scope {
	s := &scope{spec: spec}
	if spec.container != "" {
		s.cid, s.cname = newProbe(reg, "container.id"), newProbe(reg, "container.name")
	}
	if spec.hasPid {
		s.pid = newProbe(reg, "proc.pid")
	}
	return s
}

// in reports whether e is inside the scope.
func (s *scope) in(e *replay.Event) bool {
	ts := e.Ev.Ts()
	if ts < s.spec.since || s.spec.until != 0 && ts > s.spec.until {
		return false
	}
	if s.spec.hasPid {
		if pid, ok := s.pid.int(e); !ok || pid != s.spec.pid {
			return false
		}
	}
	if s.spec.container != "" {
		id, _ := s.cid.text(e)
		if id == "" || id == engine.Missing {
			id = "host"
		}
		if id != s.spec.container && !strings.HasPrefix(id, s.spec.container) {
			name, _ := s.cname.text(e)
			if name != s.spec.container {
				return false
			}
		}
	}
	return true
}
