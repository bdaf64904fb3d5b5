package report

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// defaultTableWidth is the table width when Options.Width is zero.
const defaultTableWidth = 120

// maxPathDepth is how many processes a table's process path shows, the
// detection's own process included; older ancestors collapse into "…".
// Narrow tables show fewer (see pathDepth).
const maxPathDepth = 4

// pathDepth returns how many processes the process path shows in a table
// of the given width.
func pathDepth(width int) int {
	switch {
	case width >= 120:
		return maxPathDepth
	case width >= 100:
		return 3
	}
	return 2
}

// WriteTable writes the detections as a timeline table (one row per
// detection: time, container, process path such as "sshd > bash > cat",
// rule, priority and the key objects: command line, files, network) that
// fits in Options.Width columns, wrapping long cells; then, for a tree view,
// the process tree, one row per process with its activity. Control characters in
// captured strings print as escapes, so a hostile file name cannot drive the
// terminal.
func WriteTable(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if len(r.Detections) > 0 || len(r.Tree) == 0 {
		if err := writeDetectionTable(bw, r, opts); err != nil {
			return err
		}
	}
	if len(r.Tree) > 0 {
		if err := writeTreeTable(bw, r.Tree, opts); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func writeDetectionTable(bw io.Writer, r *Report, opts Options) error {
	loc := opts.zone()
	width := opts.Width
	if width <= 0 {
		width = defaultTableWidth
	}

	// Microseconds, or milliseconds when columns are scarce; the date only
	// when the detections span several days.
	frac := ".000000"
	if width < 100 {
		frac = ".000"
	}
	timeLayout := "2006-01-02 15:04:05" + frac
	day, oneDay := sameDay(r.Detections, loc)
	if oneDay {
		timeLayout = "15:04:05" + frac
	}
	header := []string{"time", "container", "process", "rule", "priority", "details"}
	shown := min(len(r.Detections), opts.maxDetections())
	rows := make([][]string, 0, shown)
	for i := range r.Detections[:shown] {
		d := &r.Detections[i]
		rows = append(rows, []string{
			d.Time.In(loc).Format(timeLayout),
			cleanCell(d.Container.Label()),
			cleanCell(processPath(d, pathDepth(width))),
			cleanCell(d.Rule),
			cleanCell(d.Priority),
			tableDetails(d),
		})
	}

	// Time and priority never wrap; the other columns share what is left,
	// the details column twice as much as the others.
	// Container names, process paths and rule names keep their words whole when the width
	// allows it.
	fitColumns(header, rows, width, []int{0, 1, 1, 1, 0, 2}, []bool{false, true, true, true, false, false})
	table := tablewriter.NewTable(bw,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	table.Header(upper(header))
	if err := table.Bulk(rows); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	noun := "detection(s)"
	if r.View != "" {
		noun = "finding(s) of view " + cleanCell(r.View)
	}
	summary := fmt.Sprintf("%d %s, times in %s", len(r.Detections)+r.Left.Count, noun, zoneName(loc))
	if r.Left.Count > 0 && (r.Left.First.In(loc).Format(time.DateOnly) != day || r.Left.Last.In(loc).Format(time.DateOnly) != day) {
		oneDay = false
	}
	if oneDay && len(r.Detections) > 0 {
		summary += " on " + day
	}
	if left := len(r.Detections) + r.Left.Count - shown; left > 0 {
		summary += fmt.Sprintf("; the table shows the first %d, %d more rows left out (-o json has them all)", shown, left)
	}
	var drops uint64
	for _, c := range r.Captures {
		drops += c.Drops
	}
	if drops > 0 {
		summary += fmt.Sprintf("; %d events lost to recorder drops", drops)
	}
	if _, err := fmt.Fprintln(bw, summary); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// sameDay reports whether every detection falls on one calendar day in loc,
// and which (YYYY-MM-DD).
func sameDay(ds []Detection, loc *time.Location) (string, bool) {
	if len(ds) == 0 {
		return "", true
	}
	day := ds[0].Time.In(loc).Format(time.DateOnly)
	for i := range ds {
		if ds[i].Time.In(loc).Format(time.DateOnly) != day {
			return "", false
		}
	}
	return day, true
}

func zoneName(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return loc.String()
}

func upper(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}

// processPath returns the process tree path from the oldest shown ancestor
// to the process itself, e.g. "sshd > bash > cat[4133]", keeping at most
// depth names.
func processPath(d *Detection, depth int) string {
	if p := d.Provenance; p != nil && len(p.Chain) > 0 {
		return chainPath(p, depth)
	}
	var b strings.Builder
	n := min(len(d.Ancestry), depth-1)
	if n < len(d.Ancestry) {
		b.WriteString("… > ")
	}
	for i := n - 1; i >= 0; i-- {
		b.WriteString(procName(d.Ancestry[i]))
		b.WriteString(" > ")
	}
	b.WriteString(procName(d.Process))
	if d.Process.Pid != 0 {
		b.WriteByte('[')
		b.WriteString(strconv.FormatInt(d.Process.Pid, 10))
		b.WriteByte(']')
	}
	return b.String()
}

// chainPath is processPath from a provenance chain: the creators, exited
// ones included, rather than the live parents. Consecutive creators of one
// program (forks, re-execs, runc's "runc:[1:CHILD]" stages) show once, so
// that a container process shows its host-side entry: "podman > conmon >
// runc > sh[40]".
func chainPath(p *Provenance, depth int) string {
	var names []string
	last := ""
	i := 1
	for ; i < len(p.Chain) && len(names) < depth-1; i++ {
		n := procName(p.Chain[i].Process)
		if k := strings.Index(n, ":["); k > 0 {
			n = n[:k]
		}
		if n != last {
			names = append(names, n)
			last = n
		}
	}
	var b strings.Builder
	if i < len(p.Chain) || p.Truncated {
		b.WriteString("… > ")
	}
	for k := len(names) - 1; k >= 0; k-- {
		b.WriteString(names[k])
		b.WriteString(" > ")
	}
	b.WriteString(procName(p.Chain[0].Process))
	if pid := p.Chain[0].Pid; pid != 0 {
		b.WriteByte('[')
		b.WriteString(strconv.FormatInt(pid, 10))
		b.WriteByte(']')
	}
	return b.String()
}

func procName(p Process) string {
	if p.Name != "" {
		return p.Name
	}
	if p.Pid != 0 {
		return strconv.FormatInt(p.Pid, 10)
	}
	return "?"
}

// tableDetails lists the detection's key objects, one per line.
func tableDetails(d *Detection) string {
	var lines []string
	if d.Process.Cmdline != "" {
		lines = append(lines, "cmd: "+cleanCell(d.Process.Cmdline))
	}
	if d.Process.User != "" {
		lines = append(lines, "user: "+cleanCell(d.Process.User))
	}
	if pv := d.Provenance; pv != nil && pv.LoginUID >= 0 {
		lines = append(lines, cleanCell(pv.Login()))
	} else if pv != nil && pv.Tty != 0 {
		lines = append(lines, "tty "+strconv.FormatInt(pv.Tty, 10))
	}
	for _, f := range d.Files {
		lines = append(lines, "file: "+cleanCell(f))
	}
	for _, n := range d.Network {
		lines = append(lines, "net: "+cleanCell(n))
	}
	for _, c := range d.Children {
		lines = append(lines, "ran: "+cleanCell(c.Cmdline))
	}
	if at := eventSource(d); at != "" {
		lines = append(lines, "at: "+at)
	}
	return strings.Join(lines, "\n")
}

// eventSource says where a detection's event is, so that it can be traced
// back to its bytes: "host web-01, incident-42.scap.zst frame 3 evt.num
// 10421", the parts that are known; the capture by its file name, as the
// table has little room.
func eventSource(d *Detection) string {
	return sourceText(d.Hostname, d.Capture, d.Frame, d.EventNum)
}

// sourceText is [eventSource] for an event of capture on host, in frame
// (-1: not framed), numbered num (0: no event).
func sourceText(host, capture string, frame int, num uint64) string {
	var parts []string
	if host != "" {
		parts = append(parts, "host "+cleanCell(host)+",")
	}
	if capture != "" {
		parts = append(parts, cleanCell(filepath.Base(capture))) // the host tells same-named files apart
	}
	if frame >= 0 && capture != "" {
		parts = append(parts, "frame "+strconv.Itoa(frame))
	}
	if num != 0 {
		parts = append(parts, "evt.num "+strconv.FormatUint(num, 10))
	}
	return strings.TrimSuffix(strings.Join(parts, " "), ",")
}

// cleanCell makes a captured string visible, single-line and safe for a
// terminal or a page: control characters (newlines, escape sequences),
// invalid bytes and the bidirectional controls that can make text read
// differently from what it is ("Trojan Source") become Go-style escapes.
func cleanCell(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			} else {
				b.WriteRune(r)
			}
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fitColumns wraps the cells of rows in place so that the table fits in
// width terminal columns, with the widths columnWidths decides.
func fitColumns(header []string, rows [][]string, width int, weights []int, keepWords []bool) {
	widths := columnWidths(header, rows, width, weights, keepWords)
	for _, row := range rows {
		for c, w := range widths {
			if w > 0 {
				row[c] = wrapCell(row[c], w)
			}
		}
	}
}

// columnWidths decides each column's content width so that the table fits
// in width terminal columns, or returns nil when it fits as it is. Columns of
// weight 0 keep their natural width; the others share the rest in
// proportion to their weights, a column narrower than its share keeping its
// natural width and leaving the remainder to the others (water filling).
// A column marked in keepWords is kept at least as wide as its longest word
// (up to maxKeptWord) so that its words do not break, unless the table
// cannot fit that way. A zero entry in the result means "do not wrap".
func columnWidths(header []string, rows [][]string, width int, weights []int, keepWords []bool) []int {
	n := len(header)
	natural := make([]int, n)
	for c := range n {
		natural[c] = cellWidth(header[c])
		for _, row := range rows {
			natural[c] = max(natural[c], cellWidth(row[c]))
		}
	}
	budget := width - (3*n + 1) // "│ " before each cell, " │" after the last
	total := 0
	for _, w := range natural {
		total += w
	}
	if total <= budget {
		return nil
	}
	minWidth := make([]int, n)
	soft := make([]int, n)
	for c := range n {
		minWidth[c] = max(6, cellWidth(header[c]))
		soft[c] = minWidth[c]
		if c < len(keepWords) && keepWords[c] {
			for _, row := range rows {
				soft[c] = max(soft[c], min(longestWord(row[c]), maxKeptWord))
			}
		}
	}
	// When the table cannot keep every marked column's words whole, the
	// leftmost marked column gives up first.
	for c := 0; ; c++ {
		if out, ok := shareWidths(natural, soft, weights, budget); ok || c == n {
			return out
		}
		soft[c] = minWidth[c]
	}
}

// maxKeptWord bounds the width a column keeps for its longest word.
const maxKeptWord = 24

// shareWidths shares budget columns among the columns of non-zero weight
// (see columnWidths), none narrower than minWidth; it reports false when
// the minimums do not fit.
func shareWidths(natural, minWidth, weights []int, budget int) ([]int, bool) {
	n := len(natural)
	out := make([]int, n)
	var flex []int
	for c := range n {
		if weights[c] == 0 {
			budget -= natural[c]
			continue
		}
		flex = append(flex, c)
	}
	for len(flex) > 0 {
		sum := 0
		for _, c := range flex {
			sum += weights[c]
		}
		var rest []int
		for _, c := range flex {
			if share := budget * weights[c] / sum; natural[c] <= share {
				out[c] = natural[c]
				budget -= natural[c]
			} else {
				rest = append(rest, c)
			}
		}
		if len(rest) == len(flex) {
			avail := budget
			for _, c := range rest {
				out[c] = max(avail*weights[c]/sum, minWidth[c])
				budget -= out[c]
			}
			// Hand columns' surplus over their minimums back from the
			// widest ones, or spread rounding leftovers, until the row
			// fits exactly.
			for budget != 0 {
				if budget > 0 {
					out[rest[len(rest)-1]] += budget
					break
				}
				widest := -1
				for _, c := range rest {
					if out[c] > minWidth[c] && (widest < 0 || out[c] > out[widest]) {
						widest = c
					}
				}
				if widest < 0 {
					return out, false // too narrow for the minimums; overflow
				}
				out[widest]--
				budget++
			}
			break
		}
		flex = rest
	}
	return out, true
}

// longestWord returns the display width of the widest space-separated word
// of a cell.
func longestWord(s string) int {
	w := 0
	for word := range strings.FieldsSeq(s) {
		w = max(w, twwidth.Width(word))
	}
	return w
}

// wrapCell wraps each line of s at spaces so that no line is wider than
// width display columns; a word longer than a line breaks after a '/', '-',
// ',', ':' or '=' where it can, else anywhere. It never drops a character.
func wrapCell(s string, width int) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		col := 0
		for j, word := range strings.Split(line, " ") {
			ww := twwidth.Width(word)
			if j > 0 {
				if col+1+ww <= width {
					b.WriteByte(' ')
					col++
				} else {
					b.WriteByte('\n')
					col = 0
				}
			}
			for _, piece := range splitAfterSeparators(word) {
				if pw := twwidth.Width(piece); col > 0 && col+pw > width && pw <= width {
					b.WriteByte('\n')
					col = 0
				}
				for _, r := range piece {
					rw := twwidth.Width(string(r))
					if col+rw > width && col > 0 {
						b.WriteByte('\n')
						col = 0
					}
					b.WriteRune(r)
					col += rw
				}
			}
		}
	}
	return b.String()
}

// splitAfterSeparators splits a word after each '/', '-', ',', ':', '=' or
// "->" (not between its two characters), the places a long path, address or
// option breaks most readably.
func splitAfterSeparators(word string) []string {
	var out []string
	start := 0
	for i := 0; i < len(word)-1; i++ {
		switch word[i] {
		case '/', ',', ':', '=':
		case '-':
			if word[i+1] == '>' {
				i++ // break after the arrow instead
				if i == len(word)-1 {
					continue
				}
			}
		default:
			continue
		}
		out = append(out, word[start:i+1])
		start = i + 1
	}
	return append(out, word[start:])
}

// cellWidth returns the display width of the widest line of a cell.
func cellWidth(s string) int {
	w := 0
	for line := range strings.SplitSeq(s, "\n") {
		w = max(w, twwidth.Width(line))
	}
	return w
}
