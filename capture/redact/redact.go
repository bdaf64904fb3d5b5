package redact

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// Marker replaces what is redacted.
const Marker = "REDACTED"

// Options choose what to redact.
type Options struct {
	// Env are globs (path.Match) of environment variable names whose
	// values are replaced by Marker.
	Env []string
	// Args are regular expressions (Go syntax) whose matches in
	// command-line arguments are replaced by Marker.
	Args []string
	// Buffers empties the data parameter of I/O events.
	Buffers bool
}

// Redactor applies Options and counts what it redacted. It is not safe
// for concurrent use.
type Redactor struct {
	opts Options
	args []*regexp.Regexp
	m    capture.Redaction
	// params is scratch for rewritten parameters.
	params [][]byte
	buf    []byte
}

// ErrNothing is returned by [New] for Options that redact nothing.
var ErrNothing = errors.New("nothing to redact: give --env, --arg or --buffers")

// New checks the options and returns a Redactor.
func New(opts Options) (*Redactor, error) {
	if len(opts.Env) == 0 && len(opts.Args) == 0 && !opts.Buffers {
		return nil, ErrNothing
	}
	r := &Redactor{opts: opts}
	for _, g := range opts.Env {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("env glob %q: %w", g, err)
		}
	}
	for _, a := range opts.Args {
		re, err := regexp.Compile(a)
		if err != nil {
			return nil, fmt.Errorf("arg pattern %q: %w", a, err)
		}
		if re.MatchString("") {
			return nil, fmt.Errorf("arg pattern %q matches the empty string", a)
		}
		r.args = append(r.args, re)
	}
	r.m.Env, r.m.Args, r.m.Buffers = opts.Env, opts.Args, opts.Buffers
	return r, nil
}

// Manifest returns the redaction record so far (the counts grow as the
// Redactor works); the caller adds the tool, time and source.
func (r *Redactor) Manifest() capture.Redaction { return r.m }

// envMatch reports whether the variable name matches an env glob.
func (r *Redactor) envMatch(name []byte) bool {
	for _, g := range r.opts.Env {
		if ok, _ := path.Match(g, string(name)); ok {
			return true
		}
	}
	return false
}

// envEntry returns the entry "NAME=value" with its value redacted when
// NAME matches, and whether it changed.
func (r *Redactor) envEntry(e []byte) ([]byte, bool) {
	i := bytes.IndexByte(e, '=')
	name := e
	if i >= 0 {
		name = e[:i]
	}
	if len(r.opts.Env) == 0 || !r.envMatch(name) || (i >= 0 && string(e[i+1:]) == Marker) {
		return e, false
	}
	r.m.EnvValues++
	return append(append(append([]byte{}, name...), '='), Marker...), true
}

// arg returns a with the patterns' matches replaced, and whether it
// changed.
func (r *Redactor) arg(a []byte) ([]byte, bool) {
	changed := false
	for _, re := range r.args {
		locs := re.FindAllIndex(a, -1)
		if len(locs) == 0 {
			continue
		}
		r.m.ArgMatches += uint64(len(locs))
		a = re.ReplaceAll(a, []byte(Marker))
		changed = true
	}
	return a, changed
}

// list rewrites a NUL-separated list entry by entry with f, keeping its
// separators; it returns nil when nothing changed.
func list(b []byte, f func([]byte) ([]byte, bool)) []byte {
	var out []byte
	changed := false
	for rest := b; len(rest) > 0; {
		e := rest
		j := bytes.IndexByte(rest, 0)
		if j >= 0 {
			e, rest = rest[:j], rest[j+1:]
		} else {
			rest = nil
		}
		ne, ok := f(e)
		changed = changed || ok
		out = append(out, ne...)
		if j >= 0 {
			out = append(out, 0)
		}
	}
	if !changed {
		return nil
	}
	return out
}

// Event returns the event ev with its secrets redacted, and whether
// anything changed; ev itself is not modified. The result is valid until
// the next call.
func (r *Redactor) Event(ev *scap.Event) ([]byte, bool) {
	info := ev.Info()
	// Records with a version 1 header (older producers) are rewritten
	// with a version 2 header, as the writer takes them.
	changed := ev.HeaderLen() != scap.HeaderLenV2
	if info == nil && !changed {
		return ev.Raw(), false
	}
	r.params = r.params[:0]
	for i := 0; i < ev.NumParams(); i++ {
		p := ev.Param(i)
		if info != nil && i < len(info.Params) && info.Params[i].Type == scap.PTByteBuf {
			pi := info.Params[i]
			switch {
			case pi.Name == "env" && len(r.opts.Env) > 0:
				if np := list(p, r.envEntry); np != nil {
					p, changed = np, true
				}
			case pi.Name == "args" && len(r.args) > 0:
				if np := list(p, r.arg); np != nil {
					p, changed = np, true
				}
			case pi.Name == "data" && r.opts.Buffers && len(p) > 0:
				r.m.BufferBytes += uint64(len(p))
				p, changed = nil, true
			}
		}
		r.params = append(r.params, p)
	}
	if !changed {
		return ev.Raw(), false
	}
	r.buf = scap.AppendEvent(r.buf[:0], ev.Ts(), ev.Tid(), ev.Type(), r.params...)
	return r.buf, true
}

// Strings redacts a list of environment entries (env) or arguments in
// place.
func (r *Redactor) Strings(l []string, env bool) {
	for i, s := range l {
		var b []byte
		var ok bool
		if env {
			b, ok = r.envEntry([]byte(s))
		} else {
			b, ok = r.arg([]byte(s))
		}
		if ok {
			l[i] = string(b)
		}
	}
}

// Header redacts the process list's environments and arguments in place.
func (r *Redactor) Header(h *capture.Header) {
	for i := range h.Processes {
		p := &h.Processes[i]
		r.Strings(p.Env, true)
		r.Strings(p.Args, false)
	}
}

// Raw redacts the raw event record ev (version 2 header) and returns it
// (ev itself when nothing changed). Only event types with a parameter the
// options touch are decoded, so the cost on other events is a table look-up.
func (r *Redactor) Raw(ev []byte) ([]byte, error) {
	if len(ev) < scap.HeaderLenV2 || !r.touches(scap.RawType(ev)) {
		return ev, nil
	}
	var e scap.Event
	if err := e.Decode(ev, false); err != nil {
		return nil, err
	}
	out, _ := r.Event(&e)
	return out, nil
}

// touches reports whether events of type t have a parameter the options
// redact.
func (r *Redactor) touches(t scap.Type) bool {
	info, ok := scap.Lookup(t)
	if !ok {
		return false
	}
	for _, p := range info.Params {
		if p.Type != scap.PTByteBuf {
			continue
		}
		switch {
		case p.Name == "env" && len(r.opts.Env) > 0,
			p.Name == "args" && len(r.args) > 0,
			p.Name == "data" && r.opts.Buffers:
			return true
		}
	}
	return false
}
