package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/replay/report"
)

// maxListed bounds the detections one diff section prints.
const maxListed = 20

// timeLayout prints detection times in diffs: UTC with nanoseconds.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// WriteText writes one line per case (PASS, FAIL, SKIP, ERROR) with a
// readable diff under each failure, then a summary line.
func WriteText(w io.Writer, results []Result) error {
	var b strings.Builder
	for i := range results {
		r := &results[i]
		c := r.Case
		switch r.Status() {
		case Pass:
			pending := ""
			if n := len(r.Diff.Pending); n > 0 {
				pending = fmt.Sprintf(" (%d pending)", n)
			}
			fmt.Fprintf(&b, "PASS  %s (%s) %d detections%s %s\n", c.Name, c.Pos, len(r.Detections), pending, dur(r.Duration))
		case Skip:
			fmt.Fprintf(&b, "SKIP  %s (%s): %s\n", c.Name, c.Pos, c.Skip)
		case Errored:
			fmt.Fprintf(&b, "ERROR %s (%s): %v\n", c.Name, c.Pos, r.Err)
		case Fail:
			fmt.Fprintf(&b, "FAIL  %s (%s) %d detections %s\n", c.Name, c.Pos, len(r.Detections), dur(r.Duration))
			writeDiff(&b, &r.Diff, "      ")
		}
	}
	s := Summarize(results)
	fmt.Fprintf(&b, "%d passed, %d failed, %d errors, %d skipped\n", s.Passed, s.Failed, s.Errors, s.Skipped)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

func dur(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// FormatDiff renders d as the text WriteText prints under a failed case,
// without indentation.
func FormatDiff(d *Diff) string {
	var b strings.Builder
	writeDiff(&b, d, "")
	return b.String()
}

func writeDiff(b *strings.Builder, d *Diff, indent string) {
	short := func(p Pos) string { return filepath.Base(p.File) + fmt.Sprintf(":%d", p.Line) }
	for _, a := range d.Missing {
		fmt.Fprintf(b, "%smissing     %s  [%s]\n", indent, a.String(), short(a.Pos))
	}
	for _, a := range d.Fixed {
		what := "now fires: remove its pending key"
		if a.FalsePositive != "" {
			what = "(a known false positive) no longer fires: remove it"
		}
		fmt.Fprintf(b, "%sfixed       %s %s  [%s]\n", indent, a.String(), what, short(a.Pos))
	}
	for i, c := range d.Changed {
		if i == maxListed {
			fmt.Fprintf(b, "%schanged     ... and %d more\n", indent, len(d.Changed)-i)
			break
		}
		fmt.Fprintf(b, "%schanged     %s  [%s]\n", indent, detectionLine(&c.Got), short(c.Want.Pos))
		for _, f := range c.Fields {
			fmt.Fprintf(b, "%s              %s: want %q, got %q\n", indent, f.Name, f.Want, f.Got)
		}
	}
	for i := range d.Unexpected {
		if i == maxListed {
			fmt.Fprintf(b, "%sunexpected  ... and %d more\n", indent, len(d.Unexpected)-i)
			break
		}
		fmt.Fprintf(b, "%sunexpected  %s\n", indent, detectionLine(&d.Unexpected[i]))
	}
	for _, c := range d.Counts {
		fmt.Fprintf(b, "%scount       %q: want %d, got %d  [%s]\n", indent, c.Rule, c.Want, c.Got, short(c.Pos))
		for i := range c.Detections {
			if i == maxListed {
				fmt.Fprintf(b, "%s              ... and %d more\n", indent, len(c.Detections)-i)
				break
			}
			fmt.Fprintf(b, "%s              %s\n", indent, detectionLine(&c.Detections[i]))
		}
	}
	for i, f := range d.Fired {
		if i == maxListed {
			fmt.Fprintf(b, "%sfired       ... and %d more\n", indent, len(d.Fired)-i)
			break
		}
		fmt.Fprintf(b, "%sfired       %s  (must not fire, [%s])\n", indent, detectionLine(&f.Detection), short(f.Pos))
	}
}

// detectionLine renders a detection on one line: time, priority, rule,
// process and container.
func detectionLine(d *report.Detection) string {
	p := &d.Process
	return fmt.Sprintf("%s %s %q pid %d %s: %s [%s]", d.Time.UTC().Format(timeLayout), d.Priority, d.Rule,
		p.Pid, p.Name, clipLine(p.Cmdline), d.Container.Label())
}

// clipLine shortens long command lines in diffs and flattens newlines.
func clipLine(s string) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// JSON shapes of WriteJSON.
type (
	jsonReport struct {
		Passed  int        `json:"passed"`
		Failed  int        `json:"failed"`
		Errors  int        `json:"errors"`
		Skipped int        `json:"skipped"`
		Cases   []jsonCase `json:"cases"`
	}
	jsonCase struct {
		Suite      string      `json:"suite"`
		Name       string      `json:"name"`
		Line       int         `json:"line"`
		Capture    string      `json:"capture"`
		Status     string      `json:"status"`
		Seconds    float64     `json:"seconds"`
		Detections int         `json:"detections"`
		Error      string      `json:"error,omitempty"`
		Skip       string      `json:"skip_reason,omitempty"`
		Pending    []jsonAlert `json:"pending,omitempty"`
		Diff       *jsonDiff   `json:"diff,omitempty"`
	}
	jsonDiff struct {
		Missing    []jsonAlert     `json:"missing,omitempty"`
		Unexpected []jsonDetection `json:"unexpected,omitempty"`
		Changed    []jsonChange    `json:"changed,omitempty"`
		Counts     []jsonCount     `json:"counts,omitempty"`
		Fired      []jsonDetection `json:"fired,omitempty"`
		Fixed      []jsonAlert     `json:"fixed,omitempty"`
	}
	jsonAlert struct {
		Rule     string            `json:"rule"`
		Priority string            `json:"priority,omitempty"`
		Time     string            `json:"time,omitempty"`
		Fields   map[string]string `json:"fields,omitempty"`
		Pending  string            `json:"pending,omitempty"`
		FalsePos string            `json:"false_positive,omitempty"`
		Line     int               `json:"line"`
	}
	jsonDetection struct {
		Time      string `json:"time"`
		Rule      string `json:"rule"`
		Priority  string `json:"priority"`
		Pid       int64  `json:"pid"`
		Process   string `json:"process"`
		Cmdline   string `json:"cmdline"`
		Container string `json:"container"`
		EventNum  uint64 `json:"evt_num"`
		Output    string `json:"output"`
	}
	jsonChange struct {
		Want   jsonAlert         `json:"want"`
		Got    jsonDetection     `json:"got"`
		Fields []jsonFieldChange `json:"fields"`
	}
	jsonFieldChange struct {
		Name string `json:"name"`
		Want string `json:"want"`
		Got  string `json:"got"`
	}
	jsonCount struct {
		Rule string `json:"rule"`
		Want int    `json:"want"`
		Got  int    `json:"got"`
		Line int    `json:"line"`
	}
)

func toJSONAlert(a *Alert) jsonAlert {
	j := jsonAlert{Rule: a.Rule, Priority: a.Priority, Pending: a.Pending, FalsePos: a.FalsePositive, Line: a.Pos.Line}
	if !a.Time.IsZero() {
		j.Time = a.Time.UTC().Format(time.RFC3339Nano)
	}
	if len(a.Fields) > 0 {
		j.Fields = map[string]string{}
		for _, f := range a.Fields {
			j.Fields[f.Name] = f.Value
		}
	}
	return j
}

func toJSONDetection(d *report.Detection) jsonDetection {
	return jsonDetection{Time: d.Time.UTC().Format(time.RFC3339Nano), Rule: d.Rule, Priority: d.Priority,
		Pid: d.Process.Pid, Process: d.Process.Name, Cmdline: d.Process.Cmdline, Container: d.Container.Label(),
		EventNum: d.EventNum, Output: d.Output}
}

// WriteJSON writes results as one JSON document: counts of outcomes and
// every case with its status and diff.
func WriteJSON(w io.Writer, results []Result) error {
	s := Summarize(results)
	rep := jsonReport{Passed: s.Passed, Failed: s.Failed, Errors: s.Errors, Skipped: s.Skipped, Cases: []jsonCase{}}
	for i := range results {
		r := &results[i]
		c := r.Case
		jc := jsonCase{Suite: c.Suite.Path, Name: c.Name, Line: c.Pos.Line, Capture: c.Capture, Status: r.Status().String(),
			Seconds: r.Duration.Seconds(), Detections: len(r.Detections), Skip: c.Skip}
		if r.Err != nil {
			jc.Error = r.Err.Error()
		}
		for i := range r.Diff.Pending {
			jc.Pending = append(jc.Pending, toJSONAlert(&r.Diff.Pending[i]))
		}
		if r.Status() == Fail {
			d := &jsonDiff{}
			for i := range r.Diff.Missing {
				d.Missing = append(d.Missing, toJSONAlert(&r.Diff.Missing[i]))
			}
			for i := range r.Diff.Unexpected {
				d.Unexpected = append(d.Unexpected, toJSONDetection(&r.Diff.Unexpected[i]))
			}
			for i := range r.Diff.Changed {
				ch := &r.Diff.Changed[i]
				jch := jsonChange{Want: toJSONAlert(&ch.Want), Got: toJSONDetection(&ch.Got), Fields: []jsonFieldChange{}}
				for _, f := range ch.Fields {
					jch.Fields = append(jch.Fields, jsonFieldChange(f))
				}
				d.Changed = append(d.Changed, jch)
			}
			for _, c := range r.Diff.Counts {
				d.Counts = append(d.Counts, jsonCount{Rule: c.Rule, Want: c.Want, Got: c.Got, Line: c.Pos.Line})
			}
			for i := range r.Diff.Fired {
				d.Fired = append(d.Fired, toJSONDetection(&r.Diff.Fired[i].Detection))
			}
			for i := range r.Diff.Fixed {
				d.Fixed = append(d.Fixed, toJSONAlert(&r.Diff.Fixed[i]))
			}
			jc.Diff = d
		}
		rep.Cases = append(rep.Cases, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// JUnit converts results to JUnit suites, one per suite file, with a case
// per suite case (classname: the capture's file name).
func JUnit(results []Result, now time.Time) []report.JUnitSuite {
	var out []report.JUnitSuite
	index := map[string]int{}
	for i := range results {
		r := &results[i]
		c := r.Case
		k, ok := index[c.Suite.Path]
		if !ok {
			k = len(out)
			index[c.Suite.Path] = k
			out = append(out, report.JUnitSuite{Name: c.Suite.Path, Timestamp: now})
		}
		jc := report.JUnitCase{Name: c.Name, Class: filepath.Base(c.Capture), Duration: r.Duration}
		switch r.Status() {
		case Skip:
			jc.Skipped = c.Skip
		case Errored:
			jc.Error = r.Err.Error()
		case Fail:
			jc.Failure = fmt.Sprintf("%d differences in rules %s\n%s", diffSize(&r.Diff), strings.Join(r.Diff.Rules(), ", "), FormatDiff(&r.Diff))
		}
		if r.Status() == Pass || r.Status() == Fail {
			var b strings.Builder
			for i := range r.Detections {
				b.WriteString(detectionLine(&r.Detections[i]))
				b.WriteByte('\n')
			}
			jc.Output = b.String()
		}
		out[k].Cases = append(out[k].Cases, jc)
	}
	return out
}

func diffSize(d *Diff) int {
	return len(d.Missing) + len(d.Unexpected) + len(d.Changed) + len(d.Counts) + len(d.Fired) + len(d.Fixed)
}
