package report

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	//go:embed assets/report.html.tmpl
	htmlTemplateText string
	//go:embed assets/report.css
	htmlStyle string
	//go:embed assets/report.js
	htmlScript string
)

// htmlTemplate is parsed once; it is never modified after package
// initialisation.
var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// WriteHTML writes r as one self-contained HTML page: a summary (counts by
// priority, rule and container), a zoomable timeline, filters by priority,
// rule and container, full-text search, and every detection with its process
// ancestry, the commands it ran (shells view) and the files and network
// endpoints it touched; a tree view's process tree follows, collapsible and
// searchable. Filters live in the URL fragment so a view can be shared.
//
// The page loads nothing from the network. Captured strings reach the page
// only through html/template's contextual escaping and a JSON data block
// that the page's script inserts as text, never as markup; the page's
// Content-Security-Policy allows no source but its own inline script and
// style, pinned by their SHA-256 hashes.
func WriteHTML(w io.Writer, r *Report, opts Options) error {
	page := buildHTMLPage(r, opts)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTemplate.Execute(bw, page); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

// ContentSecurityPolicy returns the policy the HTML report declares: nothing
// may load, and only the report's own inline script and style (by hash) may
// run.
func ContentSecurityPolicy() string {
	return "default-src 'none'; script-src " + cspHash(htmlScript) + "; style-src " + cspHash(htmlStyle) +
		"; img-src 'none'; base-uri 'none'; form-action 'none'"
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title       string
	CSP         string
	Style       template.CSS
	Script      template.JS
	Zone        string
	Generated   string
	Captures    []htmlCapture
	CaptureSum  *htmlCaptureSum // set when the report covers more than one capture
	RuleFiles   []string
	Total       int
	First, Last string // times of the first and last detections
	Day         string // their common date, when they share one
	ByPriority  []htmlCount
	ByRule      []htmlCount
	ByContainer []htmlCount
	View        string
	Tree        []htmlNode
	TreeSize    int // processes in Tree
	// Notes say what the page leaves out (a bound reached) and what the
	// run noticed about its captures; each shows as a notice.
	Notes []string
	// Hosts are the recorded machines of the detections, in first-seen
	// order; with more than one the page offers a host filter and lanes.
	Hosts []string
	// Views name the activity views' tabs, with their counts.
	Views []htmlCount
	Data  htmlData
}

// htmlNode is one process of a tree view as the template renders it.
type htmlNode struct {
	Name, Cmdline, User, Container, Start, Exit, Host string
	// Capture is the capture file as the user named it; Where locates
	// the event the node describes ("frame 1 · evt.num 812"), ExitWhere
	// its exit.
	Capture, Where, ExitWhere string
	// HostKey, set on the roots only (a tree is of one capture, so of one
	// host), is what the page's host filter matches: the index of the
	// host in htmlData.Hosts, "-1" for a host no detection names.
	HostKey  string
	Pid      int64
	Activity []htmlActivity
	Children []htmlNode
	// Pins are the detections of this process, one per rule.
	Pins []htmlPin
}

// htmlPin is a rule's detections pinned on a process of the story's tree:
// I is the first one's index in htmlData.Detections, N how many there are.
type htmlPin struct {
	I, N, Rank int
	Rule       string
}

type htmlActivity struct {
	Time, Kind, Object string
	Where              string // "frame 1 · evt.num 812"
}

// maxHTMLTreeDepth bounds the nesting of the rendered tree (and of template
// recursion); deeper descendants are listed at that depth.
const maxHTMLTreeDepth = 48

// htmlTree converts a process tree for the template; pins turns a node's
// detection indices into its pins (nil: none).
func htmlTree(nodes []ProcessNode, loc *time.Location, depth int, count *int, pins func([]int) []htmlPin) []htmlNode {
	var out []htmlNode
	for i := range nodes {
		n := &nodes[i]
		*count++
		hn := htmlNode{Name: cleanCell(procName(n.Process)), Cmdline: cleanCell(n.Process.Cmdline), User: cleanCell(n.Process.User),
			Pid: n.Process.Pid, Host: cleanCell(n.Host), Capture: cleanCell(n.Capture), Pins: pins(n.Pins),
			Where: htmlEventWhere("", n.EventNum, n.Frame), ExitWhere: htmlEventWhere(n.ExitCapture, n.ExitNum, n.ExitFrame)}
		if !n.Container.IsHost() {
			hn.Container = cleanCell(n.Container.Label())
		}
		if n.Login != "" {
			hn.User += " · " + cleanCell(n.Login)
		}
		if !n.Process.Start.IsZero() {
			hn.Start = n.Process.Start.In(loc).Format("2006-01-02 15:04:05.000000")
		}
		if !n.Exit.IsZero() {
			hn.Exit = n.Exit.In(loc).Format("15:04:05.000000")
		}
		for _, a := range n.Activity {
			hn.Activity = append(hn.Activity, htmlActivity{Time: a.Time.In(loc).Format("15:04:05.000000"), Kind: cleanCell(a.Kind), Object: cleanCell(a.Object),
				Where: htmlEventWhere(a.Capture, a.EventNum, a.Frame)})
		}
		if depth+1 < maxHTMLTreeDepth {
			hn.Children = htmlTree(n.Children, loc, depth+1, count, pins)
			out = append(out, hn)
			continue
		}
		out = append(out, hn)
		out = append(out, htmlTree(n.Children, loc, depth, count, pins)...)
	}
	return out
}

type htmlCapture struct {
	File, Hostname, Span string
	Start, End, Duration string // the span's parts, for the per-capture table
	Events, Drops        string // with thousands separators; empty for zero
}

// htmlCaptureSum summarises a report's captures for the page header when
// there are several: listing each inline would bury the header.
type htmlCaptureSum struct {
	Count         int
	Hosts         []string // distinct host names, in first-seen order
	Span          string   // first event of any capture to last of any, empty when unknown
	Events, Drops string   // totals with thousands separators; empty for zero
}

// htmlCount is one row of a summary table. Key is the filter value the
// page's script matches: the priority rank, or the index into
// htmlData.Rules or htmlData.Containers.
type htmlCount struct {
	Key      string
	Name     string
	Image    string
	Priority string // a rule's most severe priority
	Rank     int
	Count    int
	Pct      string // bar length in percent of the largest count
}

// htmlData is the JSON the page's script reads. Short keys keep large
// reports small; strings repeated across detections are indexed.
type htmlData struct {
	Zone       string          `json:"zone"`
	Offset     int             `json:"offset"` // seconds east of UTC at the first detection; axis labels keep it across DST changes
	Priorities []string        `json:"priorities"`
	Rules      []string        `json:"rules"`
	Containers []htmlContainer `json:"containers"`
	Captures   []string        `json:"captures"`
	Hosts      []string        `json:"hosts"`
	// Total counts all detections; Detections holds at most
	// Options.MaxDetections of them.
	Total      int             `json:"total"`
	Detections []htmlDetection `json:"detections"`
	Views      []htmlView      `json:"views,omitempty"`
}

// htmlView is an activity view's tab: its findings as rows, at most
// Options.MaxDetections of Total.
type htmlView struct {
	Name  string    `json:"name"`
	Total int       `json:"total"`
	Rows  []htmlRow `json:"rows"`
}

// htmlRow is one finding of an activity view, with where it came from.
type htmlRow struct {
	TS     string `json:"ts"`
	Kind   string `json:"r"`
	Output string `json:"o"`
	Pid    int64  `json:"pid"`
	Name   string `json:"n,omitempty"`
	Host   string `json:"h,omitempty"`
	K      int    `json:"k"` // capture index
	Frame  int    `json:"fr"`
	Num    uint64 `json:"e"`
}

type htmlContainer struct {
	ID string `json:"id"`
	// Label is the name to show: the container's name, its id when it has
	// none, and "name (short id)" when distinct containers share a name.
	Label string `json:"label"`
	Name  string `json:"name,omitempty"`
	Image string `json:"image,omitempty"`
	Host  bool   `json:"host,omitempty"`
}

type htmlDetection struct {
	T        float64       `json:"t"`  // milliseconds since the epoch, for the timeline
	TS       string        `json:"ts"` // the time as printed
	P        int           `json:"p"`  // priority rank
	R        int           `json:"r"`  // rule index
	C        int           `json:"c"`  // container index
	K        int           `json:"k"`  // capture index
	Output   string        `json:"o"`
	Source   string        `json:"s,omitempty"`
	Tags     []string      `json:"g,omitempty"`
	Proc     htmlProcess   `json:"pr"`
	Ancestry []htmlProcess `json:"a,omitempty"`
	Files    []string      `json:"f,omitempty"`
	Children []htmlProcess `json:"ch,omitempty"`
	Network  []string      `json:"n,omitempty"`
	EventNum uint64        `json:"e"`
	Frame    int           `json:"fr"` // zstd frame, -1 when the capture is not framed
	Type     string        `json:"y,omitempty"`
	Host     string        `json:"h,omitempty"`
	HostIdx  int           `json:"hi"` // index into htmlData.Hosts
	// Group is the index of the detection's group: one rule's
	// detections of one process (repeats of one alert), shown as one
	// card with a count.
	Group int `json:"gp"`
	// Drill is the detection's drill-down, when the run made one.
	Drill *htmlDrill `json:"dr,omitempty"`
	// Prov is the provenance chain, oldest first; Login the login
	// session; ProvCut marks a truncated chain.
	Prov    []htmlOrigin `json:"pv,omitempty"`
	Login   string       `json:"lg,omitempty"`
	ProvCut bool         `json:"pvc,omitempty"`
}

// htmlDrill is a detection's drill-down: the process's events around it
// (sysdig's lines), the event's own line, and what came next.
type htmlDrill struct {
	Before []htmlLine `json:"b,omitempty"`
	Event  string     `json:"e,omitempty"`
	After  []htmlLine `json:"a,omitempty"`
	Next   []htmlStep `json:"n,omitempty"`
	Cut    int        `json:"c,omitempty"` // steps left out
}

type htmlLine struct {
	Num  uint64 `json:"n"`
	Line string `json:"l"`
}

type htmlStep struct {
	Time   string `json:"t"`
	Kind   string `json:"k"`
	Object string `json:"o"`
	Pid    int64  `json:"p"`
	Name   string `json:"n"`
	Depth  int    `json:"d,omitempty"`
}

func toHTMLDrill(d *Drill, loc *time.Location) *htmlDrill {
	if d == nil {
		return nil
	}
	lines := func(evs []ContextEvent) []htmlLine {
		out := make([]htmlLine, 0, len(evs))
		for _, e := range evs {
			out = append(out, htmlLine{Num: e.Num, Line: cleanCell(e.Line)})
		}
		return out
	}
	hd := &htmlDrill{Before: lines(d.Before), Event: cleanCell(d.Event.Line), After: lines(d.After), Cut: d.NextCut}
	for _, s := range d.Next {
		hd.Next = append(hd.Next, htmlStep{Time: s.Time.In(loc).Format("15:04:05.000000"), Kind: cleanCell(s.Kind),
			Object: cleanCell(s.Object), Pid: s.Pid, Name: cleanCell(s.Name), Depth: s.Depth})
	}
	return hd
}

// htmlOrigin is one link of a provenance chain.
type htmlOrigin struct {
	htmlProcess
	How       string `json:"h"`
	Container string `json:"k,omitempty"` // short container id; empty for the host
	Exited    bool   `json:"d,omitempty"`
}

type htmlProcess struct {
	Pid     int64  `json:"pid"`
	Name    string `json:"n,omitempty"`
	Exe     string `json:"x,omitempty"`
	Cmdline string `json:"c,omitempty"`
	User    string `json:"u,omitempty"`
	Tty     int64  `json:"t,omitempty"`
}

func toHTMLProcess(p Process) htmlProcess {
	return htmlProcess{Pid: p.Pid, Name: cleanCell(p.Name), Exe: cleanCell(p.Exe), Cmdline: cleanCell(p.Cmdline), User: cleanCell(p.User), Tty: p.Tty}
}

// cleanAll applies cleanCell to each string, copying only when one changes.
func cleanAll(ss []string) []string {
	for _, s := range ss {
		if cleanCell(s) != s {
			out := make([]string, len(ss))
			for j := range ss {
				out[j] = cleanCell(ss[j])
			}
			return out
		}
	}
	return ss
}

const htmlTimeLayout = "2006-01-02 15:04:05.000000000 -0700"

func buildHTMLPage(r *Report, opts Options) *htmlPage {
	loc := opts.zone()
	title := r.Title
	if title == "" {
		title = "retrace report"
	}
	title = cleanCell(title)
	p := &htmlPage{
		Title:     title,
		CSP:       ContentSecurityPolicy(),
		Style:     template.CSS(htmlStyle),
		Script:    template.JS(htmlScript),
		Zone:      zoneName(loc),
		RuleFiles: cleanAll(r.RuleFiles),
		Total:     len(r.Detections) + r.Left.Count,
	}
	if !r.Generated.IsZero() {
		p.Generated = r.Generated.In(loc).Format("2006-01-02 15:04:05 -0700")
	}
	for _, c := range r.Captures {
		hc := htmlCapture{File: cleanCell(c.File), Hostname: cleanCell(c.Hostname), Events: groupDigits(c.Events), Drops: groupDigits(c.Drops)}
		if !c.Start.IsZero() && !c.End.IsZero() {
			hc.Start = c.Start.In(loc).Format("2006-01-02 15:04:05")
			hc.End = c.End.In(loc).Format("15:04:05")
			hc.Duration = c.End.Sub(c.Start).Round(time.Millisecond).String()
			hc.Span = hc.Start + " – " + hc.End + " (" + hc.Duration + ")"
		}
		p.Captures = append(p.Captures, hc)
	}
	if len(r.Captures) > 1 {
		p.CaptureSum = summariseCaptures(r.Captures, loc)
	}

	data := htmlData{Zone: p.Zone, Priorities: append(priorityNames(), "Other")}
	if len(r.Detections) > 0 {
		_, off := r.Detections[0].Time.In(loc).Zone()
		data.Offset = off
	}
	ruleIdx := map[string]int{}
	ctrIdx := map[Container]int{}
	capIdx := map[string]int{}
	index := func(m map[string]int, list *[]string, s string) int {
		i, ok := m[s]
		if !ok {
			i = len(*list)
			m[s] = i
			*list = append(*list, s)
		}
		return i
	}
	prioCount := make([]int, len(data.Priorities))
	ruleCount := map[int]int{}
	ruleRank := map[int]int{}
	ctrCount := map[int]int{}
	hostIdx := map[string]int{}
	// A group is one rule's detections of one process in one capture.
	type groupKey struct {
		rule, capture int
		host          string
		pid, start    int64
	}
	groups := map[groupKey]int{}
	embed := min(len(r.Detections), opts.maxDetections())
	var first, last time.Time
	data.Total = len(r.Detections) + r.Left.Count
	data.Detections = make([]htmlDetection, 0, embed)
	// count adds n detections of one rule, priority, container and host,
	// between t0 and t1, to the summary and returns their indices.
	count := func(rule, prio, host string, ctr Container, n int, t0, t1 time.Time) (rank, ri, ci, hi int) {
		rank = priorityRank(prio)
		ri = index(ruleIdx, &data.Rules, cleanCell(rule))
		key := Container{ID: cleanCell(ctr.ID), Name: cleanCell(ctr.Name), Image: cleanCell(ctr.Image)}
		if ctr.IsHost() {
			key = Container{ID: "host"}
		}
		ci, ok := ctrIdx[key]
		if !ok {
			ci = len(data.Containers)
			ctrIdx[key] = ci
			data.Containers = append(data.Containers, htmlContainer{ID: key.ID, Name: key.Name, Image: key.Image, Host: key.IsHost(), Label: key.Label()})
		}
		hi = index(hostIdx, &data.Hosts, cleanCell(host))
		prioCount[rank] += n
		ruleCount[ri] += n
		if cur, ok := ruleRank[ri]; !ok || rank < cur {
			ruleRank[ri] = rank
		}
		ctrCount[ci] += n
		if first.IsZero() || t0.Before(first) {
			first = t0
		}
		if t1.After(last) {
			last = t1
		}
		return rank, ri, ci, hi
	}
	for i := range r.Detections {
		d := &r.Detections[i]
		rank, ri, ci, hi := count(d.Rule, d.Priority, d.Hostname, d.Container, 1, d.Time, d.Time)
		host := data.Hosts[hi]
		if i < embed {
			ki := index(capIdx, &data.Captures, cleanCell(d.Capture))
			gk := groupKey{rule: ri, capture: ki, host: host, pid: d.Process.Pid, start: d.Process.Start.UnixNano()}
			if r.View != "" {
				gk.pid, gk.start = -1, int64(i) // a view's findings are each about another object
			}
			gi, ok := groups[gk]
			if !ok {
				gi = len(groups)
				groups[gk] = gi
			}
			hd := htmlDetection{
				T:  float64(d.Time.Unix())*1e3 + float64(d.Time.Nanosecond())/1e6,
				TS: d.Time.In(loc).Format(htmlTimeLayout),
				P:  rank, R: ri, C: ci, K: ki,
				Output: cleanCell(d.Output), Source: cleanCell(d.Source), Tags: cleanAll(d.Tags),
				Proc:  toHTMLProcess(d.Process),
				Files: cleanAll(d.Files), Network: cleanAll(d.Network),
				EventNum: d.EventNum, Frame: d.Frame, Type: cleanCell(d.EventType), Host: host, HostIdx: hi,
				Group: gi, Drill: toHTMLDrill(d.Drill, loc),
			}
			for _, a := range d.Ancestry {
				hd.Ancestry = append(hd.Ancestry, toHTMLProcess(a))
			}
			for _, c := range d.Children {
				hd.Children = append(hd.Children, toHTMLProcess(c))
			}
			if pv := d.Provenance; pv != nil {
				for i := len(pv.Chain) - 1; i >= 0; i-- {
					o := &pv.Chain[i]
					ho := htmlOrigin{htmlProcess: toHTMLProcess(o.Process), How: o.How, Exited: !o.Exit.IsZero()}
					if o.Container != "host" {
						ho.Container = cleanCell(shortID(o.Container))
					}
					hd.Prov = append(hd.Prov, ho)
				}
				hd.Login, hd.ProvCut = cleanCell(pv.Login()), pv.Truncated
			}
			data.Detections = append(data.Detections, hd)
		}
	}
	// The detections the run held no longer count in the summary; their
	// keys are sorted so that the indices do not depend on map order.
	keys := slices.SortedFunc(maps.Keys(r.Left.By), func(a, b TallyKey) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.Host, b.Host),
			cmp.Compare(a.Container.ID, b.Container.ID), cmp.Compare(a.Container.Name, b.Container.Name), cmp.Compare(a.Container.Image, b.Container.Image))
	})
	for _, k := range keys {
		count(k.Rule, k.Priority, k.Host, k.Container, r.Left.By[k], r.Left.First, r.Left.Last)
	}
	if !first.IsZero() {
		f, l := first.In(loc), last.In(loc)
		p.First = f.Format("2006-01-02 15:04:05.000")
		p.Last = l.Format("2006-01-02 15:04:05.000")
		if f.Format(time.DateOnly) == l.Format(time.DateOnly) {
			p.Day = f.Format(time.DateOnly)
			p.First = f.Format("15:04:05.000")
			p.Last = l.Format("15:04:05.000")
		}
	}

	for rank, n := range prioCount {
		if n > 0 {
			p.ByPriority = append(p.ByPriority, htmlCount{Key: strconv.Itoa(rank), Name: data.Priorities[rank], Rank: rank, Count: n})
		}
	}
	for ri, n := range ruleCount {
		rank := ruleRank[ri]
		p.ByRule = append(p.ByRule, htmlCount{Key: strconv.Itoa(ri), Name: data.Rules[ri], Rank: rank, Priority: data.Priorities[rank], Count: n})
	}
	disambiguateLabels(data.Containers)
	for ci, n := range ctrCount {
		c := data.Containers[ci]
		p.ByContainer = append(p.ByContainer, htmlCount{Key: strconv.Itoa(ci), Name: c.Label, Image: c.Image, Count: n})
	}
	// Most frequent first; ties by severity, then name, so output is stable.
	byCount := func(a, b htmlCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Key, b.Key))
	}
	slices.SortFunc(p.ByRule, byCount)
	slices.SortFunc(p.ByContainer, byCount)
	for _, rows := range [][]htmlCount{p.ByPriority, p.ByRule, p.ByContainer} {
		maxN := 0
		for _, c := range rows {
			maxN = max(maxN, c.Count)
		}
		for i := range rows {
			rows[i].Pct = strconv.FormatFloat(100*float64(rows[i].Count)/float64(maxN), 'f', 1, 64)
		}
	}
	p.View = cleanCell(r.View)
	p.Tree = htmlTree(r.Tree, loc, 0, &p.TreeSize, func(idx []int) []htmlPin { return htmlPins(idx, data.Detections, data.Rules) })
	for i := range p.Tree {
		hi, ok := hostIdx[p.Tree[i].Host]
		if !ok {
			hi = -1
		}
		p.Tree[i].HostKey = strconv.Itoa(hi)
	}
	captures := map[string]bool{}
	hosts, nc := treeSources(p.Tree, map[string]bool{}, captures)
	oneHost, oneCapture := hosts < 2, nc < 2 && !laterSetFile(captures, r.Captures)
	if oneHost || oneCapture {
		clearTreeSources(p.Tree, oneHost, oneCapture)
	}
	p.Notes = cleanAll(r.Notes)
	for _, c := range r.Captures {
		for _, n := range c.Notes {
			p.Notes = append(p.Notes, cleanCell(c.File)+": "+cleanCell(n))
		}
	}
	if left := data.Total - embed; left > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("This page holds the first %s of %s detections; %s more are counted in the summary but not listed (raise the bound with --report-max, or use -o json for all of them).",
			groupDigits(uint64(embed)), groupDigits(uint64(data.Total)), groupDigits(uint64(left))))
	}
	if len(data.Hosts) > 1 {
		p.Hosts = data.Hosts
	}
	for _, v := range r.Views {
		hv := htmlView{Name: cleanCell(v.Name), Total: len(v.Findings) + v.Left}
		for i := range v.Findings[:min(len(v.Findings), opts.maxDetections())] {
			d := &v.Findings[i]
			hv.Rows = append(hv.Rows, htmlRow{TS: d.Time.In(loc).Format("2006-01-02 15:04:05.000000"), Kind: cleanCell(d.Rule), Output: cleanCell(d.Output),
				Pid: d.Process.Pid, Name: cleanCell(d.Process.Name), Host: cleanCell(d.Hostname),
				K: index(capIdx, &data.Captures, cleanCell(d.Capture)), Frame: d.Frame, Num: d.EventNum})
		}
		data.Views = append(data.Views, hv)
		p.Views = append(p.Views, htmlCount{Key: strconv.Itoa(len(p.Views)), Name: hv.Name, Count: hv.Total})
	}
	p.Data = data
	return p
}

// htmlEventWhere returns "frame 1 · evt.num 812" for an event of a tree,
// without the frame when the capture is not framed; "" for no event. It
// starts with the base name of file, when given: the file of a rotated
// set that holds the event when it is not the process's.
func htmlEventWhere(file string, num uint64, frame int) string {
	if num == 0 {
		return ""
	}
	where := "evt.num " + strconv.FormatUint(num, 10)
	if frame >= 0 {
		where = "frame " + strconv.Itoa(frame) + " · " + where
	}
	if file != "" {
		where = cleanCell(filepath.Base(file)) + " · " + where
	}
	return where
}

// treeSources counts the distinct hosts and captures of nodes and their
// descendants (the maps collect them).
func treeSources(nodes []htmlNode, hosts, captures map[string]bool) (int, int) {
	for i := range nodes {
		if nodes[i].Host != "" {
			hosts[nodes[i].Host] = true
		}
		if nodes[i].Capture != "" {
			captures[nodes[i].Capture] = true
		}
		treeSources(nodes[i].Children, hosts, captures)
	}
	return len(hosts), len(captures)
}

// laterSetFile reports whether one of captures (cleaned file names) is a
// file of a rotated set but its first: the page's header names the set by
// its first file only, so a process must name such a file itself.
func laterSetFile(captures map[string]bool, caps []CaptureInfo) bool {
	for _, c := range caps {
		for _, f := range c.Files[min(1, len(c.Files)):] {
			if captures[cleanCell(f)] {
				return true
			}
		}
	}
	return false
}

// clearTreeSources empties the nodes' hosts (host) and capture names
// (capture): one host or capture named on every process is noise, the
// page's header names it.
func clearTreeSources(nodes []htmlNode, host, capture bool) {
	for i := range nodes {
		if host {
			nodes[i].Host = ""
		}
		if capture {
			nodes[i].Capture = ""
		}
		clearTreeSources(nodes[i].Children, host, capture)
	}
}

// htmlPins groups the detections pinned on one process by rule, most
// severe first; indices past the embedded detections are left out.
func htmlPins(idx []int, dets []htmlDetection, rules []string) []htmlPin {
	var pins []htmlPin
	for _, i := range idx {
		if i < 0 || i >= len(dets) {
			continue
		}
		d := &dets[i]
		if k := slices.IndexFunc(pins, func(p htmlPin) bool { return p.Rule == rules[d.R] }); k >= 0 {
			pins[k].N++
			continue
		}
		pins = append(pins, htmlPin{I: i, N: 1, Rank: d.P, Rule: rules[d.R]})
	}
	slices.SortStableFunc(pins, func(a, b htmlPin) int { return cmp.Compare(a.Rank, b.Rank) })
	return pins
}

// summariseCaptures totals several captures for the page header.
func summariseCaptures(caps []CaptureInfo, loc *time.Location) *htmlCaptureSum {
	sum := &htmlCaptureSum{Count: len(caps)}
	var events, drops uint64
	var first, last time.Time
	for _, c := range caps {
		events += c.Events
		drops += c.Drops
		if h := cleanCell(c.Hostname); h != "" && !slices.Contains(sum.Hosts, h) {
			sum.Hosts = append(sum.Hosts, h)
		}
		if c.Start.IsZero() || c.End.IsZero() {
			continue
		}
		if first.IsZero() || c.Start.Before(first) {
			first = c.Start
		}
		if c.End.After(last) {
			last = c.End
		}
	}
	sum.Events, sum.Drops = groupDigits(events), groupDigits(drops)
	if !first.IsZero() {
		f, l := first.In(loc), last.In(loc)
		endLayout := "15:04:05"
		if f.Format(time.DateOnly) != l.Format(time.DateOnly) {
			endLayout = "2006-01-02 15:04:05"
		}
		sum.Span = f.Format("2006-01-02 15:04:05") + " – " + l.Format(endLayout) +
			" (" + l.Sub(f).Round(time.Second).String() + ")"
	}
	return sum
}

// disambiguateLabels appends the short container id to the label of every
// container whose name another, distinct container also has (recordings of
// the same scenario often reuse a container name).
func disambiguateLabels(ctrs []htmlContainer) {
	byLabel := map[string]int{}
	for _, c := range ctrs {
		byLabel[c.Label]++
	}
	for i := range ctrs {
		c := &ctrs[i]
		if c.Host || c.Name == "" || byLabel[c.Label] < 2 {
			continue
		}
		id := c.ID
		if len(id) > 12 {
			id = strings.ToValidUTF8(id[:12], "")
		}
		c.Label = c.Name + " (" + id + ")"
	}
}

// groupDigits formats n with commas between thousands ("1,843,307"), or
// returns "" for zero.
func groupDigits(n uint64) string {
	if n == 0 {
		return ""
	}
	s := strconv.FormatUint(n, 10)
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
