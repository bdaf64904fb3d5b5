package suite

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/replay/report"
)

// FieldValue returns the text of field name for detection d: the value
// the rule's output carried (its output fields), else the value from the
// detection's context (process, parent, user, container, event type,
// file or connection). ok is false when d has neither.
func FieldValue(d *report.Detection, name string) (string, bool) {
	if v, ok := d.OutputFields[name]; ok {
		return formatValue(v), true
	}
	p := &d.Process
	var parent *report.Process
	if len(d.Ancestry) > 0 {
		parent = &d.Ancestry[0]
	}
	switch name {
	case "rule":
		return d.Rule, true
	case "priority":
		return d.Priority, true
	case "evt.type":
		return d.EventType, d.EventType != ""
	case "evt.num":
		return strconv.FormatUint(d.EventNum, 10), true
	case "proc.pid":
		return strconv.FormatInt(p.Pid, 10), p.Pid != 0
	case "proc.name":
		return p.Name, p.Name != ""
	case "proc.exepath":
		return p.Exe, p.Exe != ""
	case "proc.cmdline":
		return p.Cmdline, p.Cmdline != ""
	case "user.name":
		return p.User, p.User != ""
	case "proc.tty":
		return strconv.FormatInt(p.Tty, 10), p.Name != ""
	case "proc.ppid":
		if parent != nil {
			return strconv.FormatInt(parent.Pid, 10), true
		}
	case "proc.pname":
		if parent != nil {
			return parent.Name, true
		}
	case "proc.pcmdline":
		if parent != nil {
			return parent.Cmdline, true
		}
	case "container.id":
		if d.Container.IsHost() {
			return "host", true
		}
		return d.Container.ID, true
	case "container.name":
		if d.Container.IsHost() {
			return "host", true
		}
		return d.Container.Name, d.Container.Name != ""
	case "container.image":
		return d.Container.Image, d.Container.Image != ""
	case "fd.name":
		if len(d.Files) > 0 {
			return d.Files[0], true
		}
		if len(d.Network) > 0 {
			n := d.Network[0]
			if _, rest, ok := strings.Cut(n, " "); ok {
				n = rest
			}
			return n, true
		}
	}
	return "", false
}

// formatValue renders an output field value as text: Missing for nil,
// lists joined by commas.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return Missing
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// matches reports whether d satisfies every constraint of a.
func (a *Alert) matches(d *report.Detection) bool {
	if d.Rule != a.Rule || a.Priority != "" && !strings.EqualFold(a.Priority, d.Priority) {
		return false
	}
	if !a.Time.IsZero() && !a.Time.Equal(d.Time) {
		return false
	}
	for _, f := range a.Fields {
		if v, ok := FieldValue(d, f.Name); !ok || !f.Matches(v) {
			return false
		}
	}
	return true
}

// Diff is how a case's detections differ from its expectations. The zero
// Diff means the case passed.
type Diff struct {
	// Missing are expected alerts no detection matched.
	Missing []Alert
	// Unexpected are detections no expectation covers.
	Unexpected []report.Detection
	// Changed pair an expected alert with a detection of the same rule
	// that differs in priority, time or fields.
	Changed []Change
	// Counts are the rules whose number of detections differs.
	Counts []CountDiff
	// Fired are detections of rules that must not fire.
	Fired []Fired
	// Fixed are pending alerts that a detection now matches, and known
	// false positives that no longer fire: the case fails until the marker
	// (or the false positive) is removed.
	Fixed []Alert
	// Pending are pending alerts that still match nothing, as expected;
	// they do not fail the case.
	Pending []Alert
}

// Empty reports whether the case passed.
func (d *Diff) Empty() bool {
	return len(d.Missing) == 0 && len(d.Unexpected) == 0 && len(d.Changed) == 0 && len(d.Counts) == 0 &&
		len(d.Fired) == 0 && len(d.Fixed) == 0
}

// Rules returns the rule names the diff mentions, sorted, without
// duplicates.
func (d *Diff) Rules() []string {
	var out []string
	for _, a := range d.Missing {
		out = append(out, a.Rule)
	}
	for _, x := range d.Unexpected {
		out = append(out, x.Rule)
	}
	for _, c := range d.Changed {
		out = append(out, c.Want.Rule)
	}
	for _, c := range d.Counts {
		out = append(out, c.Rule)
	}
	for _, f := range d.Fired {
		out = append(out, f.Detection.Rule)
	}
	for _, a := range d.Fixed {
		out = append(out, a.Rule)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Change is an expected alert and the detection that most likely stands
// for it, with what differs.
type Change struct {
	Want   Alert
	Got    report.Detection
	Fields []FieldChange
}

// FieldChange is one differing value; Name is a field name, "priority" or
// "time".
type FieldChange struct {
	Name, Want, Got string
}

// CountDiff is a rule whose detection count differs from the expected one;
// Detections are its detections (to show where they are).
type CountDiff struct {
	Rule       string
	Want, Got  int
	Pos        Pos
	Detections []report.Detection
}

// Fired is a detection of a rule listed as absent.
type Fired struct {
	Detection report.Detection
	Pos       Pos
}

// Compare checks detections (in time order) against c's expectations.
func Compare(c *Case, dets []report.Detection) Diff {
	diff, _ := compare(&c.Expect, dets)
	return diff
}

// compare returns the diff and, for each detection, the index of the
// expected alert it matched or was paired with as changed (-1 for none).
func compare(e *Expect, dets []report.Detection) (Diff, []int) {
	var diff Diff
	pair := make([]int, len(dets))
	for i := range pair {
		pair[i] = -1
	}
	absent := map[string]Pos{}
	for _, a := range e.Absent {
		absent[a.Rule] = a.Pos
	}
	counted := map[string]bool{}
	for _, c := range e.Counts {
		counted[c.Rule] = true
	}
	alerted := map[string]bool{}
	for _, a := range e.Alerts {
		alerted[a.Rule] = true
	}
	byRule := map[string][]int{}
	for i := range dets {
		r := dets[i].Rule
		byRule[r] = append(byRule[r], i)
		if pos, ok := absent[r]; ok {
			diff.Fired = append(diff.Fired, Fired{Detection: dets[i], Pos: pos})
			continue
		}
		if e.Exhaustive && !counted[r] && !alerted[r] {
			diff.Unexpected = append(diff.Unexpected, dets[i])
		}
	}
	for _, c := range e.Counts {
		idx := byRule[c.Rule]
		if len(idx) == c.N {
			continue
		}
		cd := CountDiff{Rule: c.Rule, Want: c.N, Got: len(idx), Pos: c.Pos}
		for _, i := range idx {
			cd.Detections = append(cd.Detections, dets[i])
		}
		diff.Counts = append(diff.Counts, cd)
	}

	// Expected alerts, rule by rule: a maximum matching between alerts and
	// detections, then leftovers paired in order as changes.
	alertsOf := map[string][]int{}
	var order []string
	for i, a := range e.Alerts {
		if _, ok := alertsOf[a.Rule]; !ok {
			order = append(order, a.Rule)
		}
		alertsOf[a.Rule] = append(alertsOf[a.Rule], i)
	}
	var missing []int
	var extra []int
	for _, rule := range order {
		// Pending alerts last: augmenting paths never unmatch an alert, so
		// the others get their detections first and a pending alert only
		// matches a detection no other alert can take.
		as, ds := alertsOf[rule], byRule[rule]
		slices.SortStableFunc(as, func(a, b int) int {
			pa, pb := e.Alerts[a].Pending != "", e.Alerts[b].Pending != ""
			switch {
			case pa == pb:
				return 0
			case pb:
				return -1
			}
			return 1
		})
		matchA, matchD := bipartite(len(as), len(ds), func(i, j int) bool { return e.Alerts[as[i]].matches(&dets[ds[j]]) })
		for j, i := range matchD {
			if i >= 0 {
				pair[ds[j]] = as[i]
			}
		}
		var leftA, leftD []int
		for i, m := range matchA {
			a := &e.Alerts[as[i]]
			switch {
			case a.Pending != "" && m >= 0:
				diff.Fixed = append(diff.Fixed, *a)
			case a.Pending != "":
				diff.Pending = append(diff.Pending, *a)
			case a.FalsePositive != "" && m < 0:
				diff.Fixed = append(diff.Fixed, *a)
			case m < 0:
				leftA = append(leftA, as[i])
			}
		}
		for j, m := range matchD {
			if m < 0 {
				leftD = append(leftD, ds[j])
			}
		}
		n := min(len(leftA), len(leftD))
		for k := range n {
			a, d := &e.Alerts[leftA[k]], &dets[leftD[k]]
			pair[leftD[k]] = leftA[k]
			diff.Changed = append(diff.Changed, Change{Want: *a, Got: *d, Fields: changes(a, d)})
		}
		missing = append(missing, leftA[n:]...)
		extra = append(extra, leftD[n:]...)
	}
	slices.Sort(missing)
	for _, i := range missing {
		diff.Missing = append(diff.Missing, e.Alerts[i])
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		var unexpected []report.Detection
		for _, i := range extra {
			unexpected = append(unexpected, dets[i])
		}
		diff.Unexpected = append(diff.Unexpected, unexpected...)
		slices.SortStableFunc(diff.Unexpected, func(a, b report.Detection) int { return a.Time.Compare(b.Time) })
	}
	return diff, pair
}

// changes lists what differs between an expected alert and a detection of
// the same rule.
func changes(a *Alert, d *report.Detection) []FieldChange {
	var out []FieldChange
	if a.Priority != "" && !strings.EqualFold(a.Priority, d.Priority) {
		out = append(out, FieldChange{Name: "priority", Want: a.Priority, Got: d.Priority})
	}
	if !a.Time.IsZero() && !a.Time.Equal(d.Time) {
		out = append(out, FieldChange{Name: "time", Want: a.Time.UTC().Format(time.RFC3339Nano), Got: d.Time.UTC().Format(time.RFC3339Nano)})
	}
	for _, f := range a.Fields {
		v, ok := FieldValue(d, f.Name)
		if !ok {
			v = "(no such field in this alert)"
		}
		if !ok || !f.Matches(v) {
			out = append(out, FieldChange{Name: f.Name, Want: f.Want(), Got: v})
		}
	}
	return out
}

// bipartite returns a maximum matching between n alerts and m detections
// where ok(i, j) says alert i may match detection j (Kuhn's augmenting
// paths, so a vague alert never takes the detection a precise one needs).
// matchA[i] is the detection of alert i, matchD[j] the alert of detection
// j, -1 for none.
func bipartite(n, m int, ok func(i, j int) bool) (matchA, matchD []int) {
	matchA = make([]int, n)
	matchD = make([]int, m)
	for i := range matchA {
		matchA[i] = -1
	}
	for j := range matchD {
		matchD[j] = -1
	}
	adj := make([][]int, n)
	for i := range n {
		for j := range m {
			if ok(i, j) {
				adj[i] = append(adj[i], j)
			}
		}
	}
	seen := make([]int, m)
	stamp := 0
	var try func(i int) bool
	try = func(i int) bool {
		for _, j := range adj[i] {
			if seen[j] == stamp {
				continue
			}
			seen[j] = stamp
			if matchD[j] < 0 || try(matchD[j]) {
				matchA[i], matchD[j] = j, i
				return true
			}
		}
		return false
	}
	for i := range n {
		// Quick path: a free detection directly.
		for _, j := range adj[i] {
			if matchD[j] < 0 {
				matchA[i], matchD[j] = j, i
				break
			}
		}
		if matchA[i] >= 0 {
			continue
		}
		stamp++
		try(i)
	}
	return matchA, matchD
}
