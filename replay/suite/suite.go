package suite

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Suite is one parsed suite file.
type Suite struct {
	// Path is the suite file's path as given.
	Path string
	// Dir is the directory relative paths of the suite are resolved from.
	Dir string
	// Fields are the output fields --update records for each new expected
	// alert (the suite's `fields` key, or DefaultFields).
	Fields []string
	// Cases are the suite's cases, in file order.
	Cases []*Case

	doc *yaml.Node // the document node, kept for Update
}

// DefaultFields are the fields --update records for a new expected alert
// when the suite does not name its own.
var DefaultFields = []string{"proc.cmdline", "fd.name", "container.name"}

// Case is one capture replayed with one rule set and its expectations.
type Case struct {
	// Name names the case; it is unique in its suite.
	Name string
	// Description is free text from the suite.
	Description string
	// Capture is the capture file's path, resolved against the suite's
	// directory.
	Capture string
	// Truncated says the capture ends early (a recorder crash): the case
	// replays what it holds and fails unless the capture is truncated.
	Truncated bool
	// Rules are the rule files or directories, resolved; empty means the
	// built-in rules.
	Rules []string
	// Options are the replay options, the suite's defaults merged with the
	// case's own.
	Options Options
	// Expect is what the replay must produce.
	Expect Expect
	// Pos is where the case starts in the suite file.
	Pos Pos
	// Skip, when not empty, says why the case cannot run here (e.g. the
	// ${SHARED} directory its rules live in is absent).
	Skip string
	// Suite is the suite the case belongs to.
	Suite *Suite

	node          *yaml.Node // the case's mapping node
	capturePos    Pos
	rulePos       []Pos
	captureShared bool // Skip is set because the capture needs ${SHARED}
}

// ID returns "suite-file:case-name", unique across suites.
func (c *Case) ID() string { return c.Suite.Path + ":" + c.Name }

// Options are the replay options of a case; they mirror retrace replay's
// flags.
type Options struct {
	// AllEvents evaluates the high-volume events Falco skips by default (-A).
	AllEvents bool
	// Tags keeps only rules with one of these tags (-t).
	Tags []string
	// ExcludeTags drops rules with one of these tags (-T).
	ExcludeTags []string
	// Disable drops rules whose name contains one of these texts (-D).
	Disable []string
	// Priority, when not empty, keeps rules of this priority or more
	// severe (-p).
	Priority string
	// RuleMatching is "first" (the default) or "all" (--rule-matching).
	RuleMatching string
	// Compat is empty or "falco-0.32" (--compat).
	Compat string
}

// validate checks the combinations replay refuses.
func (o *Options) validate() error {
	if len(o.Tags) > 0 && (len(o.ExcludeTags) > 0 || len(o.Disable) > 0) {
		return fmt.Errorf("tags can not be combined with exclude_tags or disable (replay refuses -t with -T/-D)")
	}
	return nil
}

// Expect is the expected part of a case.
type Expect struct {
	// Counts are exact detection counts per rule, in file order.
	Counts []Count
	// Alerts are expected alerts; every one must match a distinct
	// detection, and the detections of a rule named in Alerts must all be
	// matched.
	Alerts []Alert
	// Absent names rules that must not fire.
	Absent []Absent
	// Exhaustive, true by default, makes a detection of a rule named
	// neither in Counts nor in Alerts a failure.
	Exhaustive bool
	// HasCounts and HasAlerts say whether the keys are present (an empty
	// `counts: {}` is an expectation, a missing key is not).
	HasCounts, HasAlerts bool
}

// Count is an exact number of detections of one rule.
type Count struct {
	Rule string
	N    int
	Pos  Pos
}

// Absent is a rule that must not fire.
type Absent struct {
	Rule string
	Pos  Pos
}

// Alert is one expected detection.
type Alert struct {
	// Rule is the rule's name (required).
	Rule string
	// Priority, when not empty, is the canonical priority name it must have.
	Priority string
	// Time, when not zero, is the event time it must have.
	Time time.Time
	// Fields are output or context fields and their expected text values.
	Fields []Field
	// Pending, when not empty, says why the alert is expected but does not
	// fire yet (a known bug): the case passes while no detection matches
	// it, and fails once one does, so that the marker is removed.
	Pending string
	// FalsePositive, when not empty, says why the alert fires although it
	// should not (a known false positive): it is expected like any alert,
	// and when it stops firing the case fails so that it is removed.
	FalsePositive string
	// Pos is where the alert is in the suite file.
	Pos Pos

	node *yaml.Node
}

// String renders the alert on one line: priority, rule and fields.
func (a *Alert) String() string {
	var b strings.Builder
	if a.Priority != "" {
		b.WriteString(a.Priority)
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "%q", a.Rule)
	if !a.Time.IsZero() {
		fmt.Fprintf(&b, " time=%s", a.Time.UTC().Format(time.RFC3339Nano))
	}
	for _, f := range a.Fields {
		fmt.Fprintf(&b, " %s=%q", f.Name, f.Want())
	}
	return b.String()
}

// Missing is the text of a field without a value, as Falco prints it.
const Missing = "<NA>"

// Field is one expected field value.
type Field struct {
	Name, Value string
	// Pattern, set for a value tagged !re, is the regular expression
	// (Value, anchored at both ends) the text must match instead.
	Pattern *regexp.Regexp
}

// RegexpTag is the YAML tag that makes an expected field value a regular
// expression.
const RegexpTag = "!re"

// Matches reports whether text satisfies the expected value.
func (f *Field) Matches(text string) bool {
	if f.Pattern != nil {
		return f.Pattern.MatchString(text)
	}
	return text == f.Value
}

// Want renders the expected value for diffs: the text, or "!re PATTERN".
func (f *Field) Want() string {
	if f.Pattern != nil {
		return RegexpTag + " " + f.Value
	}
	return f.Value
}

// Pos is a position in a suite file.
type Pos struct {
	File         string
	Line, Column int
}

// String renders "file:line".
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}
