package report

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layoutReport is the demo's story with what strains a layout: every
// priority (Informational is the longest name), the long rule names of the
// upstream rules, containers named after their ids with long images, and a
// second host.
func layoutReport() *Report {
	r := demoReport()
	r.Captures = append(r.Captures, CaptureInfo{File: "testdata/attacks/reverse-shell-container.scap.zst", Hostname: "build-runner-eu-west-1b"})
	rules := []string{
		"Reverse Shell Redirects STDIN/STDOUT to Network Connection",
		"Executable Permission Set in Temporary Directory",
		"Drop and execute new binary in container",
		"Read Sensitive File Untrusted",
		"Kernel Module Load Attempt From Container or Untrusted Process",
		"Shell with Standard Input and Output Redirected to a Socket",
		"Log File Cleared",
		"Privileged Container Started",
	}
	for i, p := range priorityNames() {
		d := r.Detections[i%len(r.Detections)]
		d.Rule, d.Priority = rules[i], p
		d.Time = d.Time.Add(3e9)
		d.Process.Pid += 50000
		d.Hostname = "build-runner-eu-west-1b"
		d.Container = Container{ID: fmt.Sprintf("f00903864d9%d", i), Name: "retrace-attack", Image: "localhost/retrace-busybox:test-with-a-long-tag-" + p}
		r.Detections = append(r.Detections, d)
	}
	// A tree with pins and long command lines, and a view with long rows.
	long := strings.Repeat("--env AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt ", 12)
	r.Tree = []ProcessNode{{Process: Process{Pid: 1, Name: "process_api", Cmdline: "process_api " + long}, Pins: []int{0, 1},
		Children: []ProcessNode{{Process: Process{Pid: 2, Name: "bash", Cmdline: "bash " + long}, Pins: []int{2}}}}}
	var rows []Detection
	for i := range 30 {
		rows = append(rows, Detection{Time: r.Detections[0].Time, Rule: "file", Output: fmt.Sprintf("cat[%d] /var/lib/containers/storage/overlay-containers/%s/userdata/config.json: read 1.0 KiB %s", i, strings.Repeat("f00903864d98", 6), long),
			Hostname: "build-runner-eu-west-1b", Capture: "testdata/attacks/reverse-shell-container.scap.zst", Frame: 3, EventNum: uint64(1000 + i), Process: Process{Pid: int64(100 + i), Name: "cat"}})
	}
	r.Views = []ActivityView{{Name: "files", Findings: rows}, {Name: "commands"}, {Name: "connections"}, {Name: "sensitive-reads"}, {Name: "binary-writes"}, {Name: "privilege"}, {Name: "errors"}}
	return r
}

// TestHTMLChromiumLayout renders the report at common laptop and desktop
// sizes and checks layout facts from the DOM: nothing wider than the page,
// no priority, rule or container name cut, the toolbar's buttons each on
// one line and Reset beside the filters. Screenshots go to
// $RETRACE_SCREENSHOTS when it is set.
func TestHTMLChromiumLayout(t *testing.T) {
	t.Parallel()
	file := writeHTMLFile(t, layoutReport(), nil)
	p := openCDPPage(t, "about:blank")
	for _, size := range [][2]int{{1280, 720}, {1366, 768}, {1920, 1080}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			p.call(p.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": w, "height": h, "deviceScaleFactor": 1, "mobile": false}, nil)
			p.load("file://" + file)
			var facts struct {
				PageWidth, ViewWidth int
				Cut                  []string // elements whose text is cut or overflows
				Wrapped              []string // buttons whose label takes two lines
				ResetRow             bool     // Reset on the row of the filters
				SummaryTop           float64  // bottom of the summary panels, px from the top
			}
			raw := p.eval(`(function(){
  var out = {PageWidth: document.documentElement.scrollWidth, ViewWidth: window.innerWidth, Cut: [], Wrapped: []};
  function name(e) { return e.tagName.toLowerCase() + "." + e.className + " " + JSON.stringify(e.textContent.trim().slice(0, 60)); }
  document.querySelectorAll(".pill, .toolbar .prios button, table.counts td.name, .det-head .rule, .det-head .ctr, nav.tabs button, #tl .lane-label, .toolbar select, .toolbar button").forEach(function (e) {
    if (e.getClientRects().length === 0) return;
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) out.Cut.push(name(e));
    var r = e.getBoundingClientRect(), pr = e.parentElement.getBoundingClientRect();
    if (e.tagName !== "text" && (r.right > pr.right + 1 && getComputedStyle(e.parentElement).overflow !== "visible")) out.Cut.push(name(e) + " past its box");
  });
  document.querySelectorAll("#tl .lane-label").forEach(function (e) { if (e.getBBox().x < 0) out.Cut.push("lane label " + JSON.stringify(e.textContent)); });
  document.querySelectorAll(".toolbar button, .toolbar .prios button, nav.tabs button, .pill").forEach(function (e) {
    if (e.getClientRects().length > 1 || e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).fontSize) + 14) out.Wrapped.push(name(e));
  });
  var reset = document.getElementById("reset").getBoundingClientRect(), q = document.getElementById("q").getBoundingClientRect();
  out.ResetRow = Math.abs((reset.top + reset.bottom) / 2 - (q.top + q.bottom) / 2) < 8;
  out.SummaryTop = document.querySelector(".summary").getBoundingClientRect().bottom;
  return out;
})()`)
			if err := json.Unmarshal(raw, &facts); err != nil {
				t.Fatalf("layout facts: %v (%s)", err, raw)
			}
			if facts.PageWidth > facts.ViewWidth {
				t.Errorf("page is %d px wide in a %d px window", facts.PageWidth, facts.ViewWidth)
			}
			for _, c := range facts.Cut {
				t.Errorf("cut: %s", c)
			}
			for _, c := range facts.Wrapped {
				t.Errorf("wraps: %s", c)
			}
			if !facts.ResetRow {
				t.Error("Reset is not on the row of the search box")
			}
			// The other tabs: nothing wider than the page either.
			for _, tab := range []string{"tree", "view-0"} {
				p.eval(fmt.Sprintf(`document.querySelector("#tabs [data-tab='%s']").click()`, tab))
				if got := p.evalString(`String(document.documentElement.scrollWidth) + " " + String(window.innerWidth)`); got != fmt.Sprintf("%d %d", w, w) {
					t.Errorf("tab %s: page width, window width = %s", tab, got)
				}
			}
			p.eval(`document.querySelector("#tabs [data-tab='detections']").click()`)
			if facts.SummaryTop > float64(h) {
				t.Errorf("the summary ends %.0f px down, below the %d px window", facts.SummaryTop, h)
			}
			if dir := os.Getenv("RETRACE_SCREENSHOTS"); dir != "" {
				var shot struct {
					Data string `json:"data"`
				}
				p.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
				png, err := base64.StdEncoding.DecodeString(shot.Data)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("report-%dx%d.png", w, h)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
