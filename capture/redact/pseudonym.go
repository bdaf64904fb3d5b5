package redact

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"

	"github.com/retrace-dev/retrace/capture"
)

// Regular users and groups (ids in this range) are pseudonymised; root,
// system accounts and nobody (65534) are kept.
const (
	firstRegularID = 1000
	lastRegularID  = 60000
)

func regularID(id uint32) bool { return id >= firstRegularID && id <= lastRegularID }

// regularUser reports whether a user is a person's account: a regular id,
// or an id from 500 (older distributions' and macOS's first) with a home
// directory below /home.
func regularUser(uid uint32, home string) bool {
	return regularID(uid) || uid >= 500 && uid <= lastRegularID && strings.HasPrefix(home, "/home/")
}

// pseudonyms decides what to replace and makes the pseudonyms: it learns
// names in a first pass over the capture (learn*), then judges words and
// path components by their text alone (docs/FORMAT.md, "Pseudonyms").
type pseudonyms struct {
	kinds Kinds
	mac   hash.Hash
	// hosts and users are the names replaced as words and components;
	// homes the home directories' names; below the non-dot components
	// seen below a home directory, elsewhere those seen outside one.
	hosts, users, homes map[string]bool
	below, elsewhere    map[string]bool
	// memo maps an original to its pseudonym, owner a pseudonym (without
	// extension) to its original, to catch collisions.
	memo, owner map[string]string
	// names are the host and user names, longest first, matched inside
	// words; made at the first replacement, after learning. components
	// memoises path components' replacements.
	names        []string
	components   map[string]string
	distinct     [3]uint64 // users, hosts, paths
	replacements uint64
	err          error
}

func newPseudonyms(k Kinds, key []byte) *pseudonyms {
	return &pseudonyms{
		kinds: k, mac: hmac.New(sha256.New, key),
		hosts: map[string]bool{}, users: map[string]bool{}, homes: map[string]bool{},
		below: map[string]bool{}, elsewhere: map[string]bool{},
		memo: map[string]string{}, owner: map[string]string{}, components: map[string]string{},
	}
}

// learnHost records a host name (and its first label).
func (p *pseudonyms) learnHost(h string) {
	if !p.kinds.Hosts || h == "" || h == "localhost" || h == "(none)" {
		return
	}
	p.hosts[h] = true
	if i := strings.IndexByte(h, '.'); i > 0 {
		p.hosts[h[:i]] = true
	}
}

// learnUser records a user with its id and home directory.
func (p *pseudonyms) learnUser(name string, uid uint32, home string) {
	if p.kinds.Users && name != "" && regularUser(uid, home) {
		p.users[name] = true
	}
	p.learnHome(home, uid)
}

// learnGroup records a group: a regular gid's or a regular user's name.
func (p *pseudonyms) learnGroup(name string, gid uint32) {
	if p.kinds.Users && name != "" && regularID(gid) {
		p.users[name] = true
	}
}

// learnHome records a user's home directory; a regular user's gives a
// home directory name.
func (p *pseudonyms) learnHome(dir string, uid uint32) {
	if !p.kinds.Paths {
		return
	}
	p.learnPath(dir)
	if !regularUser(uid, dir) {
		return
	}
	if i := strings.LastIndexByte(strings.TrimRight(dir, "/"), '/'); i >= 0 {
		if c := strings.TrimRight(dir, "/")[i+1:]; keepable(c) {
			p.homes[c] = true
		}
	}
}

// keepable reports whether c is a component that can be replaced at all.
func keepable(c string) bool { return c != "" && c != "." && c != ".." }

// kernelTree reports whether the absolute path lies below /proc, /sys or
// /dev, which are kept whole.
func kernelTree(path string) bool {
	for _, t := range []string{"/proc", "/sys", "/dev"} {
		if strings.HasPrefix(path, t) && (len(path) == len(t) || path[len(t)] == '/') {
			return true
		}
	}
	return false
}

// learnPath records the components of an absolute path: the home
// directory's name, the private candidates below it and what is seen
// elsewhere.
func (p *pseudonyms) learnPath(path string) {
	if !p.kinds.Paths || !strings.HasPrefix(path, "/") {
		return
	}
	comps := strings.Split(path[1:], "/")
	start, home := len(comps), -1 // first component below a home directory, the home's name
	switch {
	case kernelTree(path):
	case comps[0] == "root":
		start = 1
	default:
		// A home below another root (a container's overlay, a chroot)
		// counts too: .../merged/home/NAME.
		for i, c := range comps[:len(comps)-1] {
			if c == "home" && keepable(comps[i+1]) && !strings.HasPrefix(comps[i+1], ".") {
				home, start = i+1, i+2
				p.homes[comps[i+1]] = true
				break
			}
		}
	}
	dot := false
	for i, c := range comps {
		if !keepable(c) || i == home {
			continue
		}
		if i >= start && strings.HasPrefix(c, ".") {
			dot = true
		}
		if i >= start && !dot {
			p.below[c] = true
		} else {
			p.elsewhere[c] = true
		}
	}
}

// learnText records the absolute paths among the words of free text.
func (p *pseudonyms) learnText(s string) {
	if !p.kinds.Paths {
		return
	}
	eachWord([]byte(s), func(w []byte) {
		if w[0] == '/' {
			p.learnPath(string(w))
		}
	})
}

// kind returns the kind letter of a replaced component or word (0 when
// it is kept); component says whether it is a path component. A home
// directory's name or a private component also seen outside home
// directories (/home/syslog and /var/log/syslog) is kept.
func (p *pseudonyms) kind(s string, component bool) byte {
	switch {
	case p.hosts[s]:
		return 'h'
	case p.users[s]:
		return 'u'
	case !component || p.elsewhere[s]:
		return 0
	case p.homes[s]:
		return 'u'
	case p.below[s]:
		return 'p'
	}
	return 0
}

// alnum reports whether c is an ASCII letter or digit (or part of a
// UTF-8 sequence): a host or user name inside a word is bounded by other
// bytes.
func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// inWord replaces the host and user names inside w that are bounded by
// non-alphanumeric bytes ("S-alice", "13750.pts-0.web1").
func (p *pseudonyms) inWord(w string) (string, bool) {
	if p.names == nil {
		p.names = []string{}
		for n := range p.hosts {
			p.names = append(p.names, n)
		}
		for n := range p.users {
			p.names = append(p.names, n)
		}
		sort.Slice(p.names, func(i, j int) bool {
			a, b := p.names[i], p.names[j]
			return len(a) > len(b) || len(a) == len(b) && a < b
		})
	}
	if len(p.names) == 0 {
		return w, false
	}
	var out []byte
	last := 0
	for i := 0; i < len(w); i++ {
		if i > 0 && alnum(w[i-1]) {
			continue
		}
		for _, n := range p.names {
			if strings.HasPrefix(w[i:], n) && (i+len(n) == len(w) || !alnum(w[i+len(n)])) {
				out = append(out, w[last:i]...)
				out = append(out, p.replace(n, p.kind(n, false))...)
				i += len(n) - 1
				last = i + 1
				break
			}
		}
	}
	if out == nil {
		return w, false
	}
	return string(append(out, w[last:]...)), true
}

// judge returns the replacement of a whole word or path component, and
// whether it changed.
func (p *pseudonyms) judge(s string, component bool) (string, bool) {
	if !keepable(s) {
		return s, false
	}
	if component {
		if r, ok := p.components[s]; ok {
			if r != s {
				p.replacements++
			}
			return r, r != s
		}
	}
	r, ok := s, false
	if k := p.kind(s, component); k != 0 {
		r, ok = p.replace(s, k), true
	} else {
		r, ok = p.inWord(s)
	}
	if component {
		p.components[s] = r
	}
	return r, ok
}

// replace returns the pseudonym of s, of the given kind.
func (p *pseudonyms) replace(s string, kind byte) string {
	p.replacements++
	if ps, ok := p.memo[s]; ok {
		return ps
	}
	p.mac.Reset()
	p.mac.Write([]byte(s))
	stem := string(kind) + "-" + hex.EncodeToString(p.mac.Sum(nil)[:6])
	ps := stem
	if kind == 'p' {
		ps += extension(s)
	}
	if o, ok := p.owner[stem]; ok && o != s && p.err == nil {
		p.err = fmt.Errorf("pseudonymize: %q and %q have the same pseudonym %s; use another key", o, s, stem)
	}
	p.owner[stem] = s
	p.memo[s] = ps
	switch kind {
	case 'u':
		p.distinct[0]++
	case 'h':
		p.distinct[1]++
	default:
		p.distinct[2]++
	}
	return ps
}

// extension returns the component's extension (".txt") when it has one
// of 1 to 5 letters or digits after a non-empty stem, else "".
func extension(c string) string {
	i := strings.LastIndexByte(c, '.')
	if i <= 0 || len(c)-i-1 < 1 || len(c)-i-1 > 5 {
		return ""
	}
	for _, b := range []byte(c[i+1:]) {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return ""
		}
	}
	return c[i:]
}

// path returns the path with its replaced components, and whether it
// changed. Components seen before cost a map look-up and no allocation.
func (p *pseudonyms) path(b []byte) ([]byte, bool) {
	if len(b) == 0 || (b[0] == '/' && kernelTree(string(b))) {
		return b, false
	}
	var out []byte
	changed := false
	for start := 0; start <= len(b); {
		end := bytes.IndexByte(b[start:], '/')
		if end < 0 {
			end = len(b)
		} else {
			end += start
		}
		c := b[start:end]
		r, seen := p.components[string(c)]
		ok := seen && r != string(c)
		if seen && ok {
			p.replacements++
		} else if !seen {
			r, ok = p.judge(string(c), true)
		}
		if ok && !changed {
			out = append(make([]byte, 0, len(b)+16), b[:start]...)
			changed = true
		}
		if changed {
			if ok {
				out = append(out, r...)
			} else {
				out = append(out, c...)
			}
			if end < len(b) {
				out = append(out, '/')
			}
		}
		start = end + 1
	}
	if !changed {
		return b, false
	}
	return out, true
}

// pathString is path for strings.
func (p *pseudonyms) pathString(s string) string {
	if b, ok := p.path([]byte(s)); ok {
		return string(b)
	}
	return s
}

// wordByte reports whether c belongs to a word of free text.
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 ||
		c == '.' || c == '_' || c == '-' || c == '~' || c == '+' || c == '/'
}

// eachWord calls f with each word of s.
func eachWord(s []byte, f func(w []byte)) {
	for i := 0; i < len(s); {
		if !wordByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && wordByte(s[j]) {
			j++
		}
		f(s[i:j])
		i = j
	}
}

// text returns free text with its words judged, and whether it changed.
func (p *pseudonyms) text(s []byte) ([]byte, bool) {
	var out []byte
	changed := false
	last := 0
	eachWord(s, func(w []byte) {
		var nw []byte
		ok := false
		if bytes.IndexByte(w, '/') >= 0 {
			nw, ok = p.path(w)
		} else if r, changed := p.judge(string(w), false); changed {
			nw, ok = []byte(r), true
		}
		if !ok {
			return
		}
		off := cap(s) - cap(w) // w is s[off:off+len(w)]
		out = append(out, s[last:off]...)
		out = append(out, nw...)
		last = off + len(w)
		changed = true
	})
	if !changed {
		return s, false
	}
	return append(out, s[last:]...), true
}

// textString is text for strings.
func (p *pseudonyms) textString(s string) string {
	if b, ok := p.text([]byte(s)); ok {
		return string(b)
	}
	return s
}

// name returns a user, group or host name's replacement.
func (p *pseudonyms) name(s string) string {
	if k := p.kind(s, false); k != 0 && keepable(s) {
		return p.replace(s, k)
	}
	return s
}

// learnHeader records the names and paths of the header's tables.
func (p *pseudonyms) learnHeader(h *capture.Header) {
	if h.Machine != nil {
		p.learnHost(h.Machine.Hostname)
	}
	if h.Metadata != nil {
		p.learnHost(h.Metadata.Hostname)
	}
	for _, u := range h.Users {
		p.learnUser(u.Name, u.UID, u.HomeDir)
		p.learnPath(u.Shell)
	}
	for _, g := range h.Groups {
		p.learnGroup(g.Name, g.GID)
	}
	for _, pr := range h.Processes {
		for _, s := range []string{pr.ExePath, pr.Cwd, pr.Root} {
			p.learnPath(s)
		}
		p.learnText(pr.Exe)
		for _, a := range pr.Args {
			p.learnText(a)
		}
		for _, e := range pr.Env {
			if _, v, ok := strings.Cut(e, "="); ok {
				p.learnText(v)
			}
		}
	}
	for _, l := range h.FDs {
		for _, fd := range l.FDs {
			if pathFD(fd.Type) {
				p.learnPath(fd.Name)
			}
		}
	}
	if h.Metadata != nil {
		p.learnMetadata(h.Metadata)
	}
}

// learnMetadata records the metadata's command line and container mounts.
func (p *pseudonyms) learnMetadata(md *capture.Metadata) {
	for _, a := range md.CommandLine {
		p.learnText(a)
	}
	for _, c := range md.Containers {
		for _, m := range c.Mounts {
			p.learnPath(m.Source)
			p.learnPath(m.Dest)
		}
	}
}

// pathFD reports whether fds of type t are named by a path.
func pathFD(t uint8) bool {
	switch t {
	case capture.FDFile, capture.FDDirectory, capture.FDFifo, capture.FDUnixSock, capture.FDFileV2:
		return true
	}
	return false
}
