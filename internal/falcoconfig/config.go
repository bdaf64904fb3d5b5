package falcoconfig

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/internal/yamlerr"
)

// Config is what a replay uses of a Falco configuration. Its zero value
// is not Falco's default; [Parse] starts from [Default].
type Config struct {
	// File is the configuration file's path; empty when only -o
	// overrides were given.
	File string
	// RulesFiles are the rules files and directories that exist, in the
	// configured order (rules_files, or the deprecated rules_file).
	// RulesSet reports whether the configuration names any, existing or
	// not.
	RulesFiles []string
	RulesSet   bool
	// Priority is the minimum priority of the rules that run; HasPriority
	// is false when the configuration does not set it.
	Priority    engine.Priority
	HasPriority bool
	// RuleMatching is rule_matching; HasRuleMatching is false when unset.
	RuleMatching    engine.MatchMode
	HasRuleMatching bool
	// JSONOutput is json_output: alerts are JSON lines instead of text.
	JSONOutput bool
	// JSONIncludeOutput, JSONIncludeTags, JSONIncludeMessage and
	// JSONIncludeOutputFields are Falco's json_include_*_property options.
	JSONIncludeOutput, JSONIncludeTags, JSONIncludeMessage, JSONIncludeOutputFields bool
	// TimeISO8601 is time_format_iso_8601: alert lines start with the date
	// and time instead of the time of day.
	TimeISO8601 bool
	// BufferedOutputs is buffered_outputs: the stdout, file and program
	// channels flush at the end instead of after each alert.
	BufferedOutputs bool
	// QueueCapacity is outputs_queue.capacity; 0 means Falco's unbounded
	// queue.
	QueueCapacity int
	// The output channels.
	Stdout  StdoutOutput
	FileOut FileOutput
	Program ProgramOutput
	HTTP    HTTPOutput
	// Warnings are the keys without effect on a replay, in file order.
	Warnings []Warning
	// set holds the dotted keys the file or an override set.
	set map[string]bool
}

// IsSet reports whether the configuration file or an override set the
// dotted key (such as "json_output"), as opposed to leaving Falco's
// default.
func (c *Config) IsSet(key string) bool { return c.set[key] }

// StdoutOutput is stdout_output.
type StdoutOutput struct {
	Enabled bool
}

// FileOutput is file_output.
type FileOutput struct {
	Enabled, KeepAlive bool
	Filename           string
}

// ProgramOutput is program_output.
type ProgramOutput struct {
	Enabled, KeepAlive bool
	Program            string
}

// HTTPOutput is http_output.
type HTTPOutput struct {
	Enabled                  bool
	URL, UserAgent           string
	Insecure                 bool
	CACert, CABundle, CAPath string
	MTLS                     bool
	ClientCert, ClientKey    string
	Echo, CompressUploads    bool
	KeepAlive                bool
	MaxConsecutiveTimeouts   int
}

// Default returns Falco's defaults for the keys retrace reads, as Falco
// applies them when a key is absent.
func Default() *Config {
	return &Config{
		JSONIncludeOutput: true, JSONIncludeTags: true, JSONIncludeOutputFields: true,
		HTTP: HTTPOutput{UserAgent: "falcosecurity/falco", CAPath: "/etc/ssl/certs",
			ClientCert: "/etc/ssl/certs/client.crt", ClientKey: "/etc/ssl/certs/client.key",
			MaxConsecutiveTimeouts: 5},
	}
}

// Position is a place in the configuration: a file and line, or an -o
// override.
type Position struct {
	// File is the configuration file, or "-o" for an override.
	File string
	// Line is the 1-based line in File; 0 for an override.
	Line int
	// Override is the -o argument, for positions inside one.
	Override string
}

func (p Position) String() string {
	switch {
	case p.Override != "":
		return fmt.Sprintf("%s %s", OverrideOrigin, p.Override)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Warning is a key without effect on a replay.
type Warning struct {
	Pos Position
	// Key is the dotted key.
	Key string
	// Message says why it has no effect.
	Message string
}

func (w Warning) String() string { return fmt.Sprintf("%s: %s: %s", w.Pos, w.Key, w.Message) }

// Error is a configuration that cannot be used: malformed YAML, a value of
// the wrong type, or a malformed -o override.
type Error struct {
	Pos Position
	// Key is the dotted key, when known.
	Key string
	// Reason says what is wrong.
	Reason string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Key, e.Reason)
}

// Load reads the configuration file at path (none when path is empty),
// applies the -o overrides in order and returns the configuration.
func Load(path string, overrides []string) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read falco configuration: %w", err)
		}
	}
	return Parse(path, data, overrides)
}

// Parse reads a configuration from data (named name in messages), applies
// the overrides and returns the configuration.
func Parse(name string, data []byte, overrides []string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pos := Position{File: name}
		reason := err.Error()
		if line, text, ok := yamlerr.Line(reason, strings.Count(string(data), "\n")+1); ok {
			pos.Line, reason = line, text
		}
		return nil, &Error{Pos: pos, Reason: "malformed YAML: " + reason}
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		root = &yaml.Node{Kind: yaml.MappingNode}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Pos: Position{File: name, Line: root.Line}, Reason: "want a mapping of configuration keys"}
	}
	origins := map[*yaml.Node]string{}
	for _, o := range overrides {
		if err := applyOverride(root, o, origins); err != nil {
			return nil, &Error{Pos: Position{File: OverrideOrigin, Override: o}, Reason: err.Error()}
		}
	}
	r := &reader{name: name, origins: origins, cfg: Default()}
	r.cfg.File = name
	// Without a configuration file, alerts keep going to retrace's output
	// unless an override says otherwise.
	r.cfg.Stdout.Enabled = name == ""
	if err := r.mapping(root, ""); err != nil {
		return nil, err
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return r.cfg, nil
}

// reader walks the document.
type reader struct {
	name    string
	origins map[*yaml.Node]string
	cfg     *Config
	// rules are the rules_files entries with their positions.
	rules     []rulesEntry
	rulesKeys []string
}

type rulesEntry struct {
	path string
	pos  Position
}

func (r *reader) pos(n *yaml.Node) Position {
	if o, ok := r.origins[n]; ok {
		return Position{File: OverrideOrigin, Override: o}
	}
	if n.Line == 0 {
		return Position{File: r.name}
	}
	return Position{File: r.name, Line: n.Line}
}

// keyKind is how a key is handled.
type keyKind int

const (
	kindSection    keyKind = iota + 1 // a mapping of known keys
	kindValue                         // a value retrace reads
	kindLive                          // configures a live Falco only
	kindNotApplied                    // meaningful, but retrace does not apply it
)

// key is one entry of the table of keys retrace knows.
type key struct {
	kind keyKind
	// set stores a value; nil for sections and ignored keys.
	set func(r *reader, n *yaml.Node, k string) error
	// why explains a warning.
	why string
}

const liveOnly = "configures a live Falco; no effect on a replay"

// keys is the table of configuration keys: the sections, the values retrace
// reads and the keys it warns about. Every reader (the walk, the "did you
// mean" hints) derives from it.
var keys = map[string]key{
	"rules_files":                          {kind: kindValue, set: (*reader).setRules},
	"rules_file":                           {kind: kindValue, set: (*reader).setRules},
	"priority":                             {kind: kindValue, set: (*reader).setPriority},
	"rule_matching":                        {kind: kindValue, set: (*reader).setRuleMatching},
	"json_output":                          boolKey(func(c *Config) *bool { return &c.JSONOutput }),
	"json_include_output_property":         boolKey(func(c *Config) *bool { return &c.JSONIncludeOutput }),
	"json_include_tags_property":           boolKey(func(c *Config) *bool { return &c.JSONIncludeTags }),
	"json_include_message_property":        boolKey(func(c *Config) *bool { return &c.JSONIncludeMessage }),
	"json_include_output_fields_property":  boolKey(func(c *Config) *bool { return &c.JSONIncludeOutputFields }),
	"time_format_iso_8601":                 boolKey(func(c *Config) *bool { return &c.TimeISO8601 }),
	"buffered_outputs":                     boolKey(func(c *Config) *bool { return &c.BufferedOutputs }),
	"outputs_queue":                        {kind: kindSection},
	"outputs_queue.capacity":               intKey(func(c *Config) *int { return &c.QueueCapacity }),
	"stdout_output":                        {kind: kindSection},
	"stdout_output.enabled":                boolKey(func(c *Config) *bool { return &c.Stdout.Enabled }),
	"file_output":                          {kind: kindSection},
	"file_output.enabled":                  boolKey(func(c *Config) *bool { return &c.FileOut.Enabled }),
	"file_output.keep_alive":               boolKey(func(c *Config) *bool { return &c.FileOut.KeepAlive }),
	"file_output.filename":                 stringKey(func(c *Config) *string { return &c.FileOut.Filename }),
	"program_output":                       {kind: kindSection},
	"program_output.enabled":               boolKey(func(c *Config) *bool { return &c.Program.Enabled }),
	"program_output.keep_alive":            boolKey(func(c *Config) *bool { return &c.Program.KeepAlive }),
	"program_output.program":               stringKey(func(c *Config) *string { return &c.Program.Program }),
	"http_output":                          {kind: kindSection},
	"http_output.enabled":                  boolKey(func(c *Config) *bool { return &c.HTTP.Enabled }),
	"http_output.url":                      {kind: kindValue, set: (*reader).setURL},
	"http_output.user_agent":               stringKey(func(c *Config) *string { return &c.HTTP.UserAgent }),
	"http_output.insecure":                 boolKey(func(c *Config) *bool { return &c.HTTP.Insecure }),
	"http_output.ca_cert":                  stringKey(func(c *Config) *string { return &c.HTTP.CACert }),
	"http_output.ca_bundle":                stringKey(func(c *Config) *string { return &c.HTTP.CABundle }),
	"http_output.ca_path":                  stringKey(func(c *Config) *string { return &c.HTTP.CAPath }),
	"http_output.mtls":                     boolKey(func(c *Config) *bool { return &c.HTTP.MTLS }),
	"http_output.client_cert":              stringKey(func(c *Config) *string { return &c.HTTP.ClientCert }),
	"http_output.client_key":               stringKey(func(c *Config) *string { return &c.HTTP.ClientKey }),
	"http_output.echo":                     boolKey(func(c *Config) *bool { return &c.HTTP.Echo }),
	"http_output.compress_uploads":         boolKey(func(c *Config) *bool { return &c.HTTP.CompressUploads }),
	"http_output.keep_alive":               boolKey(func(c *Config) *bool { return &c.HTTP.KeepAlive }),
	"http_output.max_consecutive_timeouts": intKey(func(c *Config) *int { return &c.HTTP.MaxConsecutiveTimeouts }),

	"syslog_output":          {kind: kindLive, why: "alerts are not sent to syslog when replaying"},
	"append_output":          {kind: kindNotApplied, why: "not applied: rule outputs print as the rules define them"},
	"static_fields":          {kind: kindNotApplied, why: "not applied: static.* fields are not defined"},
	"outputs":                {kind: kindNotApplied, why: "not applied: alerts are not rate limited (Falco 0.32's outputs.rate and max_burst)"},
	"buffer_format_base64":   {kind: kindNotApplied, why: "not applied: buffers print as text"},
	"config_files":           {kind: kindNotApplied, why: "not read: pass other files' settings with -o key=value"},
	"watch_config_files":     {kind: kindLive, why: liveOnly},
	"engine":                 {kind: kindLive, why: liveOnly},
	"capture":                {kind: kindLive, why: liveOnly},
	"load_plugins":           {kind: kindLive, why: liveOnly},
	"plugins":                {kind: kindLive, why: liveOnly},
	"plugins_hostinfo":       {kind: kindLive, why: liveOnly},
	"webserver":              {kind: kindLive, why: liveOnly},
	"grpc":                   {kind: kindLive, why: "configures a live Falco's gRPC server, removed from Falco; no effect on a replay"},
	"grpc_output":            {kind: kindLive, why: "the gRPC output was removed from Falco; no effect on a replay"},
	"log_stderr":             {kind: kindLive, why: liveOnly},
	"log_syslog":             {kind: kindLive, why: liveOnly},
	"log_level":              {kind: kindLive, why: liveOnly},
	"libs_logger":            {kind: kindLive, why: liveOnly},
	"output_timeout":         {kind: kindLive, why: liveOnly},
	"syscall_event_timeouts": {kind: kindLive, why: liveOnly},
	"syscall_event_drops":    {kind: kindLive, why: "configures a live Falco; retrace reports a capture's drops in its summary"},
	"metrics":                {kind: kindLive, why: liveOnly},
	"base_syscalls":          {kind: kindLive, why: liveOnly},
	"falco_libs":             {kind: kindLive, why: liveOnly},
	"modern_bpf":             {kind: kindLive, why: liveOnly},
	"container_engines":      {kind: kindLive, why: "configures a live Falco; replay reads container metadata from the capture"},
	"cri":                    {kind: kindLive, why: liveOnly},
	"disable_cri_async":      {kind: kindLive, why: liveOnly},
}

// Keys returns the dotted keys retrace knows, sorted.
func Keys() []string {
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func boolKey(field func(*Config) *bool) key {
	return key{kind: kindValue, set: func(r *reader, n *yaml.Node, k string) error {
		b, ok := parseBool(n)
		if !ok {
			return r.typeError(n, k, "want true or false")
		}
		*field(r.cfg) = b
		return nil
	}}
}

// parseBool reads a boolean scalar as Falco's YAML reader does: true,
// false and YAML 1.1's yes/no/on/off in any case, quoted or not (Falco
// compares some options, such as keep_alive, to the string "true").
func parseBool(n *yaml.Node) (b, ok bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(n.Value)) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

func stringKey(field func(*Config) *string) key {
	return key{kind: kindValue, set: func(r *reader, n *yaml.Node, k string) error {
		if n.Kind != yaml.ScalarNode {
			return r.typeError(n, k, "want a string")
		}
		*field(r.cfg) = n.Value
		return nil
	}}
}

func intKey(field func(*Config) *int) key {
	return key{kind: kindValue, set: func(r *reader, n *yaml.Node, k string) error {
		v, err := strconv.Atoi(strings.TrimSpace(n.Value))
		if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
			return r.typeError(n, k, "want a non-negative integer")
		}
		*field(r.cfg) = v
		return nil
	}}
}

func (r *reader) typeError(n *yaml.Node, k, want string) error {
	got := n.Value
	switch n.Kind {
	case yaml.MappingNode:
		got = "a mapping"
	case yaml.SequenceNode:
		got = "a list"
	default:
		got = strconv.Quote(got)
	}
	return &Error{Pos: r.pos(n), Key: k, Reason: fmt.Sprintf("%s, got %s", want, got)}
}

// mapping reads the keys of a mapping at prefix ("" for the root).
func (r *reader) mapping(m *yaml.Node, prefix string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		full := kn.Value
		if prefix != "" {
			full = prefix + "." + kn.Value
		}
		k, ok := keys[full]
		if !ok {
			r.warn(kn, full, "unknown key"+suggest.DidYouMean(full, r.siblings(prefix)))
			continue
		}
		switch k.kind {
		case kindSection:
			if vn.Kind == yaml.ScalarNode && vn.Tag == "!!null" {
				continue
			}
			if vn.Kind != yaml.MappingNode {
				return r.typeError(vn, full, "want a mapping")
			}
			if err := r.mapping(vn, full); err != nil {
				return err
			}
		case kindValue:
			if r.cfg.set == nil {
				r.cfg.set = map[string]bool{}
			}
			r.cfg.set[full] = true
			if err := k.set(r, vn, full); err != nil {
				return err
			}
		default:
			r.warn(kn, full, k.why)
		}
	}
	return nil
}

// siblings returns the known keys below prefix, dotted, for hints.
func (r *reader) siblings(prefix string) []string {
	var out []string
	for _, k := range Keys() {
		if prefix == "" && !strings.Contains(k, ".") || prefix != "" && strings.HasPrefix(k, prefix+".") && !strings.Contains(k[len(prefix)+1:], ".") {
			out = append(out, k)
		}
	}
	return out
}

func (r *reader) warn(n *yaml.Node, k, msg string) {
	r.cfg.Warnings = append(r.cfg.Warnings, Warning{Pos: r.pos(n), Key: k, Message: msg})
}

func (r *reader) setRules(n *yaml.Node, k string) error {
	r.rulesKeys = append(r.rulesKeys, k)
	if k == "rules_file" {
		r.warn(n, k, `deprecated: use "rules_files"`)
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!null" {
			items = []*yaml.Node{n}
		}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return r.typeError(n, k, "want a path or a list of paths")
	}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return r.typeError(it, k, "want a path")
		}
		r.rules = append(r.rules, rulesEntry{path: it.Value, pos: r.pos(it)})
	}
	return nil
}

// setURL reads http_output.url; like Falco, it drops quotes around the
// whole URL, which an -o override may carry.
func (r *reader) setURL(n *yaml.Node, k string) error {
	if n.Kind != yaml.ScalarNode {
		return r.typeError(n, k, "want a URL")
	}
	u := n.Value
	if len(u) >= 2 && (u[0] == '"' && u[len(u)-1] == '"' || u[0] == '\'' && u[len(u)-1] == '\'') {
		u = u[1 : len(u)-1]
	}
	r.cfg.HTTP.URL = u
	return nil
}

func (r *reader) setPriority(n *yaml.Node, k string) error {
	p, err := engine.ParsePriority(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return r.typeError(n, k, "want a priority (emergency, alert, critical, error, warning, notice, info or debug)")
	}
	r.cfg.Priority, r.cfg.HasPriority = p, true
	return nil
}

func (r *reader) setRuleMatching(n *yaml.Node, k string) error {
	m, err := engine.ParseMatchMode(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return r.typeError(n, k, "want first or all")
	}
	r.cfg.RuleMatching, r.cfg.HasRuleMatching = m, true
	return nil
}

// finish checks what spans keys: the rules keys, the enabled outputs.
func (r *reader) finish() error {
	c := r.cfg
	if slices.Contains(r.rulesKeys, "rules_file") && slices.Contains(r.rulesKeys, "rules_files") {
		return &Error{Pos: Position{File: r.name}, Reason: `both "rules_files" and "rules_file" are set`}
	}
	c.RulesSet = len(r.rules) > 0
	for _, e := range r.rules {
		// Like Falco, rules files that do not exist are skipped; a replay
		// usually runs on another machine than the recorded one.
		if _, err := os.Stat(e.path); err != nil {
			c.Warnings = append(c.Warnings, Warning{Pos: e.pos, Key: "rules_files",
				Message: fmt.Sprintf("%s: %v; skipped", e.path, errors.Unwrap(err))})
			continue
		}
		c.RulesFiles = append(c.RulesFiles, e.path)
	}
	if c.FileOut.Enabled && c.FileOut.Filename == "" {
		return &Error{Pos: Position{File: r.name}, Key: "file_output.filename", Reason: "file output enabled but no filename"}
	}
	if c.Program.Enabled && c.Program.Program == "" {
		return &Error{Pos: Position{File: r.name}, Key: "program_output.program", Reason: "program output enabled but no program"}
	}
	if c.HTTP.Enabled && c.HTTP.URL == "" {
		return &Error{Pos: Position{File: r.name}, Key: "http_output.url", Reason: "http output enabled but no url"}
	}
	return nil
}
