package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// treeCapture is one capture's part of a tree view.
type treeCapture struct {
	info  CaptureInfo
	roots []ProcessNode
}

// TestTreeWriter checks that the trees of captures written one after the
// other are what Write writes of the report that holds them all, in text,
// JSON and Timesketch; that table and HTML are not written a capture at a
// time; and that a Timesketch line of a capture without a host names no
// other capture's host.
func TestTreeWriter(t *testing.T) {
	hosts := treeHostsReport().Tree
	web := CaptureInfo{File: "hosts/web-01.scap.zst", Hostname: "web-01"}
	db := CaptureInfo{File: "db-01.scap", Hostname: "db-01"}
	// A rotated set: its second file holds the process's event.
	set := CaptureInfo{File: "r-000001.scap.zst", Files: []string{"r-000001.scap.zst", "r-000002.scap.zst"}, Hostname: "web-01"}
	inSet := treeReport().Tree[0].Children[0]
	inSet.Capture, inSet.Children = "r-000002.scap.zst", nil
	for _, tc := range []struct {
		name     string
		captures []treeCapture
	}{
		{"two hosts", []treeCapture{{web, hosts[:1]}, {db, hosts[1:]}}},
		{"a capture without processes", []treeCapture{{web, nil}, {db, hosts[1:]}, {web, nil}}},
		{"one capture twice", []treeCapture{{db, hosts[1:]}, {db, hosts[1:]}}},
		{"a rotated set", []treeCapture{{db, hosts[1:]}, {set, []ProcessNode{inSet}}}},
		{"nothing", nil},
	} {
		for _, f := range []Format{FormatText, FormatJSON, FormatTimesketch} {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				whole := &Report{View: "tree"}
				var got bytes.Buffer
				tw := NewTreeWriter(&got, f, Options{})
				for _, c := range tc.captures {
					whole.Captures = append(whole.Captures, c.info)
					whole.Tree = append(whole.Tree, c.roots...)
					if err := tw.WriteCapture(c.info, c.roots); err != nil {
						t.Fatal(err)
					}
				}
				var want bytes.Buffer
				if err := Write(&want, whole, f, Options{}); err != nil {
					t.Fatal(err)
				}
				if len(whole.Tree) > 0 && want.Len() == 0 {
					t.Fatal("the whole report writes nothing: the test compares nothing")
				}
				if diff := cmp.Diff(want.String(), got.String()); diff != "" {
					t.Errorf("written a capture at a time (-whole +streamed):\n%s", diff)
				}
			})
		}
	}
	for _, f := range []Format{FormatTable, FormatHTML} {
		if tw := NewTreeWriter(&bytes.Buffer{}, f, Options{}); tw != nil {
			t.Errorf("NewTreeWriter(%s) is not nil: a %s is written as a whole", f, f)
		}
	}
	noHost := hosts[1].Children[0] // cron, without its parent
	noHost.Host = ""
	var b bytes.Buffer
	tw := NewTreeWriter(&b, FormatTimesketch, Options{})
	for _, c := range []treeCapture{{web, hosts[:1]}, {CaptureInfo{File: "db-01.scap"}, []ProcessNode{noHost}}} {
		if err := tw.WriteCapture(c.info, c.roots); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(b.String(), `"host":""`); n != 2 { // cron's exec and open-write
		t.Errorf("%d Timesketch lines name no host, want the 2 of the capture without one:\n%s", n, b.String())
	}
}
