package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// zstdDecompress runs the zstd tool on a .scap.zst file, as a user would
// before handing the file to sysdig.
func zstdDecompress(t *testing.T, in string) string {
	t.Helper()
	zstd := testutil.NeedTool(t, "zstd")
	out := strings.TrimSuffix(in, ".zst")
	if b, err := exec.Command(zstd, "-q", "-d", "-f", in, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("zstd -d %s: %v\n%s", in, err, b)
	}
	return out
}

// TestRedactReadBySysdig redacts a shared capture that holds environments
// and I/O buffers: after zstd -d, sysdig 0.29.3 reads every event of the
// copy, shows the redacted environment, and the original's values are
// nowhere in the file; the copy verifies by its own chain and carries the
// manifest.
func TestRedactReadBySysdig(t *testing.T) {
	sysdig := testutil.NeedTool(t, "sysdig")
	src := filepath.Join(testutil.SharedDir(t), "captures", "libs_curl_google.scap")
	out := filepath.Join(t.TempDir(), "redacted.scap.zst")
	_, stderr, err := runCaptureCLI(t, "redact", src, out, "--env", "*", "--buffers", "--arg", `google\.com`)
	if err != nil {
		t.Fatalf("redact: %v\n%s", err, stderr)
	}
	plain := zstdDecompress(t, out)
	count := func(file string) int {
		b, err := exec.Command(sysdig, "-r", file).Output()
		if err != nil {
			t.Fatalf("sysdig -r %s: %v", file, err)
		}
		return bytes.Count(b, []byte("\n"))
	}
	if a, b := count(src), count(plain); a != b || a == 0 {
		t.Errorf("sysdig prints %d events of the original, %d of the copy", a, b)
	}
	envs, err := exec.Command(sysdig, "-r", plain, "-p", "%proc.env", "evt.type=execve and evt.dir=<").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(envs, []byte("=REDACTED")) {
		t.Errorf("sysdig shows no redacted environment: %q", envs)
	}
	// What the original holds and the copy must not: the environment
	// entries of its process list and execve events, and the pattern;
	// every I/O buffer of the copy is empty.
	var secrets []string
	n, buffers := 0, 0
	forEvents(t, src, func(h *capture.Header, ev *scap.Event) {
		if ev == nil {
			for _, p := range h.Processes {
				secrets = append(secrets, p.Env...)
			}
			return
		}
		if env, ok := ev.ParamByName("env"); ok {
			secrets = append(secrets, strings.Split(string(env), "\x00")...)
		}
		if d, ok := ev.ParamByName("data"); ok && len(d) > 0 {
			buffers++
		}
	})
	forEvents(t, out, func(_ *capture.Header, ev *scap.Event) {
		if ev == nil {
			return
		}
		n++
		if d, ok := ev.ParamByName("data"); ok && len(d) > 0 {
			t.Errorf("evt %d %s: data of %d bytes left", n, ev.TypeName(), len(d))
		}
	})
	kept := secrets[:0]
	for _, e := range secrets {
		if name, v, ok := strings.Cut(e, "="); ok && len(v) >= 4 && v != "REDACTED" && name != "" {
			kept = append(kept, e)
		}
	}
	secrets = append(kept, "google.com")
	if len(secrets) < 20 || buffers == 0 {
		t.Fatalf("only %d environment entries and %d buffers in the original", len(secrets), buffers)
	}
	body, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the copy still holds %q", s)
		}
	}
	info, _, err := runCaptureCLI(t, "info", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "redaction:   env * (") || !strings.Contains(info, "from libs_curl_google.scap sha256 ") {
		t.Errorf("retrace info shows no manifest:\n%s", info)
	}
	if _, _, err := runCaptureCLI(t, "verify", out); exitCode(err) != 8 {
		t.Errorf("verify of the copy: %v, want exit code 8 (intact chain, unsigned)", err)
	}
}

// forEvents calls fn with the header of the capture at path (ev nil), then
// with each of its events.
func forEvents(t *testing.T, path string, fn func(h *capture.Header, ev *scap.Event)) {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fn(r.Header(), nil)
	for {
		ev, err := r.Next()
		if err != nil {
			return
		}
		fn(r.Header(), ev)
	}
}

// TestRedactAttackTracesSameDetections redacts every attack trace (all
// environment values, I/O buffers, the fake AWS key id in arguments) and
// replays the copies: the same rules fire as many times, and the key id
// is gone from credentials-read.
func TestRedactAttackTracesSameDetections(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(traces) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	dir := t.TempDir()
	for _, src := range traces {
		t.Run(filepath.Base(src), func(t *testing.T) {
			out := filepath.Join(dir, filepath.Base(src))
			if _, stderr, err := runCaptureCLI(t, "redact", src, out, "--env", "*", "--buffers", "--arg", "AKIA[A-Z]+"); err != nil {
				t.Fatalf("redact: %v\n%s", err, stderr)
			}
			if d := cmp.Diff(firedRules(t, src), firedRules(t, out)); d != "" {
				t.Errorf("rules fired (-original +redacted):\n%s", d)
			}
			if filepath.Base(src) == "credentials-read.scap.zst" {
				plain := filepath.Join(dir, "credentials-read.scap")
				if _, err := capture.ConvertFile(out, plain, capture.WriterOptions{}); err != nil {
					t.Fatal(err)
				}
				b, _ := os.ReadFile(plain)
				if bytes.Contains(b, []byte("AKIAFAKE")) {
					t.Error("the redacted copy still holds the key id")
				}
			}
		})
	}
}

// TestRecordRedactEnv records a command with a secret in its environment
// under --redact-env: the value never reaches the file, the variable's
// name does, and the metadata says what was redacted.
func TestRecordRedactEnv(t *testing.T) {
	testutil.NeedRoot(t)
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		testutil.SkipMissing(t, "kernel has no BTF (/sys/kernel/btf/vmlinux)")
	}
	const secret = "retrace-redact-env-3f9a1c"
	out := filepath.Join(t.TempDir(), "env.scap.zst")
	// The recorder (in the snapshot) and the command it runs inherit them.
	t.Setenv("RETRACE_TOKEN", secret)
	t.Setenv("RETRACE_PLAIN", "visible-value")
	_, stderr, err := runCaptureCLI(t, "record", "-o", out, "--only-command", "--redact-env", "*_TOKEN", "--", "/bin/true")
	if err != nil {
		t.Fatalf("record: %v\n%s", err, stderr)
	}
	plain := filepath.Join(t.TempDir(), "env.scap")
	if _, err := capture.ConvertFile(out, plain, capture.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secret)) {
		t.Error("the secret is in the capture")
	}
	for _, want := range []string{"RETRACE_TOKEN=REDACTED", "RETRACE_PLAIN=visible-value"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%q not in the capture", want)
		}
	}
	m := finalMetadata(t, out)
	if m.Redaction == nil || m.Redaction.EnvValues == 0 || !cmp.Equal(m.Redaction.Env, []string{"*_TOKEN"}) {
		t.Errorf("metadata redaction: %+v", m)
	}
}
