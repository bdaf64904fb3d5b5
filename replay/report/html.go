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
	Data        htmlData
}

// htmlNode is one process of a tree view as the template renders it.
type htmlNode struct {
	Name, Cmdline, User, Container, Start, Exit string
	Pid                                         int64
	Activity                                    []htmlActivity
	Children                                    []htmlNode
}

type htmlActivity struct {
	Time, Kind, Object string
}

// maxHTMLTreeDepth bounds the nesting of the rendered tree (and of template
// recursion); deeper descendants are listed at that depth.
const maxHTMLTreeDepth = 48

// htmlTree converts a process tree for the template.
func htmlTree(nodes []ProcessNode, loc *time.Location, depth int, count *int) []htmlNode {
	var out []htmlNode
	for i := range nodes {
		n := &nodes[i]
		*count++
		hn := htmlNode{Name: cleanCell(procName(n.Process)), Cmdline: cleanCell(n.Process.Cmdline), User: cleanCell(n.Process.User), Pid: n.Process.Pid}
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
			hn.Activity = append(hn.Activity, htmlActivity{Time: a.Time.In(loc).Format("15:04:05.000000"), Kind: cleanCell(a.Kind), Object: cleanCell(a.Object)})
		}
		if depth+1 < maxHTMLTreeDepth {
			hn.Children = htmlTree(n.Children, loc, depth+1, count)
			out = append(out, hn)
			continue
		}
		out = append(out, hn)
		out = append(out, htmlTree(n.Children, loc, depth, count)...)
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
	Detections []htmlDetection `json:"detections"`
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
	Type     string        `json:"y,omitempty"`
	Host     string        `json:"h,omitempty"`
	// Prov is the provenance chain, oldest first; Login the login
	// session; ProvCut marks a truncated chain.
	Prov    []htmlOrigin `json:"pv,omitempty"`
	Login   string       `json:"lg,omitempty"`
	ProvCut bool         `json:"pvc,omitempty"`
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
		Total:     len(r.Detections),
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
	var first, last time.Time
	data.Detections = make([]htmlDetection, 0, len(r.Detections))
	for i := range r.Detections {
		d := &r.Detections[i]
		rank := priorityRank(d.Priority)
		ri := index(ruleIdx, &data.Rules, cleanCell(d.Rule))
		key := Container{ID: cleanCell(d.Container.ID), Name: cleanCell(d.Container.Name), Image: cleanCell(d.Container.Image)}
		if d.Container.IsHost() {
			key = Container{ID: "host"}
		}
		ci, ok := ctrIdx[key]
		if !ok {
			ci = len(data.Containers)
			ctrIdx[key] = ci
			data.Containers = append(data.Containers, htmlContainer{ID: key.ID, Name: key.Name, Image: key.Image, Host: key.IsHost(), Label: key.Label()})
		}
		hd := htmlDetection{
			T:  float64(d.Time.Unix())*1e3 + float64(d.Time.Nanosecond())/1e6,
			TS: d.Time.In(loc).Format(htmlTimeLayout),
			P:  rank, R: ri, C: ci, K: index(capIdx, &data.Captures, cleanCell(d.Capture)),
			Output: cleanCell(d.Output), Source: cleanCell(d.Source), Tags: cleanAll(d.Tags),
			Proc:  toHTMLProcess(d.Process),
			Files: cleanAll(d.Files), Network: cleanAll(d.Network),
			EventNum: d.EventNum, Type: cleanCell(d.EventType), Host: cleanCell(d.Hostname),
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

		prioCount[rank]++
		ruleCount[ri]++
		if cur, ok := ruleRank[ri]; !ok || rank < cur {
			ruleRank[ri] = rank
		}
		ctrCount[ci]++
		if first.IsZero() || d.Time.Before(first) {
			first = d.Time
		}
		if d.Time.After(last) {
			last = d.Time
		}
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
	p.Tree = htmlTree(r.Tree, loc, 0, &p.TreeSize)
	p.Data = data
	return p
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
