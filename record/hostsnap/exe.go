//go:build linux

package hostsnap

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// creds are the credentials a write-permission check uses (from
// /proc/PID/status: the fourth Uid/Gid column is the fs id).
type creds struct {
	fsuid, fsgid uint32
	groups       []uint32
	capEff       uint64
}

// fileFacts are what a write-permission check needs to know of a file.
type fileFacts struct {
	mode       uint32
	uid, gid   uint32
	readOnlyFS bool
	immutable  bool
}

// capDacOverride is CAP_DAC_OVERRIDE's bit in a capability set.
const capDacOverride = 1 << 1

// writable tells whether a task with credentials c could write the file, as
// the BPF side decides PPM_EXE_WRITABLE for execve exits: never on a
// read-only filesystem or an immutable file; always for the owner (who may
// chmod it) and with CAP_DAC_OVERRIDE; otherwise by the group write bit
// (fs gid or a supplementary group) or the other write bit. POSIX ACLs are
// not consulted.
func writable(f fileFacts, c creds) bool {
	switch {
	case f.readOnlyFS, f.immutable:
		return false
	case f.uid == c.fsuid, c.capEff&capDacOverride != 0:
		return true
	case f.gid == c.fsgid:
		return f.mode&0o020 != 0
	}
	for _, g := range c.groups {
		if g == f.gid {
			return f.mode&0o020 != 0
		}
	}
	return f.mode&0o002 != 0
}

// statusCreds reads the credentials from /proc/PID/status key/values.
func statusCreds(status map[string]string) creds {
	var c creds
	col := func(key string) uint32 {
		v := strings.Fields(status[key])
		if len(v) < 4 {
			return 0xffffffff
		}
		n, err := strconv.ParseUint(v[3], 10, 32)
		if err != nil {
			return 0xffffffff
		}
		return uint32(n)
	}
	c.fsuid, c.fsgid = col("Uid"), col("Gid")
	for _, g := range strings.Fields(status["Groups"]) {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			c.groups = append(c.groups, uint32(n))
		}
	}
	c.capEff = hexU64(status["CapEff"])
	return c
}

// exeWritable tells whether the process whose /proc directory is dir could
// write its executable, whose stat is st.
func exeWritable(dir string, st *unix.Stat_t, c creds) bool {
	exe := filepath.Join(dir, "exe")
	f := fileFacts{mode: st.Mode, uid: st.Uid, gid: st.Gid}
	var sfs unix.Statfs_t
	if unix.Statfs(exe, &sfs) == nil && sfs.Flags&unix.ST_RDONLY != 0 {
		f.readOnlyFS = true
	}
	var stx unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, exe, 0, unix.STATX_BASIC_STATS, &stx) == nil && stx.Attributes&unix.STATX_ATTR_IMMUTABLE != 0 {
		f.immutable = true
	}
	return writable(f, c)
}

// overlayMount is an overlayfs mount of a process's mount table.
type overlayMount struct {
	point    string // mount point, as the process sees it
	upperDir string // upperdir option (a path in the mounter's namespace)
}

// mountFor returns the overlayfs mount holding the path p (as the process
// sees it) per the process's mountinfo, and whether the mount holding p is
// an overlay at all.
func mountFor(mountinfo []byte, p string) (overlayMount, bool) {
	best, bestLen, isOverlay := overlayMount{}, -1, false
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f := strings.Fields(pre)
		g := strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		point := unescapeMount(f[4])
		if !underMount(p, point) || len(point) < bestLen {
			continue
		}
		// A later mount on the same point hides an earlier one.
		best, bestLen, isOverlay = overlayMount{point: point}, len(point), g[0] == "overlay"
		if isOverlay {
			for _, o := range strings.Split(g[2], ",") {
				if v, ok := strings.CutPrefix(o, "upperdir="); ok {
					best.upperDir = unescapeMount(v)
				}
			}
		}
	}
	return best, isOverlay
}

// underMount tells whether path p lies at or below mount point m.
func underMount(p, m string) bool {
	return m == "/" || p == m || strings.HasPrefix(p, m+"/")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space etc.).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// exeLayer tells whether the executable exePath (as the process whose
// /proc directory is dir sees it) lives in an overlayfs upper layer (a
// file created or copied up in the container) or a lower one (the image).
// Both are false when it is not on overlayfs or cannot be told.
func exeLayer(dir, exePath string) (upper, lower bool) {
	if exePath == "" || !strings.HasPrefix(exePath, "/") || strings.HasSuffix(exePath, " (deleted)") {
		return false, false
	}
	mi, err := os.ReadFile(filepath.Join(dir, "mountinfo"))
	if err != nil {
		return false, false
	}
	m, ok := mountFor(mi, exePath)
	if !ok {
		return false, false
	}
	if m.upperDir == "" {
		return false, true // a read-only overlay: lower layers only
	}
	rel := strings.TrimPrefix(path.Clean(exePath), m.point)
	var st unix.Stat_t
	// The upper layer holds the file itself (a whiteout would be a 0/0
	// character device, and a whiteout is never executed).
	if unix.Lstat(filepath.Join(m.upperDir, rel), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		return true, false
	}
	return false, true
}
