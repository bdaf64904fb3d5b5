package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// awsKeyID is the --arg pattern of the acceptance test: the fake AWS key
// id credentials-read writes.
const awsKeyID = `AKIA[A-Z0-9]+`

// TestRedactPseudonymizeAttackTraces is issue 12's acceptance for
// redaction: every attack trace, first given a signed hash chain (a
// converted copy signed with a retrace keygen key, as a recording with
// --sign-key would be), is redacted with --env '*', --arg, --buffers and
// --pseudonymize users,hosts,paths and a signing key. Each copy
//   - fires the same rules as many times as the original, with the
//     built-in rules and with the upstream Falco rules;
//   - holds none of the redacted strings: grep -c on zstd -d's output
//     counts none (names of 4 bytes or more: shorter ones such as the
//     host name "vm" occur by chance in binary fields), and the capture
//     reader finds none as a word of any string of the header or events;
//   - carries a manifest naming the original's last checkpoint (its chain
//     head and key) and the pseudonym key's id;
//   - verifies by its own chain (retrace verify --pubkey: intact) and
//     minisign -V accepts its final checkpoint's signature;
//   - is read by sysdig 0.29.3 after zstd -d, every event, with no
//     redacted name in its user, file or process fields.
func TestRedactPseudonymizeAttackTraces(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(traces) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	dir := t.TempDir()
	prefix := filepath.Join(dir, "k")
	if _, _, err := runRetrace(t, "keygen", prefix); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(prefix + ".key")
	key, err := minisig.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	pseudonymKey := filepath.Join(dir, "incident.pkey")
	upstream := upstreamRuleArgs(t)
	seenKeyIDs, seenHosts := map[string]bool{}, map[string]bool{}
	for _, trace := range traces {
		name := filepath.Base(trace)
		t.Run(name, func(t *testing.T) {
			orig := filepath.Join(dir, name)
			if _, err := capture.ConvertFile(trace, orig, capture.WriterOptions{SignKey: key}); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "redacted-"+name)
			_, stderr, err := runCaptureCLI(t, "redact", orig, out, "--env", "*", "--arg", awsKeyID, "--buffers",
				"--pseudonymize", "users,hosts,paths", "--pseudonym-key", pseudonymKey, "--sign-key", prefix+".key")
			if err != nil {
				t.Fatalf("redact: %v\n%s", err, stderr)
			}
			t.Run("same rules fired", func(t *testing.T) {
				if d := cmp.Diff(firedRules(t, orig), firedRules(t, out)); d != "" {
					t.Errorf("built-in rules fired (-original +redacted):\n%s", d)
				}
				if upstream != nil {
					if d := cmp.Diff(firedRules(t, orig, upstream...), firedRules(t, out, upstream...)); d != "" {
						t.Errorf("upstream Falco rules fired (-original +redacted):\n%s", d)
					}
				}
			})
			plainOrig, plainOut := zstdDecompress(t, orig), zstdDecompress(t, out)
			secrets, homes := redactedStrings(t, orig, plainOrig)
			if len(secrets) < 2 {
				t.Fatalf("only %q to redact in the original", secrets)
			}
			t.Run("no redacted string in zstd -d output", func(t *testing.T) {
				grep := testutil.NeedTool(t, "grep")
				var patterns []string
				for _, s := range secrets {
					if len(s) >= 4 {
						patterns = append(patterns, s)
					}
				}
				for _, h := range homes {
					patterns = append(patterns, "home/"+h)
				}
				for _, s := range patterns {
					c, _ := exec.Command(grep, "-c", "-a", "-F", "--", s, plainOut).Output()
					if n := strings.TrimSpace(string(c)); n != "0" {
						t.Errorf("grep -c %q: %s lines", s, n)
					}
				}
			})
			t.Run("no redacted string through the capture reader", func(t *testing.T) {
				forCaptureWords(t, out, func(where, w string, inPath bool) {
					if slicesContains(secrets, w) || inPath && slicesContains(homes, w) {
						t.Errorf("%s holds %q", where, w)
					}
				})
			})
			t.Run("manifest", func(t *testing.T) {
				rep, err := capture.Verify(orig, capture.VerifyOptions{})
				if err != nil || len(rep.Checkpoints) == 0 {
					t.Fatalf("verify the original: %v", err)
				}
				last := rep.Checkpoints[len(rep.Checkpoints)-1]
				m := manifestOf(t, out)
				if m.SourceChain != hex.EncodeToString(last.Chain[:]) || m.SourceKey != key.ID.String() || !m.SourceFinal ||
					m.SourceCheckpoint == nil || *m.SourceCheckpoint != int(last.Number) {
					t.Errorf("manifest names chain %s checkpoint %v key %s; the original's last checkpoint is %d, chain %x, key %s",
						m.SourceChain, m.SourceCheckpoint, m.SourceKey, last.Number, last.Chain, key.ID)
				}
				if !cmp.Equal(m.Pseudonymize, []string{"users", "hosts", "paths"}) || m.PseudonymKey != "file" || m.Pseudonyms == nil ||
					m.Pseudonyms.Hosts == 0 || m.Pseudonyms.Users == 0 || !cmp.Equal(m.Env, []string{"*"}) || !m.Buffers {
					t.Errorf("manifest %+v", m)
				}
				seenKeyIDs[m.PseudonymKeyID] = true
				info, _, err := runCaptureCLI(t, "info", out)
				if want := "pseudonyms users,hosts,paths (file key " + m.PseudonymKeyID + ": "; err != nil || !strings.Contains(info, want) {
					t.Errorf("retrace info does not say %q: %v\n%s", want, err, info)
				}
				// The recorder's metadata is kept, its host name pseudonymised.
				md, omd := finalMetadata(t, out), finalMetadata(t, orig)
				seenHosts[omd.Hostname+" → "+md.Hostname] = true
				if md == nil || omd == nil || !strings.HasPrefix(md.Hostname, "h-") || len(md.CommandLine) != len(omd.CommandLine) ||
					md.KernelRelease != omd.KernelRelease || !md.StartTime.Equal(omd.StartTime) || len(md.Containers) != len(omd.Containers) {
					t.Errorf("metadata of the copy %+v\nof the original %+v", md, omd)
				}
			})
			t.Run("verifies by its own chain", func(t *testing.T) {
				if o, _, err := runRetrace(t, "verify", out, "--pubkey", prefix+".pub"); err != nil || !strings.Contains(string(o), ": intact\n") {
					t.Errorf("retrace verify: %v\n%s", err, o)
				}
				tool := testutil.NeedTool(t, "minisign")
				cps, err := capture.ReadCheckpoints(out)
				if err != nil || len(cps) == 0 || !cps[len(cps)-1].Final {
					t.Fatalf("%d checkpoints: %v", len(cps), err)
				}
				st := filepath.Join(t.TempDir(), "statement")
				os.WriteFile(st, cps[len(cps)-1].Statement, 0o644)
				os.WriteFile(st+".minisig", cps[len(cps)-1].Signature, 0o644)
				if o, err := exec.Command(tool, "-V", "-p", prefix+".pub", "-m", st).CombinedOutput(); err != nil {
					t.Errorf("minisign -V: %v\n%s", err, o)
				}
			})
			t.Run("sysdig reads it", func(t *testing.T) {
				format := []string{"-p", "%evt.num %user.name %proc.exepath %proc.cwd %fd.name"}
				a, b := testutil.SysdigLines(t, plainOrig, format...), testutil.SysdigLines(t, plainOut, format...)
				if len(a) != len(b) || len(a) == 0 {
					t.Errorf("sysdig prints %d events of the original, %d of the copy", len(a), len(b))
				}
				for i, l := range b {
					for _, w := range words(l) {
						if slicesContains(secrets, w) || slicesContains(homes, w) {
							t.Errorf("sysdig line %d shows %q: %s", i+1, w, l)
						}
					}
				}
			})
		})
	}
	// Every trace was recorded on one host: one key file gives its name
	// one pseudonym in every copy.
	if len(seenKeyIDs) != 1 || len(seenHosts) != 1 {
		t.Errorf("one key file gave key ids %v and host names %v", seenKeyIDs, seenHosts)
	}
}

// upstreamRuleArgs returns -r options for the upstream Falco rule files,
// or nil (with a note) when ../shared is missing outside CI.
func upstreamRuleArgs(t *testing.T) []string {
	shared := filepath.Join(testutil.RepoRoot(), "..", "shared", "falco-rules")
	if _, err := os.Stat(shared); err != nil {
		if testutil.InCI() {
			t.Fatalf("upstream rules: %v", err)
		}
		t.Logf("upstream Falco rules not compared: %v", err)
		return nil
	}
	var args []string
	for _, f := range []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"} {
		args = append(args, "-r", filepath.Join(shared, f))
	}
	return args
}

// firedRules replays the capture and counts the alerts by rule.
func firedRules(t *testing.T, path string, rules ...string) map[string]int {
	t.Helper()
	out, stderr, err := runRetrace(t, append([]string{"replay", "-q", "-o", "json", path}, rules...)...)
	if err != nil {
		t.Fatalf("replay %s: %v\n%s", path, err, stderr)
	}
	got := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var a struct {
			Rule string `json:"rule"`
		}
		if l == "" {
			continue
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatal(err)
		}
		got[a.Rule]++
	}
	return got
}

// homeName finds home directory names in a decompressed capture: the
// component after /home/ at the start of a path.
var homeName = regexp.MustCompile(`(?:^|[\x00"' :=])/home/([A-Za-z0-9_][A-Za-z0-9._-]*)`)

// redactedStrings lists what the acceptance test's options must remove
// from the capture at path (plain is its zstd -d output), found without
// capture/redact: the host names, regular users' and groups' names and
// the argument matches of awsKeyID (secrets: gone everywhere), and the
// home directory names but those of system accounts (gone from paths).
func redactedStrings(t *testing.T, path, plain string) (secrets, homes []string) {
	t.Helper()
	set, system := map[string]bool{}, map[string]bool{}
	re := regexp.MustCompile(awsKeyID)
	forEvents(t, path, func(h *capture.Header, ev *scap.Event) {
		if ev != nil {
			if args, ok := ev.ParamByName("args"); ok {
				for _, m := range re.FindAll(args, -1) {
					set[string(m)] = true
				}
			}
			return
		}
		if h.Machine != nil {
			set[h.Machine.Hostname] = true
		}
		for _, u := range h.Users {
			if u.UID >= 1000 && u.UID <= 60000 || u.UID >= 500 && strings.HasPrefix(u.HomeDir, "/home/") {
				set[u.Name] = true
			} else {
				system[u.Name] = true // Ubuntu's syslog has /home/syslog
			}
		}
		for _, g := range h.Groups {
			if g.GID >= 1000 && g.GID <= 60000 {
				set[g.Name] = true
			}
		}
	})
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	for s := range set {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	seen := map[string]bool{}
	for _, m := range homeName.FindAllSubmatch(b, -1) {
		if h := string(m[1]); !seen[h] && !set[h] && !system[h] {
			seen[h] = true
			homes = append(homes, h)
		}
	}
	return secrets, homes
}

// wordSplit cuts text into the words the reader check compares.
var wordSplit = regexp.MustCompile(`[^A-Za-z0-9._~+\-\x80-\xff]+`)

func words(s string) []string { return wordSplit.Split(s, -1) }

func slicesContains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// kernelPath reports whether s is a path below /proc, /sys or /dev, kept
// whole by --pseudonymize paths.
func kernelPath(s string) bool {
	for _, p := range []string{"/proc/", "/sys/", "/dev/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// forCaptureWords calls fn with every word of every string the capture
// reader gives for the capture at path: host names, the user list, the
// process list, fd names, the metadata and each event's string parameters
// (paths below /proc, /sys and /dev left out); inPath says whether the
// word is a component of a path (a string with a /).
func forCaptureWords(t *testing.T, path string, fn func(where, w string, inPath bool)) {
	t.Helper()
	each := func(where string, ss ...string) {
		for _, s := range ss {
			if kernelPath(s) {
				continue
			}
			for _, f := range strings.Fields(s) {
				for _, w := range words(f) {
					fn(where, w, strings.Contains(f, "/"))
				}
			}
		}
	}
	n := 0
	forEvents(t, path, func(h *capture.Header, ev *scap.Event) {
		if ev == nil {
			if h.Machine != nil {
				each("machine info", h.Machine.Hostname)
			}
			for _, u := range h.Users {
				each("user list", u.Name, u.HomeDir, u.Shell)
			}
			for _, g := range h.Groups {
				each("group list", g.Name)
			}
			for _, p := range h.Processes {
				each("process list", p.Exe, p.ExePath, p.Cwd, p.Root)
				each("process list args", p.Args...)
				each("process list env", p.Env...)
			}
			for _, l := range h.FDs {
				for _, fd := range l.FDs {
					each("fd list", fd.Name)
				}
			}
			return
		}
		n++
		info := ev.Info()
		if info == nil {
			return
		}
		for i := 0; i < ev.NumParams() && i < len(info.Params); i++ {
			pi := info.Params[i]
			switch pi.Type {
			case scap.PTCharBuf, scap.PTFSPath, scap.PTFSRelPath, scap.PTByteBuf:
				if pi.Name == "data" || pi.Name == "comm" {
					continue // I/O buffers are emptied; process names are kept
				}
				for _, s := range bytes.Split(ev.Param(i), []byte{0}) {
					each(ev.TypeName()+" "+pi.Name, string(s))
				}
			}
		}
	})
	if n == 0 {
		t.Fatal("no events")
	}
	md := finalMetadata(t, path)
	each("metadata", md.Hostname)
	each("metadata command line", md.CommandLine...)
	for _, c := range md.Containers {
		for _, m := range c.Mounts {
			each("metadata mounts", m.Source, m.Dest)
		}
	}
}

// finalMetadata returns the closing metadata of the .scap.zst capture at
// path.
func finalMetadata(t *testing.T, path string) *capture.Metadata {
	t.Helper()
	s, err := capture.ReadSummary(path)
	if err != nil || s.Metadata == nil {
		t.Fatalf("%s: no closing metadata: %v", path, err)
	}
	return s.Metadata
}

// manifestOf returns the redaction manifest of the capture at path.
func manifestOf(t *testing.T, path string) *capture.Redaction {
	t.Helper()
	m := finalMetadata(t, path).Redaction
	if m == nil {
		t.Fatal("no redaction manifest")
	}
	return m
}

// TestRedactPseudonymizeUsage checks the errors of --pseudonymize and
// --pseudonym-key, and that a missing key file is created.
func TestRedactPseudonymizeUsage(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("# key\nnot-a-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	newKey := filepath.Join(dir, "new.key")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown kind", []string{"--pseudonymize", "usrs,hosts"}, exitUsage, `unknown kind "usrs" (entry 1) (did you mean "users"?)`},
		{"key without kinds", []string{"--env", "*", "--pseudonym-key", newKey}, exitUsage, "--pseudonym-key needs --pseudonymize"},
		{"bad key file", []string{"--pseudonymize", "users", "--pseudonym-key", bad}, exitUsage, bad + ": line 2: key of 9 characters, want 64 hex digits"},
		{"new key file", []string{"--pseudonymize", "hosts", "--pseudonym-key", newKey}, exitOK, "created pseudonym key " + newKey},
		{"existing key file", []string{"--pseudonymize", "hosts", "--pseudonym-key", newKey}, exitOK, "pseudonyms for 0 users, 1 hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".scap.zst")
			_, stderr, err := runCaptureCLI(t, append([]string{"redact", src, out}, tc.args...)...)
			if c := exitCode(err); c != tc.code {
				t.Errorf("exit %d (%v), want %d", c, err, tc.code)
			}
			if msg := stderr + fmt.Sprint(err); !strings.Contains(msg, tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, msg)
			}
		})
	}
}

// TestRedactPseudonymizeSharedCaptures pseudonymises the shared sysdig
// and Falco captures, which hold real accounts (uid 501 with a home below
// /home, uids 1000-1002), the host "ubuntu" and users' paths (screen
// sockets, home directories): no user or host name is left as a word of
// the header or events, no home directory name in a path, the built-in
// rules fire as on the original, and sysdig 0.29.3 reads every event.
func TestRedactPseudonymizeSharedCaptures(t *testing.T) {
	dir := t.TempDir()
	for _, src := range testutil.Captures(t) {
		name := filepath.Base(src)
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name+".zst")
			if _, stderr, err := runCaptureCLI(t, "redact", src, out, "--pseudonymize", "users,hosts,paths"); err != nil {
				t.Fatalf("redact: %v\n%s", err, stderr)
			}
			secrets, homes := redactedStrings(t, src, src)
			forCaptureWords(t, out, func(where, w string, inPath bool) {
				if slicesContains(secrets, w) || inPath && slicesContains(homes, w) {
					t.Errorf("%s holds %q", where, w)
				}
			})
			if d := cmp.Diff(firedRules(t, src), firedRules(t, out)); d != "" {
				t.Errorf("built-in rules fired (-original +redacted):\n%s", d)
			}
			plain := zstdDecompress(t, out)
			if a, b := len(testutil.SysdigLines(t, src)), len(testutil.SysdigLines(t, plain)); a != b {
				t.Errorf("sysdig prints %d events of the original, %d of the copy", a, b)
			}
		})
	}
}
