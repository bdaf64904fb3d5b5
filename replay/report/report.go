package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is everything one replay (or timeline) run hands to a writer: the
// captures it read and the detections it produced, in the order to print them
// (normally by time).
type Report struct {
	// Title heads the HTML report; empty means "retrace report".
	Title string
	// Generated is when the report was produced; the zero time omits it
	// (golden tests keep it zero so output is reproducible).
	Generated time.Time
	// Captures describes the input files, in the order given.
	Captures []CaptureInfo
	// RuleFiles names the rule files loaded (empty for the built-in set).
	RuleFiles []string
	// View names the timeline view the report shows ("shells",
	// "sensitive-reads", "binary-writes", "tree"); empty for a report of
	// rule detections. Views other than "tree" fill Detections, one per
	// finding, with Rule naming the kind of finding.
	View string
	// Detections are the alerts (or a view's findings), in output order.
	Detections []Detection
	// Tree is the process tree of the "tree" view: root processes with
	// their descendants and what each did. Writers print it after the
	// detections. A report of rule detections with a drill-down holds
	// the story's tree: the detections' processes with their creators and
	// descendants, the detections pinned on them (ProcessNode.Pins).
	Tree []ProcessNode
	// Notes say what the report leaves out and why (a bound reached).
	Notes []string
	// Left counts the detections a bounded report (HTML, table) holds no
	// longer, beyond Options.MaxDetections; writers count them in their
	// summaries and say that they are left out.
	Left Tally
	// Views are activity views of the same captures shown beside the
	// detections: the HTML report gives each a tab; the other writers
	// leave them out.
	Views []ActivityView
}

// ActivityView is one activity view's findings ("files", "connections",
// "commands", ...), in the view's order.
type ActivityView struct {
	Name     string
	Findings []Detection
	// Left counts the findings of the view beyond Findings that a bounded
	// report holds no longer; the HTML tab says how many it left out.
	Left int
}

// TabRow returns d with only what an activity view's tab of the HTML
// report shows of it (and what [Tally] counts it by): a report holding
// many views' findings for their tabs holds no more than that.
func TabRow(d *Detection) Detection {
	return Detection{Time: d.Time, Rule: d.Rule, Priority: d.Priority, Output: d.Output, Hostname: d.Hostname,
		Capture: d.Capture, EventNum: d.EventNum, Frame: d.Frame, Container: d.Container,
		Process: Process{Pid: d.Process.Pid, Name: d.Process.Name}}
}

// CaptureInfo describes one capture file a report covers.
type CaptureInfo struct {
	// File is the capture's path or base name as the user gave it.
	File string
	// Files, for a rotated set replayed as one capture, are its files in
	// order (File is the first); nil for a single file.
	Files []string
	// Hostname is the recorded machine's host name (from the capture's
	// machine info, never from the analyst's machine).
	Hostname string
	// Start and End are the timestamps of the first and last event; zero
	// when unknown.
	Start, End time.Time
	// Events counts the events read; Drops counts events the recorder
	// reported as lost.
	Events, Drops uint64
	// LeftOut counts the threads, fds and container metadata frames the
	// replay left out at its bounds (docs/FORMAT.md, "Limits of the
	// analysis"); the notes say which and where.
	LeftOut uint64
	// Notes say what the run noticed about this capture that a reader of
	// an empty or short answer must know: a scope that matched no event
	// and why, lines a format left out.
	Notes []string
}

// Detection is one rule match on one event, with the context an analyst
// needs to judge it.
type Detection struct {
	// Time is the event's timestamp, with nanosecond precision.
	Time time.Time
	// Rule is the rule's name.
	Rule string
	// Priority is the rule's canonical Falco priority name: Emergency,
	// Alert, Critical, Error, Warning, Notice, Informational or Debug.
	Priority string
	// Source is the rule's event source, normally "syscall".
	Source string
	// Tags are the rule's tags (writers print them sorted, as Falco does).
	Tags []string
	// Output is the rule's formatted output, without the time and priority
	// prefix (Falco's "message").
	Output string
	// OutputFields maps every field used in the rule's output to its typed
	// value: string, bool, signed or unsigned integers, float64, time.Time
	// (encoded as integer nanoseconds), []string, or nil for a missing
	// value. The writers add the time field of the prefix themselves.
	OutputFields map[string]any
	// Hostname is the recorded machine's host name.
	Hostname string
	// Capture is the name of the capture file the event came from.
	Capture string
	// EventNum is the event's number in its capture (sysdig's evt.num).
	EventNum uint64
	// Frame is the zstd frame of the capture that holds the event, -1 when
	// the capture is not framed (.scap, .scap.gz). With Hostname, Capture
	// and EventNum it traces the detection back to its bytes.
	Frame int
	// EventType is the event's type name (evt.type), e.g. "openat".
	EventType string
	// Container is the container the process runs in; an empty ID or
	// "host" means the host.
	Container Container
	// Process is the thread that caused the event.
	Process Process
	// Ancestry lists the process's ancestors, parent first, up to the
	// oldest known one.
	Ancestry []Process
	// Files lists the file objects the event touched (paths, e.g. the
	// opened file or both names of a rename).
	Files []string
	// Network lists the network objects the event touched, as the replay
	// prints them, e.g. "tcp 10.0.0.2:51234->93.184.216.34:443".
	Network []string
	// Children lists the processes the detection's process started, in
	// order; the "shells" view uses it for the commands a shell ran.
	Children []Process
	// Provenance is where the process came from (creation chain, login);
	// nil when unknown.
	Provenance *Provenance
	// Gap is set when the event uses state from before events lost to
	// damage; nil otherwise.
	Gap *Gap
	// Drill is the detection's context and what came next; nil unless a
	// drill-down was asked for.
	Drill *Drill
}

// Container identifies a container.
type Container struct {
	// ID is the short container id, "host" (or empty) for the host.
	ID string
	// Name and Image are from the capture's container metadata; empty
	// when unknown.
	Name, Image string
}

// IsHost reports whether c stands for the host rather than a container.
func (c Container) IsHost() bool { return c.ID == "" || c.ID == "host" }

// Label returns a short human name: the container's name, else its id, else
// "host".
func (c Container) Label() string {
	switch {
	case c.IsHost():
		return "host"
	case c.Name != "":
		return c.Name
	default:
		return c.ID
	}
}

// Process describes one process (thread group leader) at the time of an
// event.
type Process struct {
	// Pid is the process id as seen from the host.
	Pid int64
	// Name is the command name (proc.name).
	Name string
	// Exe is the executable path (proc.exepath); empty when unknown.
	Exe string
	// Cmdline is the command line (proc.cmdline): name and arguments.
	Cmdline string
	// User is the user name, or the numeric uid when the name is unknown.
	User string
	// Tty is the controlling terminal number (proc.tty); 0 for none.
	Tty int64
	// Start is when the process started or last ran execve; zero when
	// unknown.
	Start time.Time
}

// ProcessNode is one process of a tree view, with its activity and its
// children.
type ProcessNode struct {
	// Process describes the process as of its last execve.
	Process Process
	// Container is the container the process ran in.
	Container Container
	// Exit is when the process exited; zero when it still ran at the end
	// of the capture.
	Exit time.Time
	// ExitNum and ExitFrame locate the process's exit event in
	// ExitCapture, or in Capture when that is empty (see [Activity]);
	// ExitNum is 0 when the view did not see that event (an exit known
	// from the replay's lineage records only).
	ExitNum   uint64
	ExitFrame int
	// ExitCapture is the file that holds the exit event when it is not
	// Capture (another file of a rotated set); empty otherwise.
	ExitCapture string
	// Activity is what the process did, in time order.
	Activity []Activity
	// Children are the processes it started, in start order.
	Children []ProcessNode
	// Login is the process's login session ("login alice (uid 1000)
	// session 42 tty 34816", see [Provenance.Login]); empty when none.
	Login string
	// Host is the recorded machine the process ran on.
	Host string
	// Capture is the capture file, as the user named it, that holds the
	// event EventNum and Frame locate: of a rotated set (one capture of
	// several files, [CaptureInfo.Files]), the member file, which Frame
	// counts in; the set's first file when there is no such event.
	Capture string
	// EventNum and Frame locate the event that Process describes: the
	// process's last execve, or else the first event of it the view saw.
	// EventNum counts from the capture's first event (of a rotated set,
	// from its first file's). EventNum is 0 when the view saw no event of
	// the process (one known only as the creator of another); Frame is
	// then -1, as it is for a capture that is not framed.
	EventNum uint64
	Frame    int
	// Pins are the indices in Report.Detections of the detections of
	// this process (the story report pins them on the tree).
	Pins []int
}

// Activity is one thing a process did.
type Activity struct {
	// Time is the event's timestamp.
	Time time.Time
	// Kind says what happened: "exec", "open-read", "open-write",
	// "connect", "accept", "rename", "unlink", "chmod", "mkdir", ...
	Kind string
	// Object is what it happened to: a command line, a path (both paths
	// of a rename, "old -> new"), or a network endpoint.
	Object string
	// EventNum is the event's number in its capture (sysdig's evt.num),
	// 0 for an activity that is no event (a "truncated" note); Frame is
	// the zstd frame of Capture that holds it, -1 when the capture is not
	// framed. With the process's Host they trace the activity back to its
	// bytes.
	EventNum uint64
	Frame    int
	// Capture is the file that holds the event when it is not the
	// process's [ProcessNode.Capture] (another file of a rotated set);
	// empty otherwise. A drill-down's [Step], of no node, always names
	// its file.
	Capture string
}

// ActivityFile returns the file that holds a's event, an activity of n:
// a.Capture, else n.Capture.
func (n *ProcessNode) ActivityFile(a *Activity) string {
	if a.Capture != "" {
		return a.Capture
	}
	return n.Capture
}

// ExitFile returns the file that holds n's exit event: ExitCapture, else
// Capture.
func (n *ProcessNode) ExitFile() string {
	if n.ExitCapture != "" {
		return n.ExitCapture
	}
	return n.Capture
}

// Format names an output format.
type Format string

// The output formats [Write] knows.
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatTable Format = "table"
	FormatHTML  Format = "html"
	// FormatTimesketch is JSON lines for Timesketch (see [WriteTimesketch]).
	FormatTimesketch Format = "timesketch"
)

// Formats lists the formats [Write] accepts, in the order to document them.
func Formats() []Format {
	return []Format{FormatText, FormatJSON, FormatTable, FormatHTML, FormatTimesketch}
}

// ParseFormat returns the format named s, or an error listing the valid ones.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, 4)
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("parse format %q: want one of %s", s, strings.Join(names, ", "))
}

// TimeFormat selects how the text prefix prints an event's time.
type TimeFormat int

const (
	// TimeISO8601 prints the date and time with nanoseconds and the zone
	// offset, like Falco's time_format_iso_8601: 2016-08-04T16:17:57.881781397+0000.
	TimeISO8601 TimeFormat = iota
	// TimeOfDay prints only the time of day with nanoseconds, like Falco's
	// default %evt.time: 16:17:57.881781397.
	TimeOfDay
)

// Options tunes the writers. The zero value prints Falco's ISO-8601 format in
// UTC.
type Options struct {
	// TZ is the zone times print in; nil means UTC (captures do not record
	// the recorded host's zone). The JSON "time" key is always UTC.
	TZ *time.Location
	// TimeFormat selects the text prefix's time format.
	TimeFormat TimeFormat
	// Width is the table's maximum width in terminal columns; 0 means 120.
	Width int
	// JSON selects the keys of JSON alerts, as Falco's json_include_*
	// options do; the zero value is Falco's default.
	JSON JSONKeys
	// MaxDetections bounds the detections the HTML report embeds and the
	// table prints: the first ones in report order (the HTML summary
	// still counts all); a notice says how many were left out. 0 means
	// DefaultMaxDetections.
	MaxDetections int
}

// DefaultMaxDetections is the default of Options.MaxDetections: at about
// 6 KB a detection with its drill-down, an HTML page of about 60 MB that
// browsers still open.
const DefaultMaxDetections = 10000

func (o Options) maxDetections() int { return cmp.Or(max(o.MaxDetections, 0), DefaultMaxDetections) }

// JSONKeys selects the optional keys of a JSON alert. Each field is the
// opposite of Falco's option of the same name when that option defaults to
// true, so that the zero value is Falco's default: "output", "tags" and
// "output_fields" present, "message" absent.
type JSONKeys struct {
	// OmitOutput drops "output" (json_include_output_property: false).
	OmitOutput bool
	// OmitTags drops "tags" (json_include_tags_property: false).
	OmitTags bool
	// OmitOutputFields drops "output_fields"
	// (json_include_output_fields_property: false).
	OmitOutputFields bool
	// Message adds "message", the rule's output without the time and
	// priority prefix (json_include_message_property: true).
	Message bool
}

func (o Options) zone() *time.Location {
	if o.TZ == nil {
		return time.UTC
	}
	return o.TZ
}

// LineEncoder returns the function that appends one detection as a line
// of format f, for formats written a detection at a time as detections
// are found (text, json, timesketch); nil for those written as a whole.
// Text lines are followed by their provenance line unless falcoOnly asks
// for exactly Falco's lines.
func LineEncoder(f Format, opts Options, falcoOnly bool) func(dst []byte, d *Detection) []byte {
	switch {
	case f == FormatText && falcoOnly:
		return func(dst []byte, d *Detection) []byte { return AppendText(dst, d, opts) }
	case f == FormatText:
		return func(dst []byte, d *Detection) []byte { return AppendTextProvenance(dst, d, opts) }
	case f == FormatJSON:
		return func(dst []byte, d *Detection) []byte { return AppendJSON(dst, d, opts) }
	case f == FormatTimesketch:
		return func(dst []byte, d *Detection) []byte { return AppendTimesketch(dst, d, "") }
	}
	return nil
}

// ViewLineEncoder is [LineEncoder] for the findings of a timeline view:
// the line [Write] writes for each finding of a report of that view (one
// without a tree); nil for formats written as a whole.
func ViewLineEncoder(f Format, opts Options, view string) func(dst []byte, d *Detection) []byte {
	if f == FormatTimesketch {
		return func(dst []byte, d *Detection) []byte { return AppendTimesketch(dst, d, view) }
	}
	return LineEncoder(f, opts, false)
}

// Write renders r in format f to w.
func Write(w io.Writer, r *Report, f Format, opts Options) error {
	switch f {
	case FormatText:
		return WriteText(w, r, opts)
	case FormatJSON:
		return WriteJSON(w, r, opts)
	case FormatTable:
		return WriteTable(w, r, opts)
	case FormatHTML:
		return WriteHTML(w, r, opts)
	case FormatTimesketch:
		return WriteTimesketch(w, r, opts)
	}
	_, err := ParseFormat(string(f))
	return err
}

// priorityNames returns Falco's priority names, most severe first.
func priorityNames() []string {
	return []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}
}

// priorityRank returns 0 for Emergency up to 7 for Debug, and 8 for a name
// that is not a priority.
func priorityRank(name string) int {
	switch strings.ToLower(name) {
	case "emergency":
		return 0
	case "alert":
		return 1
	case "critical":
		return 2
	case "error":
		return 3
	case "warning":
		return 4
	case "notice":
		return 5
	case "informational", "info":
		return 6
	case "debug":
		return 7
	}
	return 8
}
