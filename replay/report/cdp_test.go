package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// cdpPage drives one headless Chromium page through the DevTools protocol
// over --remote-debugging-pipe (NUL-terminated JSON on fds 3 and 4), so
// tests can scroll, drag and click like a user.
type cdpPage struct {
	t       *testing.T
	w       *os.File
	session string
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// openCDPPage starts Chromium and opens url in a 1400x1000 page.
func openCDPPage(t *testing.T, url string) *cdpPage {
	t.Helper()
	bin := testutil.NeedTool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmdR, cmdW, err := os.Pipe() // we write commands, Chromium reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe() // Chromium writes fd 4, we read
	if err != nil {
		t.Fatal(err)
	}
	// The profile directory is removed here rather than by t.TempDir:
	// Chromium's helper processes may still be writing to it for a moment
	// after the browser exits, which would fail t.TempDir's cleanup.
	profile, err := os.MkdirTemp("", "retrace-cdp-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--no-first-run", "--hide-scrollbars", "--window-size=1400,1000",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	// Its own process group, so that ending it ends its helpers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		cancel()
		os.RemoveAll(profile)
		t.Fatalf("start chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	p := &cdpPage{t: t, w: cmdW, waiting: map[int]chan cdpReply{}}
	t.Cleanup(func() {
		// Closing the pipe asks Chromium to exit; kill it if it does not.
		cmdW.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left behind, if any
		outR.Close()
		for range 50 {
			if os.RemoveAll(profile) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	go p.readLoop(outR)

	var target struct {
		TargetID string `json:"targetId"`
	}
	p.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	p.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	p.session = attached.SessionID
	p.call(p.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": false}, nil)
	p.load(url)
	return p
}

// load opens url (a fresh document even when only the fragment differs)
// and waits until the report's script has rendered it.
func (p *cdpPage) load(url string) {
	p.t.Helper()
	p.call(p.session, "Page.navigate", map[string]any{"url": "about:blank"}, nil)
	p.waitFor(`location.href === "about:blank" && document.readyState === "complete"`)
	p.call(p.session, "Page.navigate", map[string]any{"url": url}, nil)
	if url != "about:blank" {
		p.waitFor(`document.readyState === "complete" && document.getElementById("count") !== null && document.getElementById("count").textContent !== ""`)
	}
}

func (p *cdpPage) readLoop(r *os.File) {
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(bytes.TrimSuffix(msg, []byte{0}), &m) != nil || m.ID == 0 {
			continue // an event
		}
		p.mu.Lock()
		ch := p.waiting[m.ID]
		delete(p.waiting, m.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends a DevTools command and decodes its result into out.
func (p *cdpPage) call(session, method string, params any, out any) {
	p.t.Helper()
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan cdpReply, 1)
	p.waiting[id] = ch
	p.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := p.w.Write(append(b, 0)); err != nil {
		p.t.Fatalf("%s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			p.t.Fatalf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				p.t.Fatalf("%s: %v", method, err)
			}
		}
	case <-time.After(60 * time.Second):
		p.t.Fatalf("%s: no reply from chromium", method)
	}
}

// eval evaluates a JavaScript expression in the page (DevTools evaluation
// is not subject to the page's Content-Security-Policy) and returns its
// JSON value.
func (p *cdpPage) eval(expr string) json.RawMessage {
	p.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	p.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r)
	if r.ExceptionDetails != nil {
		p.t.Fatalf("evaluate %s: %v", expr, r.ExceptionDetails)
	}
	return r.Result.Value
}

func (p *cdpPage) evalString(expr string) string {
	p.t.Helper()
	var s string
	if err := json.Unmarshal(p.eval(expr), &s); err != nil {
		p.t.Fatalf("evaluate %s: not a string: %v", expr, err)
	}
	return s
}

// waitFor polls a boolean expression until it holds.
func (p *cdpPage) waitFor(expr string) {
	p.t.Helper()
	for range 200 {
		if string(p.eval("!!("+expr+")")) == "true" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("timed out waiting for %s", expr)
}

func (p *cdpPage) mouse(typ string, x, y float64, extra map[string]any) {
	p.t.Helper()
	params := map[string]any{"type": typ, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1}
	if typ == "mouseMoved" || typ == "mouseWheel" {
		params["button"] = "none"
	}
	for k, v := range extra {
		params[k] = v
	}
	p.call(p.session, "Input.dispatchMouseEvent", params, nil)
}

// center returns the viewport coordinates of the middle of an element.
func (p *cdpPage) center(selector string) (float64, float64) {
	p.t.Helper()
	var xy [2]float64
	raw := p.eval(fmt.Sprintf(`(function(){var e=document.querySelector(%q); e.scrollIntoView({block:"center"}); var r=e.getBoundingClientRect(); return [r.left+r.width/2, r.top+r.height/2];})()`, selector))
	if err := json.Unmarshal(raw, &xy); err != nil {
		p.t.Fatalf("locate %s: %v (%s)", selector, err, raw)
	}
	return xy[0], xy[1]
}

// TestHTMLChromiumInteractive zooms, pans, clicks and searches the
// timeline like a user, through the DevTools protocol.
func TestHTMLChromiumInteractive(t *testing.T) {
	t.Parallel()
	r := demoReport()
	p := openCDPPage(t, "file://"+writeHTMLFile(t, r, nil))
	count := func() string { return p.evalString(`document.getElementById("count").textContent`) }
	ticks := func() string {
		return p.evalString(`Array.prototype.map.call(document.querySelectorAll("#tl .tick"), function(e){return e.textContent}).join(" ")`)
	}
	if got, want := count(), "16 detections"; got != want {
		t.Fatalf("count = %q, want %q", got, want)
	}

	// Scrolling up over the timeline zooms in around the pointer: the
	// ticks get finer and the list keeps only the detections in view.
	before := ticks()
	x, y := p.center("#tl")
	for range 6 {
		p.mouse("mouseWheel", x, y, map[string]any{"deltaX": 0, "deltaY": -120})
	}
	p.waitFor(`document.getElementById("window").textContent !== ""`)
	if after := ticks(); after == before {
		t.Errorf("ticks did not change after zooming: %s", after)
	}
	zoomed := count()
	if zoomed == "16 detections" {
		t.Errorf("list not narrowed to the zoomed window: %q", zoomed)
	}
	if h := p.evalString(`location.hash`); !bytes.Contains([]byte(h), []byte("from=")) {
		t.Errorf("zoom window not saved in the URL fragment: %q", h)
	}

	// Dragging pans the window.
	window := p.evalString(`document.getElementById("window").textContent`)
	p.mouse("mousePressed", x, y, nil)
	for i := 1; i <= 5; i++ {
		p.mouse("mouseMoved", x-float64(i*40), y, map[string]any{"buttons": 1})
	}
	p.mouse("mouseReleased", x-200, y, nil)
	p.waitFor(fmt.Sprintf(`document.getElementById("window").textContent !== %q`, window))

	// Fit restores the whole capture.
	p.eval(`document.getElementById("zreset").click()`)
	p.waitFor(`document.getElementById("count").textContent === "16 detections"`)

	// Clicking a dot selects its detection.
	dx, dy := p.center(`#tl .dot:not(.many)`)
	p.mouse("mousePressed", dx, dy, nil)
	p.mouse("mouseReleased", dx, dy, nil)
	p.waitFor(`document.querySelector("article.det.sel") !== null`)

	// Typing in the search box filters the list.
	p.eval(`document.getElementById("q").focus()`)
	p.call(p.session, "Input.insertText", map[string]any{"text": "/ETC/SHADOW"}, nil)
	p.waitFor(`document.getElementById("count").textContent === "Showing 1 of 16"`)
	if got := p.evalString(`document.querySelector("article.det .rule").textContent`); got != "Read sensitive file untrusted" {
		t.Errorf("search kept %q", got)
	}
}
