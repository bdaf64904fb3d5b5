package testutil

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Separators of the records SysdigEvents asks sysdig for: no value of a
// field contains them, while values may contain newlines (buffers,
// environments), so a record cannot simply be a line.
const (
	sysdigValueSep  = "\x1f"
	sysdigRecordEnd = "\x1e"
)

// RunSysdig runs `sysdig -r file args...` and returns its standard output.
// It skips the test when sysdig is not installed; the error of a failed run
// quotes sysdig's standard error. Tests that expect sysdig to fail use it;
// the others use Sysdig.
func RunSysdig(tb testing.TB, file string, args ...string) ([]byte, error) {
	tb.Helper()
	sysdig := NeedTool(tb, "sysdig")
	cmd := exec.Command(sysdig, append([]string{"-r", file}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("run sysdig -r %s: %w: %s", file, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// Sysdig runs `sysdig -r file args...` and returns its standard output,
// skipping the test when sysdig is not installed and failing it when sysdig
// fails.
func Sysdig(tb testing.TB, file string, args ...string) []byte {
	tb.Helper()
	out, err := RunSysdig(tb, file, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// SysdigLines is Sysdig's output cut into lines.
func SysdigLines(tb testing.TB, file string, args ...string) []string {
	tb.Helper()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(Sysdig(tb, file, args...)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// SysdigEvents runs sysdig on file printing the fields of every event
// (`-p '*%f1...%fn'`, then args such as a filter) and returns one row per
// event holding the fields' values in order. Values may contain newlines:
// each record ends with a byte no value contains. Records without one value
// per field (sysdig cuts very long output lines) fail the test and are
// left out.
func SysdigEvents(tb testing.TB, file string, fields []string, args ...string) [][]string {
	tb.Helper()
	var f strings.Builder
	f.WriteString("*")
	for i, n := range fields {
		if i > 0 {
			f.WriteString(sysdigValueSep)
		}
		f.WriteString("%" + n)
	}
	f.WriteString(sysdigRecordEnd)
	out := Sysdig(tb, file, append([]string{"-p", f.String()}, args...)...)
	var rows [][]string
	malformed := 0
	for _, rec := range strings.Split(string(out), sysdigRecordEnd+"\n") {
		if rec == "" {
			continue
		}
		vals := strings.Split(rec, sysdigValueSep)
		if len(vals) != len(fields) {
			malformed++
			continue
		}
		rows = append(rows, vals)
	}
	if malformed > 0 {
		tb.Errorf("sysdig -r %s: %d output records without %d fields", file, malformed, len(fields))
	}
	return rows
}

// SplitSysdigArgs cuts sysdig's %evt.args text into values, given the
// parameter names in order; it stops at the first name it cannot find.
func SplitSysdigArgs(args string, names []string) []string {
	var vals []string
	rest := args
	for i, n := range names {
		if !strings.HasPrefix(rest, n+"=") {
			break
		}
		rest = rest[len(n)+1:]
		end := len(rest)
		if i+1 < len(names) {
			if j := strings.Index(rest, " "+names[i+1]+"="); j >= 0 {
				end = j
			}
		}
		vals = append(vals, strings.TrimSuffix(rest[:end], " "))
		if end == len(rest) {
			break
		}
		rest = rest[end+1:]
	}
	return vals
}
