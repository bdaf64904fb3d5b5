package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/forward/sidekicktest"
)

// falcoYAML is Falco's own default configuration file.
func falcoYAML() string {
	return filepath.Join(testutil.RepoRoot(), "internal", "falcoconfig", "testdata", "falco.yaml")
}

// attackCaptures returns the recorded attack corpus.
func attackCaptures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no attack captures: %v", err)
	}
	return files
}

func TestSplitOutputFlag(t *testing.T) {
	tests := []struct {
		in        []string
		format    string
		overrides []string
	}{
		{nil, "", nil},
		{[]string{"json"}, "json", nil},
		{[]string{"json_output=true", "html", "http_output.url=http://h/?a=b"}, "html", []string{"json_output=true", "http_output.url=http://h/?a=b"}},
		{[]string{"text", "json"}, "json", nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.in, " "), func(t *testing.T) {
			f, o := splitOutputFlag(tc.in)
			if f != tc.format || !slices.Equal(o, tc.overrides) {
				t.Errorf("got %q %q, want %q %q", f, o, tc.format, tc.overrides)
			}
		})
	}
}

// alertKey is what identifies an alert whatever the time format: the
// event time, rule, priority, host and output fields without the prefix's
// time field.
func alertKey(t *testing.T, line []byte) string {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	fields, _ := m["output_fields"].(map[string]any)
	delete(fields, "evt.time")
	delete(fields, "evt.time.iso8601")
	b, _ := json.Marshal([]any{m["time"], m["rule"], m["priority"], m["hostname"], m["source"], fields})
	return string(b)
}

// TestReplaySidekickCorpus replays the attack corpus with Falco's default
// falco.yaml plus an http_output to a server that enforces falcosidekick's
// input contract: it receives every alert `-o json` prints, exactly once.
func TestReplaySidekickCorpus(t *testing.T) {
	captures := attackCaptures(t)
	want, _, err := runRetrace(t, append([]string{"replay", "-q", "-o", "json"}, captures...)...)
	if err != nil {
		t.Fatal(err)
	}
	var wantKeys []string
	for _, l := range bytes.Split(bytes.TrimSpace(want), []byte("\n")) {
		wantKeys = append(wantKeys, alertKey(t, l))
	}
	if len(wantKeys) < 20 {
		t.Fatalf("the corpus gave %d alerts; want at least 20", len(wantKeys))
	}
	srv := sidekicktest.New(t)
	args := []string{"replay", "-c", falcoYAML(), "-o", "json_output=true",
		"-o", "http_output.enabled=true", "-o", "http_output.url=" + srv.URL + "/"}
	stdout, stderr, err := runRetrace(t, append(args, captures...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if rej := srv.Rejected(); len(rej) > 0 {
		t.Fatalf("server rejected %d alerts, first: %s", len(rej), rej[0])
	}
	var gotKeys []string
	for _, r := range srv.Accepted() {
		gotKeys = append(gotKeys, alertKey(t, r.Body))
		if r.ContentType != "application/json" || r.UserAgent != "falcosecurity/falco" {
			t.Fatalf("request headers: %+v", r)
		}
	}
	slices.Sort(wantKeys)
	slices.Sort(gotKeys)
	if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
		t.Errorf("alerts received differ from -o json (-want +got):\n%s", diff)
	}
	// stdout_output is enabled in falco.yaml: the same alerts print.
	if n := bytes.Count(stdout, []byte("\n")); n != len(wantKeys) {
		t.Errorf("stdout has %d lines, want %d", n, len(wantKeys))
	}
	// Falco would load no rules; retrace runs its built-in ones.
	knownDifference(t, "FALCO-CONFIG-OFFLINE")
	for _, w := range []string{
		fmt.Sprintf("http_output: %d alerts delivered", len(wantKeys)),
		"falco.yaml:441: engine: configures a live Falco; no effect on a replay",
		"none of the configuration's rules files exists here; the built-in rules run",
	} {
		if !bytes.Contains(stderr, []byte(w)) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if n := bytes.Count(stderr, []byte(": webserver:")); n != 1 {
		t.Errorf("%d warnings for webserver, want 1", n)
	}
}

// TestReplayFailingEndpoint checks the exit status and the undelivered
// summary when the http_output endpoint refuses connections or fails.
func TestReplayFailingEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/"
	l.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer failing.Close()
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	tests := []struct {
		name, url, lastErr string
	}{
		{"refused", refused, "connection refused"},
		{"500", failing.URL + "/", "500 Internal Server Error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, stderr, err := runRetrace(t, "replay", "-q", "-o", "json_output=true", "-o", "http_output.enabled=true",
				"-o", "http_output.url="+tc.url, capture)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitFailure {
				t.Fatalf("want exit status %d, got %v", exitFailure, err)
			}
			if !strings.Contains(err.Error(), "alerts not delivered: http_output 1") {
				t.Errorf("error %v", err)
			}
			want := "retrace: http_output: 1 of 1 alerts not delivered (1 failed; 3 retries); last error: "
			if !bytes.Contains(stderr, []byte(want)) || !bytes.Contains(stderr, []byte(tc.lastErr)) {
				t.Errorf("stderr lacks %q and %q:\n%s", want, tc.lastErr, stderr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestReplayFalcoOutputs checks the file and program outputs, the JSON
// options and stdout_output, set with -o overrides.
func TestReplayFalcoOutputs(t *testing.T) {
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "credentials-read.scap.zst")
	plain, _, err := runRetrace(t, "replay", "-q", "-o", "json", capture)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(plain, []byte("\n"))
	if n == 0 {
		t.Fatal("no alerts")
	}
	tests := []struct {
		name      string
		format    string // -o FORMAT beside the overrides
		overrides []string
		stdout    bool
		keys      []string
		absent    []string
	}{
		{"table on stdout, JSON to the file", "table", []string{"file_output.enabled=true", "file_output.filename=$OUT"}, true, nil, nil},
		{"text lines to the file", "json", []string{"json_output=false", "time_format_iso_8601=true", "file_output.enabled=true", "file_output.filename=$OUT"}, true, nil, nil},
		{"file keep_alive", "", []string{"file_output.enabled=true", "file_output.keep_alive=true", "file_output.filename=$OUT"}, true, nil, nil},
		{"file reopened", "", []string{"file_output={enabled: true, filename: $OUT}"}, true, nil, nil},
		{"program per alert", "", []string{"program_output.enabled=true", "program_output.program=cat >> $OUT"}, true, nil, nil},
		{"program keep_alive", "", []string{"program_output.enabled=true", "program_output.keep_alive=true", "program_output.program=cat > $OUT"}, true, nil, nil},
		{"stdout off", "", []string{"stdout_output.enabled=false", "file_output.enabled=true", "file_output.filename=$OUT"}, false, nil, nil},
		{"json options", "", []string{"json_include_output_property=false", "json_include_tags_property=false",
			"json_include_message_property=true", "file_output.enabled=true", "file_output.filename=$OUT"}, true,
			[]string{"message", "output_fields", "rule"}, []string{"output", "tags"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "alerts.json")
			args := []string{"replay", "-q", "-o", "json_output=true"}
			for _, o := range tc.overrides {
				args = append(args, "-o", strings.ReplaceAll(o, "$OUT", out))
			}
			if tc.format != "" {
				args = append(args, "-o", tc.format)
			}
			stdout, stderr, err := runRetrace(t, append(args, capture)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "text lines to the file" {
				// The channels get Falco's text lines (replay's text
				// without its provenance lines); stdout the JSON -o asks for.
				withProvenance, _, err := runRetrace(t, "replay", "-q", capture)
				if err != nil {
					t.Fatal(err)
				}
				var text []byte
				for _, l := range bytes.SplitAfter(withProvenance, []byte("\n")) {
					if !bytes.HasPrefix(l, []byte("    provenance: ")) {
						text = append(text, l...)
					}
				}
				if !bytes.Equal(got, text) || !bytes.Equal(stdout, plain) {
					t.Errorf("file:\n%s\nwant the text lines:\n%s\nstdout:\n%s", got, text, stdout)
				}
				return
			}
			if tc.keys == nil && !bytes.Equal(got, plain) {
				t.Errorf("output file differs from -o json:\n%s\nwant:\n%s", got, plain)
			}
			sameAsFile := tc.format == "" || tc.format == "json"
			if tc.stdout != (len(stdout) > 0) || tc.stdout && sameAsFile && !bytes.Equal(stdout, got) {
				t.Errorf("stdout (enabled %v):\n%s", tc.stdout, stdout)
			}
			if tc.format == "table" && !bytes.Contains(stdout, []byte("RULE")) && !bytes.Contains(stdout, []byte("Rule")) {
				t.Errorf("stdout is not a table:\n%s", stdout)
			}
			for _, l := range bytes.Split(bytes.TrimSpace(got), []byte("\n")) {
				var m map[string]any
				if err := json.Unmarshal(l, &m); err != nil {
					t.Fatal(err)
				}
				for _, k := range tc.keys {
					if _, ok := m[k]; !ok {
						t.Errorf("no %q in %s", k, l)
					}
				}
				for _, k := range tc.absent {
					if _, ok := m[k]; ok {
						t.Errorf("%q in %s", k, l)
					}
				}
			}
		})
	}
}

// TestReplayFalcoConfigErrors checks the messages for bad configurations.
func TestReplayFalcoConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("json_output: true\n  priority: [\n"), 0o644)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("stdout_output:\n  enabled: true\njson_outptu: true\n"), 0o644)
	wrong := filepath.Join(dir, "wrong.yaml")
	os.WriteFile(wrong, []byte("\nhttp_output:\n  enabled: maybe\n"), 0o644)
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	tests := []struct {
		name    string
		args    []string
		wantErr string
		warning string
	}{
		{"malformed", []string{"-c", bad}, bad + ":2: malformed YAML: mapping values are not allowed in this context", ""},
		{"wrong type", []string{"-c", wrong}, wrong + `:3: http_output.enabled: want true or false, got "maybe"`, ""},
		{"bad override", []string{"-o", "rules_files[x]=a"}, `-o rules_files[x]=a: key "rules_files[x]"`, ""},
		{"missing", []string{"-c", filepath.Join(dir, "none.yaml")}, "read falco configuration", ""},
		{"typo", []string{"-c", typo}, "", typo + `:3: json_outptu: unknown key (did you mean "json_output"?)`},
		{"unknown override", []string{"-o", "http_output.ur=x"}, "", `-o http_output.ur=x: http_output.ur: unknown key (did you mean "http_output.url"?)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runRetrace(t, append(append([]string{"replay"}, tc.args...), capture)...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Count(stderr, []byte(tc.warning)) != 1 {
					t.Errorf("stderr lacks one %q:\n%s", tc.warning, stderr)
				}
				return
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want exit %d with %q", err, exitUsage, tc.wantErr)
			}
		})
	}
}

// checkTimesketchLines checks every line against Timesketch's documented
// JSONL import format: a JSON object with a non-empty "message", a
// "datetime" in ISO 8601 and a non-empty "timestamp_desc".
func checkTimesketchLines(t *testing.T, out []byte, extra ...string) int {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		for _, k := range append([]string{"message", "datetime", "timestamp_desc"}, extra...) {
			if s, ok := m[k].(string); !ok || s == "" {
				t.Errorf("line %d: %q missing or empty: %s", i+1, k, l)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["datetime"])); err != nil {
			t.Errorf("line %d: datetime: %v", i+1, err)
		}
	}
	return len(lines)
}

func TestTimesketchOutput(t *testing.T) {
	captures := attackCaptures(t)
	out, _, err := runRetrace(t, append([]string{"replay", "-q", "-o", "timesketch"}, captures...)...)
	if err != nil {
		t.Fatal(err)
	}
	if n := checkTimesketchLines(t, out, "rule", "priority", "host", "container_id", "capture"); n < 20 {
		t.Errorf("%d lines; want every alert of the corpus", n)
	}
	for _, tc := range []struct{ view, capture string }{
		{"shells", "reverse-shell"},
		{"sensitive-reads", "shadow-read-host"},
		{"binary-writes", "write-below-bin"},
		{"tree", "reverse-shell"},
	} {
		t.Run(tc.view, func(t *testing.T) {
			capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", tc.capture+".scap.zst")
			out, _, err := runRetrace(t, "timeline", "-q", "-o", "timesketch", capture, tc.view)
			if err != nil {
				t.Fatal(err)
			}
			if len(bytes.TrimSpace(out)) == 0 {
				t.Fatalf("the %s view of %s is empty", tc.view, tc.capture)
			}
			checkTimesketchLines(t, out, "data_type", "container_id")
		})
	}
}

// TestReplayHTTPTLS sends alerts over HTTPS with the http_output keys of
// falco.yaml: ca_cert, ca_path, insecure, and mtls with client_cert and
// client_key, to servers that check them.
func TestReplayHTTPTLS(t *testing.T) {
	p := sidekicktest.NewPKI(t)
	caDir := t.TempDir()
	ca, err := os.ReadFile(p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(caDir, "ca.pem"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	tests := []struct {
		name      string
		mtls      bool
		overrides []string
		delivered bool
	}{
		{"ca_cert", false, []string{"http_output.ca_cert=" + p.CAFile}, true},
		{"ca_path", false, []string{"http_output.ca_path=" + caDir}, true},
		{"insecure", false, []string{"http_output.insecure=true"}, true},
		{"mtls", true, []string{"http_output.ca_cert=" + p.CAFile, "http_output.mtls=true",
			"http_output.client_cert=" + p.ClientCert, "http_output.client_key=" + p.ClientKey}, true},
		{"mtls refused without client certificate", true, []string{"http_output.ca_cert=" + p.CAFile}, false},
		{"unknown authority", false, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := sidekicktest.NewTLS(t, p, tc.mtls)
			args := []string{"replay", "-q", "-o", "json_output=true", "-o", "http_output.enabled=true",
				"-o", "http_output.url=" + srv.URL + "/"}
			for _, o := range tc.overrides {
				args = append(args, "-o", o)
			}
			_, stderr, err := runRetrace(t, append(args, capture)...)
			if got := len(srv.Accepted()); tc.delivered != (got == 1) || tc.delivered != (err == nil) {
				t.Errorf("accepted %d, error %v\n%s", got, err, stderr)
			}
		})
	}
}

// writeCounter counts the writes it is given.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestReplayBufferedOutputs checks buffered_outputs on stdout: false (Falco's
// default) writes each alert as it is found, true writes them in blocks.
func TestReplayBufferedOutputs(t *testing.T) {
	capture := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "credentials-read.scap.zst")
	for _, tc := range []struct {
		buffered bool
		perAlert bool
	}{{false, true}, {true, false}} {
		t.Run(fmt.Sprint("buffered_outputs=", tc.buffered), func(t *testing.T) {
			root := newRootCmd()
			var out writeCounter
			var errOut bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errOut)
			root.SetArgs([]string{"replay", "-q", "-o", fmt.Sprint("buffered_outputs=", tc.buffered), capture})
			if err := root.Execute(); err != nil {
				t.Fatalf("%v\n%s", err, errOut.Bytes())
			}
			lines := bytes.Count(out.Bytes(), []byte("\n"))
			if lines < 2 {
				t.Fatalf("%d alerts; the test needs 2 or more", lines)
			}
			if got := out.writes == lines; got != tc.perAlert {
				t.Errorf("%d writes for %d alerts", out.writes, lines)
			}
		})
	}
}
