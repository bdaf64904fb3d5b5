package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// JUnitSuite is one JUnit test suite, e.g. the expected cases of one capture
// or of one corpus directory in `retrace test`.
type JUnitSuite struct {
	// Name names the suite.
	Name string
	// Timestamp is when the suite ran; the zero time omits it.
	Timestamp time.Time
	// Cases are the suite's test cases, in order.
	Cases []JUnitCase
}

// JUnitCase is one expected case and its outcome. A case with none of
// Failure, Error and Skipped set passed.
type JUnitCase struct {
	// Name names the case, e.g. "reverse-shell: Reverse shell detected".
	Name string
	// Class groups cases in CI views (JUnit's classname), e.g. the capture.
	Class string
	// Duration is how long the case took.
	Duration time.Duration
	// Failure, when set, says how the result differed from the
	// expectation; its first line becomes the failure's message.
	Failure string
	// Error, when set, says why the case could not run (e.g. an unreadable
	// capture).
	Error string
	// Skipped, when set, says why the case was skipped.
	Skipped string
	// Output is extra text for the case (JUnit's system-out), e.g. the
	// detections printed.
	Output string
}

// WriteJUnit writes suites as a JUnit XML report (the <testsuites> format
// that CI systems read). Characters XML cannot carry become U+FFFD.
func WriteJUnit(w io.Writer, suites []JUnitSuite) error {
	doc := junitSuites{Name: "retrace"}
	var total time.Duration
	for _, s := range suites {
		js := junitSuite{Name: s.Name}
		if !s.Timestamp.IsZero() {
			js.Timestamp = s.Timestamp.UTC().Format("2006-01-02T15:04:05")
		}
		var d time.Duration
		for _, c := range s.Cases {
			jc := junitCase{Name: c.Name, Class: c.Class, Time: seconds(c.Duration)}
			switch {
			case c.Error != "":
				jc.Error = &junitMessage{Message: firstLine(c.Error), Type: "error", Text: c.Error}
				js.Errors++
			case c.Failure != "":
				jc.Failure = &junitMessage{Message: firstLine(c.Failure), Type: "failure", Text: c.Failure}
				js.Failures++
			case c.Skipped != "":
				jc.Skipped = &junitMessage{Message: firstLine(c.Skipped)}
				js.Skipped++
			}
			if c.Output != "" {
				jc.SystemOut = &junitText{Text: c.Output}
			}
			js.Cases = append(js.Cases, jc)
			d += c.Duration
		}
		js.Tests = len(s.Cases)
		js.Time = seconds(d)
		doc.Tests += js.Tests
		doc.Failures += js.Failures
		doc.Errors += js.Errors
		doc.Skipped += js.Skipped
		total += d
		doc.Suites = append(doc.Suites, js)
	}
	doc.Time = seconds(total)

	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if err := bw.WriteByte('\n'); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// seconds formats d as JUnit's time attribute: seconds with millisecond
// precision.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Class     string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Error     *junitMessage `xml:"error"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

type junitText struct {
	Text string `xml:",chardata"`
}

// WriteJUnitFile writes suites as a JUnit XML report to the file path.
func WriteJUnitFile(path string, suites []JUnitSuite) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create junit report: %w", err)
	}
	if err := WriteJUnit(f, suites); err != nil {
		f.Close()
		return fmt.Errorf("write junit report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}
