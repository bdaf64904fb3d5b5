package timeline_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/replay/report"
	"github.com/retrace-dev/retrace/replay/timeline"
)

// splitSet writes one generated recording as a rotated set of n files
// in dir, cut every perFile events as a rotating recorder cuts its files:
// processes go on from one file to the next. It returns the files in
// order.
func splitSet(t *testing.T, dir string, n, perFile int) []string {
	t.Helper()
	g := capgen.Options{Events: n * perFile, Seed: 7, Start: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC), Hostname: "h"}
	s := &setSplitter{t: t, perFile: perFile}
	for seq := 1; seq <= n; seq++ {
		md := capture.Metadata{Hostname: "h", Rotation: &capture.Rotation{Set: "5e75e75e75e75e75e75e75e75e75e75e", Seq: seq}}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("s-%06d.scap.zst", seq)))
		if err != nil {
			t.Fatal(err)
		}
		w, err := capture.NewWriter(f, f.Name(), capture.WriterOptions{Metadata: &md, FrameSize: 8 << 10, Now: func() time.Time { return g.Start }})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteHeader(capgen.Header(g)); err != nil {
			t.Fatal(err)
		}
		s.files = append(s.files, f)
		s.writers = append(s.writers, w)
	}
	if _, err := capgen.Generate(s, g); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, w := range s.writers {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.files[i].Close(); err != nil {
			t.Fatal(err)
		}
		names = append(names, s.files[i].Name())
	}
	return names
}

// setSplitter is a [capgen.EventWriter] that writes perFile events to each
// writer in turn, the rest to the last one.
type setSplitter struct {
	t       *testing.T
	perFile int
	n       int
	files   []*os.File
	writers []*capture.Writer
}

func (s *setSplitter) WriteEvent(cpu uint16, flags uint32, ev []byte) error {
	w := s.writers[min(s.n/s.perFile, len(s.writers)-1)]
	s.n++
	return w.WriteEvent(cpu, flags, ev)
}

// setEvent is where a reader of the set's files finds an event.
type setEvent struct {
	file  string
	frame int
	ts    uint64
}

// setEvents reads the files of a set in order and returns every event by
// its evt.num, which counts from the first file's first event.
func setEvents(t *testing.T, files []string) map[uint64]setEvent {
	t.Helper()
	evs := map[uint64]setEvent{}
	var num uint64
	for _, f := range files {
		r, err := capture.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			num++
			evs[num] = setEvent{file: f, frame: r.Frame(), ts: ev.Ts()}
		}
		r.Close()
	}
	return evs
}

// treeRef is one event a line of a tree cites.
type treeRef struct {
	what, file string
	num        uint64
	frame      int
	at         time.Time // zero: not checked
	nodeFile   string    // the file of the process's own event
}

// treeRefs returns the events the processes, activities and exits of a
// tree cite.
func treeRefs(nodes []report.ProcessNode) []treeRef {
	var refs []treeRef
	for i := range nodes {
		n := &nodes[i]
		who := fmt.Sprintf("%s[%d]", n.Process.Name, n.Process.Pid)
		if n.EventNum != 0 {
			refs = append(refs, treeRef{who, n.Capture, n.EventNum, n.Frame, time.Time{}, n.Capture})
		}
		for j := range n.Activity {
			a := &n.Activity[j]
			if a.EventNum != 0 {
				refs = append(refs, treeRef{who + " " + a.Kind, n.ActivityFile(a), a.EventNum, a.Frame, a.Time, n.Capture})
			}
		}
		if n.ExitNum != 0 {
			refs = append(refs, treeRef{who + " exit", n.ExitFile(), n.ExitNum, n.ExitFrame, n.Exit, n.Capture})
		}
		refs = append(refs, treeRefs(n.Children)...)
	}
	return refs
}

// checkTreeRefs checks that each of refs is the event of a set that evs
// holds (see [setEvents]) and returns how many it checked in each file and
// how many are in another file than their process's own event.
func checkTreeRefs(t *testing.T, evs map[uint64]setEvent, refs []treeRef) (perFile map[string]int, elsewhere int) {
	t.Helper()
	perFile = map[string]int{}
	for _, r := range refs {
		ev, ok := evs[r.num]
		switch {
		case !ok:
			t.Errorf("%s: evt.num %d is no event of the set", r.what, r.num)
		case ev.file != r.file || ev.frame != r.frame:
			t.Errorf("%s: evt.num %d in frame %d of %s, but it is in frame %d of %s",
				r.what, r.num, r.frame, filepath.Base(r.file), ev.frame, filepath.Base(ev.file))
		case !r.at.IsZero() && uint64(r.at.UnixNano()) != ev.ts:
			t.Errorf("%s: evt.num %d at %s, but the event is at %d", r.what, r.num, r.at.Format(time.RFC3339Nano), ev.ts)
		}
		perFile[r.file]++
		if r.file != r.nodeFile {
			elsewhere++
		}
	}
	return perFile, elsewhere
}

// TestTreeRotatedSet checks that the tree view of a rotated set, one
// capture of three files, names the file that holds each event it cites:
// every process's, activity's and exit's file, frame and evt.num are an
// event of that file in that frame (at the activity's time), in the
// report and in its JSON lines; the text names the set, by its first
// file, in one header.
func TestTreeRotatedSet(t *testing.T) {
	files := splitSet(t, t.TempDir(), 3, 1500)
	evs := setEvents(t, files)
	rep, err := timeline.Run(context.Background(), files, timeline.Options{View: timeline.ViewTree})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Captures) != 1 || len(rep.Captures[0].Files) != 3 {
		t.Fatalf("captures %+v, want one set of 3 files", rep.Captures)
	}

	check := func(t *testing.T, refs []treeRef) {
		t.Helper()
		perFile, elsewhere := checkTreeRefs(t, evs, refs)
		for _, f := range files {
			if perFile[f] < 20 {
				t.Errorf("%s: %d events checked, want the sessions' execs, opens and exits", filepath.Base(f), perFile[f])
			}
		}
		if elsewhere == 0 {
			t.Error("no activity or exit in another file than its process's event: the set does not test it")
		}
	}
	t.Run("report", func(t *testing.T) { check(t, treeRefs(rep.Tree)) })

	t.Run("json", func(t *testing.T) {
		var b bytes.Buffer
		if err := report.Write(&b, rep, report.FormatJSON, report.Options{}); err != nil {
			t.Fatal(err)
		}
		type event struct {
			Capture string    `json:"capture"`
			Num     uint64    `json:"evt_num"`
			Frame   int       `json:"frame"`
			Kind    string    `json:"kind"`
			Time    time.Time `json:"time"`
		}
		var refs []treeRef
		for _, l := range bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n")) {
			var n struct {
				event
				Name        string     `json:"name"`
				Pid         int64      `json:"pid"`
				Activity    []event    `json:"activity"`
				Exit        *time.Time `json:"exit"`
				ExitCapture string     `json:"exit_capture"`
				ExitNum     uint64     `json:"exit_evt_num"`
				ExitFrame   int        `json:"exit_frame"`
			}
			if err := json.Unmarshal(l, &n); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			who := fmt.Sprintf("%s[%d]", n.Name, n.Pid)
			if n.Num != 0 {
				refs = append(refs, treeRef{who, n.Capture, n.Num, n.Frame, time.Time{}, n.Capture})
			}
			for _, a := range n.Activity {
				if a.Num != 0 {
					refs = append(refs, treeRef{who + " " + a.Kind, cmp.Or(a.Capture, n.Capture), a.Num, a.Frame, a.Time, n.Capture})
				}
			}
			if n.ExitNum != 0 {
				refs = append(refs, treeRef{who + " exit", cmp.Or(n.ExitCapture, n.Capture), n.ExitNum, n.ExitFrame, *n.Exit, n.Capture})
			}
		}
		check(t, refs)
	})

	t.Run("text header", func(t *testing.T) {
		var b bytes.Buffer
		if err := report.Write(&b, rep, report.FormatText, report.Options{}); err != nil {
			t.Fatal(err)
		}
		var headers []string
		for l := range strings.Lines(b.String()) {
			if strings.HasPrefix(l, "process tree of ") {
				headers = append(headers, l)
			}
		}
		if want := "process tree of " + files[0] + " (host h):\n"; len(headers) != 1 || headers[0] != want {
			t.Errorf("headers %q, want one, %q", headers, want)
		}
	})
}
