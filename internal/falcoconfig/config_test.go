package falcoconfig

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/retrace-dev/retrace/engine"
)

// TestFalcoDefaultConfig reads Falco's own falco.yaml: it loads, gives
// Falco's defaults, and warns once for each key without effect offline.
func TestFalcoDefaultConfig(t *testing.T) {
	path := filepath.Join("testdata", "falco.yaml")
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.File = path
	want.RulesSet = true
	want.Priority, want.HasPriority = engine.PriorityDebug, true
	want.RuleMatching, want.HasRuleMatching = engine.MatchFirst, true
	want.Stdout.Enabled = true
	want.FileOut.Filename = "./events.txt"
	want.Program.Program = "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
	want.HTTP.MaxConsecutiveTimeouts = 5
	got := *c
	got.Warnings = nil
	got.set = nil
	got.RulesFiles = nil // depends on the machine's /etc/falco
	if diff := cmp.Diff(*want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	seen := map[string]int{}
	for _, w := range c.Warnings {
		seen[w.Key]++
		if w.Pos.File != path || w.Pos.Line == 0 {
			t.Errorf("warning without a line: %s", w)
		}
		if strings.Contains(w.Message, "unknown key") {
			t.Errorf("Falco's own key is unknown: %s", w)
		}
	}
	for _, k := range []string{"engine", "plugins", "webserver", "syslog_output", "metrics", "append_output", "config_files"} {
		if seen[k] != 1 {
			t.Errorf("key %s: %d warnings, want 1", k, seen[k])
		}
	}
	for k, n := range seen {
		if n > 1 && k != "rules_files" {
			t.Errorf("key %s: %d warnings, want one", k, n)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		overrides []string
		check     func(t *testing.T, c *Config)
	}{
		{"empty", "", nil, func(t *testing.T, c *Config) {
			if !c.Stdout.Enabled || c.JSONOutput || !c.JSONIncludeOutput || c.HasPriority {
				t.Errorf("not Falco's defaults with stdout: %+v", c)
			}
		}},
		{"outputs", `
json_output: true
json_include_output_property: false
json_include_tags_property: no
json_include_message_property: true
time_format_iso_8601: true
priority: warning
rule_matching: all
stdout_output: {enabled: true}
file_output: {enabled: true, keep_alive: true, filename: /tmp/x.txt}
program_output: {enabled: true, keep_alive: "true", program: cat}
http_output:
  enabled: true
  url: http://127.0.0.1:2801/
  insecure: true
  compress_uploads: true
  mtls: true
outputs_queue: {capacity: 10}
`, nil, func(t *testing.T, c *Config) {
			if !c.JSONOutput || c.JSONIncludeOutput || c.JSONIncludeTags || !c.JSONIncludeMessage || !c.TimeISO8601 {
				t.Errorf("json options: %+v", c)
			}
			if c.Priority != engine.PriorityWarning || c.RuleMatching != engine.MatchAll {
				t.Errorf("priority %v, matching %v", c.Priority, c.RuleMatching)
			}
			want := HTTPOutput{Enabled: true, URL: "http://127.0.0.1:2801/", UserAgent: "falcosecurity/falco",
				Insecure: true, CAPath: "/etc/ssl/certs", MTLS: true, ClientCert: "/etc/ssl/certs/client.crt",
				ClientKey: "/etc/ssl/certs/client.key", CompressUploads: true, MaxConsecutiveTimeouts: 5}
			if diff := cmp.Diff(want, c.HTTP); diff != "" {
				t.Errorf("http (-want +got):\n%s", diff)
			}
			if c.FileOut != (FileOutput{true, true, "/tmp/x.txt"}) || c.Program != (ProgramOutput{true, true, "cat"}) {
				t.Errorf("file %+v, program %+v", c.FileOut, c.Program)
			}
			if c.QueueCapacity != 10 || len(c.Warnings) != 0 {
				t.Errorf("capacity %d, warnings %v", c.QueueCapacity, c.Warnings)
			}
		}},
		{"overrides", "json_output: false\nhttp_output:\n  enabled: false\n", []string{
			"json_output=true", "http_output.enabled=true", `http_output.url="http://h/a=b"`,
			"program_output={enabled: true, program: 'wc -l'}", "priority=ERROR",
		}, func(t *testing.T, c *Config) {
			if !c.IsSet("json_output") || c.IsSet("json_include_tags_property") {
				t.Errorf("IsSet: %v", c.set)
			}
			if !c.JSONOutput || !c.HTTP.Enabled || c.HTTP.URL != "http://h/a=b" || c.Priority != engine.PriorityError {
				t.Errorf("overrides not applied: %+v", c)
			}
			if !c.Program.Enabled || c.Program.Program != "wc -l" {
				t.Errorf("object override: %+v", c.Program)
			}
		}},
		{"rules append", "rules_files: [" + filepath.Join("testdata", "falco.yaml") + "]\n",
			[]string{"rules_files[]=testdata/README.md", "rules_files[]=/nonexistent/rules.yaml"}, func(t *testing.T, c *Config) {
				want := []string{filepath.Join("testdata", "falco.yaml"), "testdata/README.md"}
				if diff := cmp.Diff(want, c.RulesFiles); diff != "" {
					t.Errorf("rules (-want +got):\n%s", diff)
				}
				if len(c.Warnings) != 1 || c.Warnings[0].Pos.Override != "rules_files[]=/nonexistent/rules.yaml" {
					t.Errorf("warnings: %v", c.Warnings)
				}
			}},
		{"rules index and escape", "rules_files: [a, b]\n", []string{`rules_files[1]=testdata`, `annotations.kubernetes\.io/role=x`},
			func(t *testing.T, c *Config) {
				if !slices.Equal(c.RulesFiles, []string{"testdata"}) {
					t.Errorf("rules %v", c.RulesFiles)
				}
				var keys []string
				for _, w := range c.Warnings {
					keys = append(keys, w.Key)
				}
				if !slices.Contains(keys, "annotations") {
					t.Errorf("warnings %v", c.Warnings)
				}
			}},
		{"unknown and live keys", "json_outptu: true\nhttp_output:\n  urll: x\nengine:\n  kind: kmod\nsyslog_output: {enabled: true}\n", nil,
			func(t *testing.T, c *Config) {
				var got []string
				for _, w := range c.Warnings {
					got = append(got, w.String())
				}
				want := []string{
					`f.yaml:2: json_outptu: unknown key (did you mean "json_output"?)`,
					`f.yaml:4: http_output.urll: unknown key (did you mean "http_output.url" or "http_output.mtls"?)`,
					`f.yaml:5: engine: ` + liveOnly,
					`f.yaml:7: syslog_output: alerts are not sent to syslog when replaying`,
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "f.yaml"
			if tc.yaml == "" {
				name = ""
			}
			c, err := Parse(name, []byte("\n"+strings.TrimPrefix(tc.yaml, "\n")), tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		overrides []string
		want      string
	}{
		{"malformed", "json_output: true\n  priority: [\n", nil, "f.yaml:2: malformed YAML: mapping values are not allowed in this context"},
		{"not a mapping", "- a\n- b\n", nil, "f.yaml:1: want a mapping of configuration keys"},
		{"bool", "json_output: maybe\n", nil, `f.yaml:1: json_output: want true or false, got "maybe"`},
		{"section", "http_output: yes\n", nil, `f.yaml:1: http_output: want a mapping, got "yes"`},
		{"priority", "\n\npriority: loud\n", nil, `f.yaml:3: priority: want a priority (emergency, alert, critical, error, warning, notice, info or debug), got "loud"`},
		{"capacity", "outputs_queue:\n  capacity: -1\n", nil, `f.yaml:2: outputs_queue.capacity: want a non-negative integer, got "-1"`},
		{"both rules keys", "rules_file: a\nrules_files: [b]\n", nil, `f.yaml: both "rules_files" and "rules_file" are set`},
		{"file without name", "file_output: {enabled: true, filename: ''}\n", nil, "f.yaml: file_output.filename: file output enabled but no filename"},
		{"http without url", "http_output: {enabled: true}\n", nil, "f.yaml: http_output.url: http output enabled but no url"},
		{"override bool", "", []string{"json_output=maybe"}, `-o json_output=maybe: json_output: want true or false, got "maybe"`},
		{"override syntax", "", []string{"json_output"}, "-o json_output: want key=value or key.subkey=value"},
		{"override key", "", []string{"a..b=1"}, `-o a..b=1: key "a..b": empty key name at position 2`},
		{"override index", "", []string{"rules_files[x]=1"}, `-o rules_files[x]=1: key "rules_files[x]": want a numeric index at position 12, got "x"`},
		{"override escape", "", []string{`a\q=1`}, `-o a\q=1: key "a\\q": invalid escape at position 1 (want \. \[ \] or \\)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "f.yaml"
			if tc.yaml == "" {
				name = ""
			}
			_, err := Parse(name, []byte(tc.yaml), tc.overrides)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *Error, got %v", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "falco.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("want not-exist error, got %v", err)
	}
}

func TestKeysHaveHandlers(t *testing.T) {
	for _, k := range Keys() {
		e := keys[k]
		if e.kind == kindValue && e.set == nil || (e.kind == kindLive || e.kind == kindNotApplied) && e.why == "" {
			t.Errorf("key %s: incomplete table entry", k)
		}
		if i := strings.LastIndexByte(k, '.'); i > 0 && keys[k[:i]].kind != kindSection {
			t.Errorf("key %s: parent %s is not a section", k, k[:i])
		}
	}
}
