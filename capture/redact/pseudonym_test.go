package redact

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
)

var testKey = bytes.Repeat([]byte{7}, KeySize)

// pn is the pseudonym docs/FORMAT.md specifies, computed independently of
// the implementation: kind, "-", the first 6 bytes of HMAC-SHA256(key, s)
// in hex, and for kind p the extension.
func pn(kind byte, s, ext string) string {
	m := hmac.New(sha256.New, testKey)
	m.Write([]byte(s))
	return string(kind) + "-" + hex.EncodeToString(m.Sum(nil)[:6]) + ext
}

// testHeader is a capture header of host web1.corp.example with a
// regular user alice (uid 1000), root and a system user.
func testHeader() *capture.Header {
	return &capture.Header{
		Machine: &capture.MachineInfo{Hostname: "web1.corp.example"},
		Users: []capture.User{
			{UID: 0, GID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"},
			{UID: 2, GID: 2, Name: "bin", HomeDir: "/bin", Shell: "/usr/sbin/nologin"},
			{UID: 1000, GID: 1000, Name: "alice", HomeDir: "/home/alice", Shell: "/bin/bash"},
			{UID: 65534, GID: 65534, Name: "nobody", HomeDir: "/nonexistent", Shell: "/usr/sbin/nologin"},
			{UID: 104, GID: 110, Name: "syslog", HomeDir: "/home/syslog", Shell: "/usr/sbin/nologin"},
			{UID: 501, GID: 501, Name: "mstemm", HomeDir: "/home/mstemm", Shell: "/bin/bash"},
		},
		Groups: []capture.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "alice"}, {GID: 1001, Name: "devs"}},
		Processes: []capture.Process{
			{TID: 1, Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cwd: "/", Root: "/"},
			{TID: 7, Exe: "/home/alice/bin/sync-tool", ExePath: "/home/alice/bin/sync-tool", Cwd: "/home/alice/projects",
				Root: "/", Args: []string{"--host", "web1", "--out=/home/alice/projects/plan.txt"},
				Env: []string{"USER=alice", "HOME=/home/alice", "PATH=/home/alice/bin:/usr/bin", "HOSTNAME=web1.corp.example"}},
			{TID: 8, Exe: "/usr/bin/id", ExePath: "/usr/bin/id", Cwd: "/proc/sys/vm", Root: "/"},
			{TID: 9, Exe: "sshd: mstemm@pts/0", ExePath: "/usr/sbin/sshd", Cwd: "/", Root: "/"},
		},
		FDs: []capture.FDList{{TID: 7, FDs: []capture.FD{
			{Num: 3, Type: capture.FDFile, Name: "/home/alice/.ssh/id_rsa"},
			{Num: 4, Type: capture.FDFile, Name: "/root/customers.csv"},
			{Num: 5, Type: capture.FDFile, Name: "/etc/shadow"},
			{Num: 6, Type: capture.FDFile, Name: "/home/alice/id"},
			{Num: 7, Type: capture.FDIPv4Sock, Name: "10.0.0.1:22->10.0.0.2:4000"},
			{Num: 8, Type: capture.FDFile, Name: "/var/log/syslog"},
			{Num: 9, Type: capture.FDUnixSock, Name: "/run/screen/S-mstemm/13750.pts-0.web1"},
		}}},
		Metadata: &capture.Metadata{Hostname: "web1.corp.example", CommandLine: []string{"retrace", "record", "-o", "/home/alice/web1.scap.zst"},
			Containers: []capture.Container{{ID: "abc", Mounts: []container.Mount{{Source: "/home/alice/projects", Dest: "/src"}}}}},
	}
}

func newPseudonymRedactor(t *testing.T, k Kinds) *Redactor {
	t.Helper()
	r, err := New(Options{Pseudonymize: k, PseudonymKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	r.LearnHeader(testHeader())
	return r
}

// TestPseudonymHeader pseudonymises a header's tables: regular users'
// names and home directories, the host name, private path components,
// with system names, system paths, dot-files and kernel trees kept.
func TestPseudonymHeader(t *testing.T) {
	r := newPseudonymRedactor(t, Kinds{Users: true, Hosts: true, Paths: true})
	h := testHeader()
	r.Header(h)
	md := *h.Metadata
	r.Metadata(&md)
	alice, host, short, mstemm := pn('u', "alice", ""), pn('h', "web1.corp.example", ""), pn('h', "web1", ""), pn('u', "mstemm", "")
	plan, projects, syncTool, customers := pn('p', "plan.txt", ".txt"), pn('p', "projects", ""), pn('p', "sync-tool", ""), pn('p', "customers.csv", ".csv")
	if h.Machine.Hostname != host || md.Hostname != host {
		t.Errorf("host names %q, %q; want %q", h.Machine.Hostname, md.Hostname, host)
	}
	wantUsers := []capture.User{
		{UID: 0, GID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"},
		{UID: 2, GID: 2, Name: "bin", HomeDir: "/bin", Shell: "/usr/sbin/nologin"},
		{UID: 1000, GID: 1000, Name: alice, HomeDir: "/home/" + alice, Shell: "/bin/bash"},
		{UID: 65534, GID: 65534, Name: "nobody", HomeDir: "/nonexistent", Shell: "/usr/sbin/nologin"},
		{UID: 104, GID: 110, Name: "syslog", HomeDir: "/home/syslog", Shell: "/usr/sbin/nologin"},
		{UID: 501, GID: 501, Name: mstemm, HomeDir: "/home/" + mstemm, Shell: "/bin/bash"},
	}
	if d := cmp.Diff(wantUsers, h.Users); d != "" {
		t.Errorf("users (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]capture.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: alice}, {GID: 1001, Name: pn('u', "devs", "")}}, h.Groups); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	p := h.Processes[1]
	want := capture.Process{TID: 7, Exe: "/home/" + alice + "/bin/" + syncTool, ExePath: "/home/" + alice + "/bin/" + syncTool,
		Cwd: "/home/" + alice + "/" + projects, Root: "/",
		Args: []string{"--host", short, "--out=/home/" + alice + "/" + projects + "/" + plan},
		Env:  []string{"USER=" + alice, "HOME=/home/" + alice, "PATH=/home/" + alice + "/bin:/usr/bin", "HOSTNAME=" + host}}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("process (-want +got):\n%s", d)
	}
	if d := cmp.Diff(testHeader().Processes[2], h.Processes[2]); d != "" {
		t.Errorf("system process changed (-want +got):\n%s", d)
	}
	if got, want := h.Processes[3].Exe, "sshd: "+mstemm+"@pts/0"; got != want {
		t.Errorf("argv[0] %q, want %q", got, want)
	}
	var names []string
	for _, fd := range h.FDs[0].FDs {
		names = append(names, fd.Name)
	}
	wantNames := []string{"/home/" + alice + "/.ssh/id_rsa", "/root/" + customers, "/etc/shadow", "/home/" + alice + "/id", "10.0.0.1:22->10.0.0.2:4000",
		"/var/log/syslog", "/run/screen/S-" + mstemm + "/13750.pts-0." + short}
	if d := cmp.Diff(wantNames, names); d != "" {
		t.Errorf("fd names (-want +got):\n%s", d)
	}
	if got, want := md.CommandLine[3], "/home/"+alice+"/"+host; got != want && got != "/home/"+alice+"/"+pn('p', "web1.scap.zst", ".zst") {
		t.Errorf("command line output %q", got)
	}
	if got := md.Containers[0].Mounts[0].Source; got != "/home/"+alice+"/"+projects {
		t.Errorf("mount source %q", got)
	}
	if testHeader().Metadata.Containers[0].Mounts[0].Source != "/home/alice/projects" {
		t.Error("Metadata changed the original's containers")
	}
	m := r.Manifest()
	if m.Pseudonyms == nil || m.Pseudonyms.Users != 3 || m.Pseudonyms.Hosts != 2 || m.PseudonymKey != "file" ||
		m.PseudonymKeyID != KeyID(testKey) || !cmp.Equal(m.Pseudonymize, []string{"users", "hosts", "paths"}) {
		t.Errorf("manifest %+v (pseudonyms %+v)", m, m.Pseudonyms)
	}
}

// TestPseudonymKinds checks that each kind replaces only its own names.
func TestPseudonymKinds(t *testing.T) {
	in := "/home/alice/projects/plan.txt web1 alice /var/mail/alice"
	alice, projects, plan, short := pn('u', "alice", ""), pn('p', "projects", ""), pn('p', "plan.txt", ".txt"), pn('h', "web1", "")
	for _, tc := range []struct {
		kinds Kinds
		want  string
	}{
		{Kinds{Users: true}, "/home/" + alice + "/projects/plan.txt web1 " + alice + " /var/mail/" + alice},
		{Kinds{Hosts: true}, "/home/alice/projects/plan.txt " + short + " alice /var/mail/alice"},
		{Kinds{Paths: true}, "/home/" + alice + "/" + projects + "/" + plan + " web1 alice /var/mail/" + alice},
		{Kinds{Users: true, Hosts: true, Paths: true}, "/home/" + alice + "/" + projects + "/" + plan + " " + short + " " + alice + " /var/mail/" + alice},
	} {
		t.Run(strings.Join(tc.kinds.List(), ","), func(t *testing.T) {
			r := newPseudonymRedactor(t, tc.kinds)
			if got := r.ps.textString(in); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestPseudonymRelativePaths checks that a relative path and the
// directory it is relative to are replaced alike, and that kernel trees,
// dot-files and system names are kept.
func TestPseudonymRelativePaths(t *testing.T) {
	r := newPseudonymRedactor(t, Kinds{Paths: true})
	r.ps.learnPath("/var/lib/containers/storage/overlay/abc/merged/home/carol/notes")
	alice, projects, plan := pn('u', "alice", ""), pn('p', "projects", ""), pn('p', "plan.txt", ".txt")
	carol, notes := pn('u', "carol", ""), pn('p', "notes", "")
	for in, want := range map[string]string{
		"/var/lib/containers/storage/overlay/abc/merged/home/carol/notes": "/var/lib/containers/storage/overlay/abc/merged/home/" + carol + "/" + notes,
		"/home/carol/notes":          "/home/" + carol + "/" + notes,
		"projects/plan.txt":          projects + "/" + plan,
		"../alice/./projects":        "../" + alice + "/./" + projects,
		"/home/alice/.aws/plan.txt":  "/home/" + alice + "/.aws/" + plan,
		"/proc/sys/vm/alice":         "/proc/sys/vm/alice",
		"/dev/alice":                 "/dev/alice",
		"/etc/shadow":                "/etc/shadow",
		"/bin/sh":                    "/bin/sh",
		"/tmp/retrace-dropped/id":    "/tmp/retrace-dropped/id",
		"/home/alice/bin/":           "/home/" + alice + "/bin/",
		"/root/.ssh/authorized_keys": "/root/.ssh/authorized_keys",
		"":                           "",
	} {
		if got := r.ps.pathString(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

// TestPseudonymEvents pseudonymises events: path parameters, arguments,
// environments, user events and container mounts, after the first pass
// learnt them from the events alone.
func TestPseudonymEvents(t *testing.T) {
	openat := scap.AppendEvent(nil, 1, 7, scap.SyscallOpenatV2X, scap.EncInt64(3), scap.EncInt64(-100), []byte("/home/bob/thesis/draft.tex\x00"),
		scap.EncUint32(0), scap.EncUint32(0), scap.EncUint32(0), scap.EncUint64(0))
	user := scap.AppendEvent(nil, 2, 7, scap.UserAddedE, scap.EncUint32(1002), scap.EncUint32(1002), []byte("bob\x00"),
		[]byte("/home/bob\x00"), []byte("/bin/sh\x00"), []byte("\x00"))
	c := container.Info{ID: "0123456789ab", Name: "dev", Mounts: []container.Mount{{Source: "/home/bob/thesis", Dest: "/work"}}}
	cont := c.AppendEvent(nil, 3)
	connect := scap.AppendEvent(nil, 4, 7, scap.SocketConnectX, scap.EncInt64(0), scap.EncSockTupleUnix(1, 2, "/home/bob/.gnupg/S.gpg-agent"),
		scap.EncInt64(3), scap.EncSockAddrUnix("/run/user/S-bob/sock"))
	var decoded [4]*scap.Event
	r, err := New(Options{Pseudonymize: Kinds{Users: true, Paths: true}, PseudonymKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range [][]byte{openat, user, cont, connect} {
		decoded[i] = decode(t, raw)
		r.LearnEvent(decoded[i])
	}
	bob, thesis, draft := pn('u', "bob", ""), pn('p', "thesis", ""), pn('p', "draft.tex", ".tex")
	out, _ := r.Event(decoded[0])
	if got, want := param(t, out, "name"), "/home/"+bob+"/"+thesis+"/"+draft+"\x00"; got != want {
		t.Errorf("openat name %q, want %q", got, want)
	}
	out, _ = r.Event(decoded[1])
	if got := param(t, out, "name"); got != bob+"\x00" {
		t.Errorf("useradded name %q", got)
	}
	if got := param(t, out, "home"); got != "/home/"+bob+"\x00" {
		t.Errorf("useradded home %q", got)
	}
	out, _ = r.Event(decoded[3])
	if st, ok := scap.ParseSockTuple([]byte(param(t, out, "tuple"))); !ok || string(st.Path) != "/home/"+bob+"/.gnupg/S.gpg-agent" || st.SrcPtr != 1 || st.DstPtr != 2 {
		t.Errorf("connect tuple %+v", st)
	}
	if sa, ok := scap.ParseSockAddr([]byte(param(t, out, "addr"))); !ok || string(sa.Path) != "/run/user/S-"+bob+"/sock" {
		t.Errorf("connect addr %+v", sa)
	}
	out, _ = r.Event(decoded[2])
	ci, ok := container.FromEvent(decode(t, out))
	if !ok || ci.Mounts[0].Source != "/home/"+bob+"/"+thesis || ci.Mounts[0].Dest != "/work" {
		t.Errorf("container mounts %+v", ci)
	}
}

// TestPseudonymRandomKey checks that without a key two redactors give
// different pseudonyms, and with one key the same.
func TestPseudonymRandomKey(t *testing.T) {
	get := func(key []byte) string {
		r, err := New(Options{Pseudonymize: Kinds{Users: true}, PseudonymKey: key})
		if err != nil {
			t.Fatal(err)
		}
		r.LearnHeader(testHeader())
		return r.ps.name("alice")
	}
	if a, b := get(nil), get(nil); a == b || !strings.HasPrefix(a, "u-") {
		t.Errorf("random keys give %q and %q", a, b)
	}
	if a, b := get(testKey), get(testKey); a != b {
		t.Errorf("one key gives %q and %q", a, b)
	}
}

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"users,hosts,paths", "users,hosts,paths", ""},
		{"paths, users", "users,paths", ""},
		{"hosts", "hosts", ""},
		{"", "", "empty list"},
		{"users,,paths", "", "empty entry 2"},
		{"usrs", "", `unknown kind "usrs" (entry 1) (did you mean "users"?); kinds: users, hosts, paths`},
		{"users,host", "", `unknown kind "host" (entry 2) (did you mean "hosts"?)`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			k, err := ParseKinds(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(k.List(), ","); got != tc.want {
				t.Errorf("kinds %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("0a", KeySize)
	for _, tc := range []struct {
		name, in, err string
	}{
		{"bare", hexKey + "\n", ""},
		{"comments", "# incident 42\n\n  " + hexKey + "  \n# end\n", ""},
		{"empty", "", "no key"},
		{"short", "abcd\n", "line 1: key of 4 characters, want 64 hex digits"},
		{"not hex", "# x\n" + strings.Repeat("zz", KeySize), "line 2: key is not hex"},
		{"two keys", hexKey + "\n" + hexKey, "line 2: a second key (the first is on line 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{10}, KeySize)) {
				t.Fatalf("key %x, err %v", k, err)
			}
		})
	}
}

// TestLoadKey creates a key file, reads it back, and checks its mode.
func TestLoadKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incident.key")
	k1, created, err := LoadKey(path)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("create: %x %v %v", k1, created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v", fi.Mode(), err)
	}
	k2, created, err := LoadKey(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("read back: %x %v %v", k2, created, err)
	}
	if err := os.WriteFile(path, []byte("nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadKey(path); err == nil || !strings.Contains(err.Error(), path+": line 1") {
		t.Errorf("bad key file: %v", err)
	}
	if KeyID(testKey) == KeyID(k1) || len(KeyID(testKey)) != 16 {
		t.Errorf("key ids %s %s", KeyID(testKey), KeyID(k1))
	}
}
