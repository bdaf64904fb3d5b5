package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
)

// treeCapture is a generated capture of one host.
type treeCapture struct {
	path, host string
}

// eventFacts is what a capture itself says about one event: its type,
// process, time (from `retrace events`) and zstd frame (from the reader).
type eventFacts struct {
	typ   string
	pid   int64
	time  int64
	frame int
}

// captureFacts returns the facts of every event of path by evt.num: the
// frame from a [capture.Reader] counting events from 1, the rest from
// `retrace events -j`, so that the tree is checked against what another
// command prints for the same evt.num.
func captureFacts(t *testing.T, path string) map[uint64]eventFacts {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frames := map[uint64]int{}
	for n := uint64(1); ; n++ {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		frames[n] = r.Frame()
	}
	out, _, err := runRetrace(t, "events", path, "-j", "-p", "*%evt.num %evt.type %proc.pid %evt.rawtime")
	if err != nil {
		t.Fatal(err)
	}
	facts := map[uint64]eventFacts{}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber() // nanoseconds since 1970 do not fit a float64
	for dec.More() {
		var l struct {
			Num  uint64      `json:"evt.num"`
			Type string      `json:"evt.type"`
			Pid  json.Number `json:"proc.pid"` // <NA> for no process
			Time int64       `json:"evt.rawtime"`
		}
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		pid, _ := l.Pid.Int64()
		facts[l.Num] = eventFacts{typ: l.Type, pid: pid, time: l.Time, frame: frames[l.Num]}
	}
	if len(facts) == 0 {
		t.Fatalf("retrace events printed no event of %s", path)
	}
	return facts
}

// treeKindTypes are the event types each activity kind of capgen's
// captures comes from.
var treeKindTypes = map[string][]string{
	"exec":       {"execve", "execveat"},
	"open-read":  {"open", "openat", "openat2"},
	"open-write": {"open", "openat", "openat2", "creat"},
	"connect":    {"connect"},
	"accept":     {"accept", "accept4"},
	"exit":       {"procexit"},
}

// treeRef is an event reference as the tree's JSON gives it.
type treeRef struct {
	num   uint64
	frame int
}

// text is the reference as the text output writes it ("" for no event).
func (r treeRef) text() string {
	if r.num == 0 {
		return ""
	}
	if r.frame < 0 {
		return "evt.num=" + strconv.FormatUint(r.num, 10)
	}
	return fmt.Sprintf("evt.num=%d frame=%d", r.num, r.frame)
}

// treeJSONNode is one line of `retrace timeline tree -o json`.
type treeJSONNode struct {
	Name, Host, Capture string
	Pid                 int64
	Node                treeRef
	Lines               []treeRef // activities, then the exit when known, as the text prints them
}

// TestTimelineTreeProvenance checks that every line of the tree view over
// captures of two hosts says where it comes from: each process its host
// and capture, each activity and exit the evt.num and frame of an event of
// that capture, of that process, at that time, of the type the activity
// names; and that the text names each capture in a header before its
// processes, in the order of the arguments.
func TestTimelineTreeProvenance(t *testing.T) {
	dir := t.TempDir()
	web := treeCapture{filepath.Join(dir, "web-01.scap.zst"), "web-01"}
	db := treeCapture{filepath.Join(dir, "db-01.scap"), "db-01"} // not framed: frame -1
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, c := range []treeCapture{web, db} {
		if _, err := capgen.WriteFile(c.path, capgen.Options{Events: 400, Seed: uint64(i + 1), Start: start, Hostname: c.host}); err != nil {
			t.Fatal(err)
		}
	}
	facts := map[string]map[uint64]eventFacts{web.path: captureFacts(t, web.path), db.path: captureFacts(t, db.path)}

	tests := []struct {
		name     string
		captures []treeCapture
	}{
		{"two hosts", []treeCapture{web, db}},
		{"two hosts, other order", []treeCapture{db, web}},
		{"one host", []treeCapture{db}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-q"}
			for _, c := range tc.captures {
				args = append(args, c.path)
			}
			args = append(args, "tree")
			out, err := timelineRun(t, append(args, "-o", "json")...)
			if err != nil {
				t.Fatal(err)
			}
			nodes := checkTreeJSON(t, out, tc.captures, facts)
			out, err = timelineRun(t, append(args, "-o", "text")...)
			if err != nil {
				t.Fatal(err)
			}
			checkTreeText(t, out, tc.captures, nodes)

			// The analyst's round trip: a tree line's evt.num, as a
			// filter of `retrace events`, gives that event.
			for _, n := range nodes {
				if len(n.Lines) == 0 {
					continue
				}
				num := strconv.FormatUint(n.Lines[0].num, 10)
				ev, _, err := runRetrace(t, "events", n.Capture, "evt.num="+num, "-j", "-p", "%evt.num %proc.pid")
				if err != nil {
					t.Fatal(err)
				}
				if got := jsonLines(t, string(ev)); len(got) != 1 || got[0]["evt.num"] != float64(n.Lines[0].num) || got[0]["proc.pid"] != float64(n.Pid) {
					t.Errorf("retrace events %s evt.num=%s printed %s, want the event of pid %d", n.Capture, num, ev, n.Pid)
				}
				break
			}
		})
	}
}

// checkTreeJSON checks the JSON lines of a tree over captures against the
// captures' facts and returns the nodes in order.
func checkTreeJSON(t *testing.T, out string, captures []treeCapture, facts map[string]map[uint64]eventFacts) []treeJSONNode {
	t.Helper()
	var nodes []treeJSONNode
	group, checked := 0, map[string]int{}
	for _, l := range jsonLines(t, out) {
		n := treeJSONNode{Name: l["name"].(string), Host: l["host"].(string), Capture: l["capture"].(string), Pid: int64(l["pid"].(float64)),
			Node: treeRef{uint64(l["evt_num"].(float64)), int(l["frame"].(float64))}}
		who := fmt.Sprintf("%s %s[%d]", filepath.Base(n.Capture), n.Name, n.Pid)
		for group < len(captures) && captures[group].path != n.Capture {
			group++ // the captures' trees follow the arguments' order
		}
		if group == len(captures) {
			t.Fatalf("%s: capture %q is not the next of the arguments", who, n.Capture)
		}
		if want := captures[group].host; n.Host != want {
			t.Errorf("%s: host %q, want %q", who, n.Host, want)
		}
		check := func(what, kind string, r treeRef, at time.Time) {
			t.Helper()
			f, ok := facts[n.Capture][r.num]
			if !ok {
				t.Errorf("%s: %s: evt.num %d is no event retrace events prints", who, what, r.num)
				return
			}
			if f.pid != n.Pid || f.frame != r.frame || kind != "" && !strings.Contains(" "+strings.Join(treeKindTypes[kind], " ")+" ", " "+f.typ+" ") ||
				!at.IsZero() && at.UnixNano() != f.time {
				t.Errorf("%s: %s: evt.num %d frame %d at %s, but the capture has a %s of pid %d in frame %d at %d",
					who, what, r.num, r.frame, at.Format(time.RFC3339Nano), f.typ, f.pid, f.frame, f.time)
			}
			checked[n.Capture]++
		}
		if n.Node.num != 0 {
			check("process", "", n.Node, time.Time{})
		} else if n.Node.frame != -1 {
			t.Errorf("%s: no event but frame %d", who, n.Node.frame)
		}
		for _, a := range asSlice(l["activity"]) {
			m := a.(map[string]any)
			kind := m["kind"].(string)
			if _, ok := treeKindTypes[kind]; !ok {
				t.Errorf("%s: activity of unexpected kind %q", who, kind)
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, m["time"].(string))
			if err != nil {
				t.Fatal(err)
			}
			r := treeRef{uint64(m["evt_num"].(float64)), int(m["frame"].(float64))}
			check(kind+" "+m["object"].(string), kind, r, at)
			n.Lines = append(n.Lines, r)
		}
		if exit, ok := l["exit"].(string); ok {
			at, err := time.Parse(time.RFC3339Nano, exit)
			if err != nil {
				t.Fatal(err)
			}
			r := treeRef{uint64(l["exit_evt_num"].(float64)), int(l["exit_frame"].(float64))}
			if r.num != 0 { // 0: an exit known from the lineage records only
				check("exit", "exit", r, at)
			}
			n.Lines = append(n.Lines, r)
		}
		if n.Node.num == 0 && len(asSlice(l["activity"])) > 0 {
			t.Errorf("%s: activity, but no event the process line describes", who)
		}
		nodes = append(nodes, n)
	}
	for _, c := range captures {
		if checked[c.path] < 20 {
			t.Errorf("%s: only %d events of the tree checked; want the generated sessions' execs, opens and exits", c.path, checked[c.path])
		}
	}
	return nodes
}

// checkTreeText checks the text of the same tree line by line against its
// JSON nodes: a header per capture, host and capture on every process
// line, the event on every activity and exit line.
func checkTreeText(t *testing.T, out string, captures []treeCapture, nodes []treeJSONNode) {
	t.Helper()
	var headers []string
	var capture string // of the last header
	ni, li := -1, 0
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		line := strings.TrimLeft(l, " ")
		switch {
		case l == "":
		case strings.HasPrefix(l, "process tree of "):
			headers = append(headers, l)
			capture = ""
			for _, c := range captures {
				if strings.HasPrefix(l, "process tree of "+c.path+" ") {
					capture = c.path
				}
			}
		case strings.HasPrefix(line, "- "):
			if ni < 0 || li >= len(nodes[ni].Lines) {
				t.Errorf("line %d: %q: more activity than the JSON has", i+1, l)
				continue
			}
			f := strings.Fields(line) // "-", time, "evt.num=N", ["frame=F"], kind, object...
			if got, want := strings.Join(f[2:min(len(f), 2+len(strings.Fields(nodes[ni].Lines[li].text())))], " "), nodes[ni].Lines[li].text(); got != want {
				t.Errorf("line %d: %q: event %q, want %q", i+1, l, got, want)
			}
			li++
		default:
			if ni >= 0 && li != len(nodes[ni].Lines) {
				t.Errorf("line %d: %s has %d activity lines, want %d", i+1, nodes[ni].Name, li, len(nodes[ni].Lines))
			}
			ni, li = ni+1, 0
			if ni >= len(nodes) {
				t.Fatalf("line %d: %q: more processes than the JSON has", i+1, l)
			}
			n := &nodes[ni]
			if n.Capture != capture {
				t.Errorf("line %d: %q: under the header of %q, want %q", i+1, l, capture, n.Capture)
			}
			// The event the line describes ends the values, before the
			// command line; a process without one ends with the capture.
			src := fmt.Sprintf(" host=%s capture=%s", n.Host, n.Capture)
			if n.Node.num != 0 {
				src += " " + n.Node.text()
			}
			if !strings.HasPrefix(line, fmt.Sprintf("%s[%d] ", n.Name, n.Pid)) || !strings.Contains(line, src+": ") {
				t.Errorf("line %d: %q: want %s[%d] with %q", i+1, l, n.Name, n.Pid, src+": ")
			}
		}
	}
	if ni != len(nodes)-1 || ni >= 0 && li != len(nodes[ni].Lines) {
		t.Errorf("text ends at process %d line %d; the JSON has %d processes", ni+1, li, len(nodes))
	}
	var want []string
	for _, c := range captures {
		want = append(want, fmt.Sprintf("process tree of %s (host %s):", c.path, c.host))
	}
	if strings.Join(headers, "\n") != strings.Join(want, "\n") {
		t.Errorf("headers:\n%s\nwant:\n%s", strings.Join(headers, "\n"), strings.Join(want, "\n"))
	}
}
