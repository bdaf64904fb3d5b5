package redact

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"path"
	"regexp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
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
	// Pseudonymize chooses the names replaced by keyed pseudonyms; the
	// capture must then be learnt ([Redactor.LearnHeader],
	// [Redactor.LearnEvent]) before it is redacted.
	Pseudonymize Kinds
	// PseudonymKey is the key of the pseudonyms (KeySize bytes); nil
	// means a random key for this Redactor only.
	PseudonymKey []byte
}

// Redactor applies Options and counts what it redacted. It is not safe
// for concurrent use.
type Redactor struct {
	opts Options
	args []*regexp.Regexp
	m    capture.Redaction
	ps   *pseudonyms // nil without Pseudonymize
	// params is scratch for rewritten parameters.
	params [][]byte
	buf    []byte
}

// ErrNothing is returned by [New] for Options that redact nothing.
var ErrNothing = errors.New("nothing to redact: give --env, --arg, --buffers or --pseudonymize")

// New checks the options and returns a Redactor.
func New(opts Options) (*Redactor, error) {
	if len(opts.Env) == 0 && len(opts.Args) == 0 && !opts.Buffers && !opts.Pseudonymize.Any() {
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
	if opts.Pseudonymize.Any() {
		key, source := opts.PseudonymKey, "file"
		if key == nil {
			key, source = make([]byte, KeySize), "random"
			if _, err := rand.Read(key); err != nil {
				return nil, fmt.Errorf("pseudonym key: %w", err)
			}
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("pseudonym key of %d bytes, want %d", len(key), KeySize)
		}
		r.ps = newPseudonyms(opts.Pseudonymize, key)
		r.m.Pseudonymize, r.m.PseudonymKey, r.m.PseudonymKeyID = opts.Pseudonymize.List(), source, KeyID(key)
	}
	return r, nil
}

// Manifest returns the redaction record so far (the counts grow as the
// Redactor works); the caller adds the tool, time and source.
func (r *Redactor) Manifest() capture.Redaction {
	m := r.m
	if r.ps != nil {
		d := r.ps.distinct
		m.Pseudonyms = &capture.PseudonymCounts{Users: d[0], Hosts: d[1], Paths: d[2]}
		m.PseudonymReplacements = r.ps.replacements
	}
	return m
}

// Err returns the error that stopped the pseudonyms (two originals with
// one pseudonym), or nil.
func (r *Redactor) Err() error {
	if r.ps == nil {
		return nil
	}
	return r.ps.err
}

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
		if r.ps != nil && i >= 0 {
			if v, ok := r.ps.text(e[i+1:]); ok {
				return append(append([]byte{}, e[:i+1]...), v...), true
			}
		}
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
	if r.ps != nil {
		if na, ok := r.ps.text(a); ok {
			a, changed = na, true
		}
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

// role is what a parameter holds, for redaction.
type role uint8

const (
	roleNone      role = iota
	roleEnv            // NUL-separated NAME=value entries
	roleArgs           // NUL-separated arguments
	roleData           // an I/O buffer
	rolePath           // a path (NUL-terminated)
	roleName           // a user or group name (NUL-terminated)
	roleContainer      // a container's JSON (NUL-terminated)
	roleText           // free text such as argv[0] (NUL-terminated)
	roleSockAddr       // a socket address, a path for AF_UNIX
	roleSockTuple      // a socket tuple, a path for AF_UNIX
)

// charbufPaths are the names of PT_CHARBUF parameters that hold paths.
var charbufPaths = map[string]bool{"cwd": true, "path": true, "oldpath": true, "newpath": true,
	"target": true, "dev": true, "special": true, "quotafilepath": true, "home": true, "shell": true}

// paramRole returns the role of parameter pi of events of info.
func paramRole(info *scap.Info, pi scap.Param) role {
	switch pi.Type {
	case scap.PTByteBuf:
		switch pi.Name {
		case "env":
			return roleEnv
		case "args":
			return roleArgs
		case "data":
			return roleData
		}
	case scap.PTFSPath, scap.PTFSRelPath:
		return rolePath
	case scap.PTSockAddr:
		return roleSockAddr
	case scap.PTSockTuple:
		return roleSockTuple
	case scap.PTCharBuf:
		switch {
		case charbufPaths[pi.Name]:
			return rolePath
		case pi.Name == "exe":
			return roleText
		case pi.Name == "name" && (info.Name == "useradded" || info.Name == "userdeleted" ||
			info.Name == "groupadded" || info.Name == "groupdeleted"):
			return roleName
		case pi.Name == "json" && info.Name == "container":
			return roleContainer
		}
	}
	return roleNone
}

// active reports whether the options rewrite parameters of role ro.
func (r *Redactor) active(ro role) bool {
	switch ro {
	case roleEnv:
		return len(r.opts.Env) > 0 || r.ps != nil
	case roleArgs:
		return len(r.args) > 0 || r.ps != nil
	case roleData:
		return r.opts.Buffers
	case rolePath, roleName, roleContainer, roleText, roleSockAddr, roleSockTuple:
		return r.ps != nil
	}
	return false
}

// charbuf applies f to a NUL-terminated parameter, keeping the NUL.
func charbuf(p []byte, f func([]byte) ([]byte, bool)) ([]byte, bool) {
	s := scap.TrimNUL(p)
	ns, ok := f(s)
	if !ok {
		return p, false
	}
	return append(append([]byte{}, ns...), 0), true
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
		if info != nil && i < len(info.Params) {
			if ro := paramRole(info, info.Params[i]); r.active(ro) {
				if np, ok := r.param(ro, p); ok {
					p, changed = np, true
				}
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

// param rewrites one parameter of role ro.
func (r *Redactor) param(ro role, p []byte) ([]byte, bool) {
	switch ro {
	case roleEnv:
		if np := list(p, r.envEntry); np != nil {
			return np, true
		}
	case roleArgs:
		if np := list(p, r.arg); np != nil {
			return np, true
		}
	case roleData:
		if len(p) > 0 {
			r.m.BufferBytes += uint64(len(p))
			return nil, true
		}
	case rolePath:
		return charbuf(p, r.ps.path)
	case roleText:
		return charbuf(p, r.ps.text)
	case roleSockAddr:
		if sa, ok := scap.ParseSockAddr(p); ok && sa.Family == scap.AFUnix {
			if np, ok := r.ps.path(sa.Path); ok {
				return scap.AppendSockAddrUnix(nil, string(np)), true
			}
		}
	case roleSockTuple:
		if st, ok := scap.ParseSockTuple(p); ok && st.Family == scap.AFUnix {
			if np, ok := r.ps.path(st.Path); ok {
				return scap.AppendSockTupleUnix(nil, st.SrcPtr, st.DstPtr, string(np)), true
			}
		}
	case roleName:
		return charbuf(p, func(s []byte) ([]byte, bool) {
			if n := r.ps.name(string(s)); n != string(s) {
				return []byte(n), true
			}
			return s, false
		})
	case roleContainer:
		return charbuf(p, func(s []byte) ([]byte, bool) {
			c, err := container.ParseJSON(s)
			if err != nil || !r.mounts(c) {
				return s, false
			}
			return c.AppendJSON(nil), true
		})
	}
	return p, false
}

// mounts replaces the paths of the container's mounts and reports whether
// one changed.
func (r *Redactor) mounts(c *container.Info) bool {
	changed := false
	for i := range c.Mounts {
		m := &c.Mounts[i]
		src, dst := r.ps.pathString(m.Source), r.ps.pathString(m.Dest)
		changed = changed || src != m.Source || dst != m.Dest
		m.Source, m.Dest = src, dst
	}
	if changed {
		c.Finish()
	}
	return changed
}

// LearnHeader is the first pass of pseudonymisation over the header: it
// learns the host, user and home directory names and the paths. It does
// nothing without Pseudonymize.
func (r *Redactor) LearnHeader(h *capture.Header) {
	if r.ps != nil {
		r.ps.learnHeader(h)
	}
}

// LearnEvent is the first pass of pseudonymisation over an event.
func (r *Redactor) LearnEvent(ev *scap.Event) {
	info := ev.Info()
	if r.ps == nil || info == nil {
		return
	}
	var uid, gid uint32
	var name, home string
	idOK := false
	for i := 0; i < ev.NumParams() && i < len(info.Params); i++ {
		pi := info.Params[i]
		p := ev.Param(i)
		switch paramRole(info, pi) {
		case roleText:
			r.ps.learnText(string(scap.TrimNUL(p)))
		case roleSockAddr:
			if sa, ok := scap.ParseSockAddr(p); ok && sa.Family == scap.AFUnix {
				r.ps.learnPath(string(sa.Path))
			}
		case roleSockTuple:
			if st, ok := scap.ParseSockTuple(p); ok && st.Family == scap.AFUnix {
				r.ps.learnPath(string(st.Path))
			}
		case roleEnv, roleArgs:
			for _, e := range bytes.Split(p, []byte{0}) {
				if pi.Name == "env" {
					_, e, _ = bytes.Cut(e, []byte{'='})
				}
				r.ps.learnText(string(e))
			}
		case rolePath:
			if pi.Name == "home" {
				home = string(scap.TrimNUL(p))
			}
			r.ps.learnPath(string(scap.TrimNUL(p)))
		case roleName:
			name = string(scap.TrimNUL(p))
		case roleContainer:
			if c, err := container.ParseJSON(scap.TrimNUL(p)); err == nil {
				for _, m := range c.Mounts {
					r.ps.learnPath(m.Source)
					r.ps.learnPath(m.Dest)
				}
			}
		default:
			if v, ok := ev.ParamUint64(i); ok && (pi.Name == "uid" || pi.Name == "gid") {
				if pi.Name == "uid" {
					uid = uint32(v)
				} else {
					gid = uint32(v)
				}
				idOK = true
			}
		}
	}
	switch {
	case !idOK || name == "":
	case info.Name == "groupadded" || info.Name == "groupdeleted":
		r.ps.learnGroup(name, gid)
	default:
		r.ps.learnUser(name, uid, home)
	}
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

// Header redacts the header in place: the process list's environments
// and arguments, and with Pseudonymize the names and paths of its tables.
func (r *Redactor) Header(h *capture.Header) {
	for i := range h.Processes {
		p := &h.Processes[i]
		r.Strings(p.Env, true)
		r.Strings(p.Args, false)
	}
	ps := r.ps
	if ps == nil {
		return
	}
	if h.Machine != nil {
		h.Machine.Hostname = ps.name(h.Machine.Hostname)
	}
	for i := range h.Users {
		u := &h.Users[i]
		u.Name = ps.name(u.Name)
		u.HomeDir, u.Shell = ps.pathString(u.HomeDir), ps.pathString(u.Shell)
	}
	for i := range h.Groups {
		g := &h.Groups[i]
		g.Name = ps.name(g.Name)
	}
	for i := range h.Processes {
		p := &h.Processes[i]
		p.Exe, p.ExePath = ps.textString(p.Exe), ps.pathString(p.ExePath)
		p.Cwd, p.Root = ps.pathString(p.Cwd), ps.pathString(p.Root)
	}
	for i := range h.FDs {
		for j := range h.FDs[i].FDs {
			if fd := &h.FDs[i].FDs[j]; pathFD(fd.Type) {
				fd.Name = ps.pathString(fd.Name)
			}
		}
	}
}

// Metadata redacts the metadata in place: the command line's arguments,
// and with Pseudonymize the host name and container mounts. Slices are
// copied before they are changed.
func (r *Redactor) Metadata(md *capture.Metadata) {
	md.CommandLine = append([]string(nil), md.CommandLine...)
	r.Strings(md.CommandLine, false)
	md.Redaction = r.previous(md.Redaction)
	if r.ps == nil {
		return
	}
	md.Hostname = r.ps.name(md.Hostname)
	md.Containers = append([]capture.Container(nil), md.Containers...)
	for i := range md.Containers {
		c := &md.Containers[i]
		c.Mounts = append([]container.Mount(nil), c.Mounts...)
		r.mounts(c)
	}
}

// previous returns a copy of p, the manifest chain of an input that was
// itself redacted, with the file names it holds pseudonymised as the
// copy's own source is.
func (r *Redactor) previous(p *capture.Redaction) *capture.Redaction {
	if p == nil {
		return nil
	}
	c := *p
	if r.ps != nil {
		c.Source = r.ps.textString(c.Source)
	}
	c.Previous = r.previous(p.Previous)
	return &c
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
		if r.active(paramRole(info, p)) {
			return true
		}
	}
	return false
}
