package inspect

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/capture/scap"
)

// Description is what `retrace info` reports about one capture file; its
// JSON form is info's --json output.
type Description struct {
	File             string            `json:"file"`
	Format           string            `json:"format"`
	Retrace          bool              `json:"retrace_capture"`
	ScapVersion      string            `json:"scap_version"`
	FileBytes        int64             `json:"file_bytes"`
	ScapBytes        int64             `json:"scap_bytes"`
	CompressionRatio float64           `json:"compression_ratio"`
	Frames           int               `json:"frames,omitempty"`
	MetadataFrames   int               `json:"metadata_frames,omitempty"`
	Hostname         string            `json:"hostname,omitempty"`
	Machine          *Machine          `json:"machine,omitempty"`
	Recorder         *capture.Metadata `json:"recorder,omitempty"`
	FirstEvent       time.Time         `json:"first_event,omitzero"`
	LastEvent        time.Time         `json:"last_event,omitzero"`
	DurationSeconds  float64           `json:"duration_seconds"`
	Events           int64             `json:"events"`
	SkippedEvents    int64             `json:"skipped_events,omitempty"`
	EventTypes       map[string]int64  `json:"event_types"`
	SnapshotThreads  int               `json:"snapshot_threads"`
	Processes        map[string]int64  `json:"processes"`
	Containers       []Container       `json:"containers,omitempty"`
	Drops            *capture.Drops    `json:"drops,omitempty"`
	// DropMarkers says what the drop markers in the events say: events
	// lost and where they fell (see capture.DropTally); DropsFromMarkers
	// that Drops comes from them, the recorder's totals missing.
	DropMarkers      string           `json:"drop_markers,omitempty"`
	DropsFromMarkers bool             `json:"drops_from_markers,omitempty"`
	Complete         bool             `json:"complete"`
	Error            string           `json:"error,omitempty"`
	Custody          *capture.Custody `json:"custody,omitempty"`
}

// Machine is the recorded machine.
type Machine struct {
	CPUs        uint32    `json:"cpus"`
	MemoryBytes uint64    `json:"memory_bytes"`
	BootTime    time.Time `json:"boot_time,omitzero"`
}

// Container is a container the capture mentions.
type Container struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Image string `json:"image,omitempty"`
	// Runtime is the container runtime recognised from a cgroup path.
	Runtime string `json:"runtime,omitempty"`
	// From says where it was seen: "metadata" (retrace's recorder),
	// "event" (a container event) or "cgroups" (a thread's cgroup paths).
	From string `json:"from"`
}

// Describe reads the capture at path to the end, storing the bytes read so
// far in read (when not nil) for a progress bar. It returns nil when the
// file cannot be opened at all; otherwise the Description says what was
// read and the error why reading stopped early.
func Describe(path string, read *atomic.Int64) (*Description, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	r, err := capture.Open(path)
	if err != nil {
		if capture.IsFileError(err) {
			return &Description{File: path, FileBytes: fi.Size(), Error: err.Error(), EventTypes: map[string]int64{}, Processes: map[string]int64{}}, err
		}
		return nil, err
	}
	defer r.Close()

	info := &Description{File: path, EventTypes: map[string]int64{}, Processes: map[string]int64{}}
	comm := map[int64]string{} // thread id -> command name, from the snapshot and events
	seenContainer := map[string]bool{}
	fromCgroups := func(cgroups []byte) {
		if id, typ, ok := container.IDFromCgroups(cgroups); ok {
			addOrName(info, seenContainer, Container{ID: id, Runtime: typ.String(), From: "cgroups"})
		}
	}
	for _, p := range r.Header().Processes {
		comm[int64(p.TID)] = p.Comm
		if len(p.Cgroups) > 0 {
			fromCgroups([]byte(strings.Join(p.Cgroups, "\x00")))
		}
	}
	var first, last uint64
	var drops capture.DropTally
	var readErr error
	for n := 0; ; n++ {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		if n&4095 == 0 && read != nil {
			read.Store(r.Stats().FileBytes)
		}
		ts := ev.Ts()
		if ts != 0 && (first == 0 || ts < first) {
			first = ts
		}
		if ts > last {
			last = ts
		}
		drops.Add(ev, r.Frame())
		info.EventTypes[ev.TypeName()]++
		if p, ok := ev.ParamByName("comm"); ok && ev.Info().Dir == 'X' {
			if c := string(scap.TrimNUL(p)); c != "" {
				if res, ok := ev.ParamInt64(0); ok && res == 0 || ev.TypeName() == "execve" || ev.TypeName() == "execveat" {
					comm[ev.Tid()] = c
				}
			}
		}
		if c, ok := comm[ev.Tid()]; ok {
			info.Processes[c]++
		} else if ev.Tid() >= 0 {
			info.Processes["<unknown>"]++
		}
		if c, ok := container.FromEvent(ev); ok {
			addOrName(info, seenContainer, Container{ID: c.ID, Name: c.Name, Image: c.Image, From: "event"})
		}
		if ev.Info().Dir == 'X' {
			if cg, ok := ev.ParamByName("cgroups"); ok && len(cg) > 0 {
				fromCgroups(cg)
			}
		}
	}
	h := r.Header()
	st := r.Stats()
	info.Format = h.Format.String()
	info.ScapVersion = h.Version.String()
	info.FileBytes = fi.Size()
	info.ScapBytes = st.RawBytes
	if info.FileBytes > 0 {
		info.CompressionRatio = float64(st.RawBytes) / float64(info.FileBytes)
	}
	info.Frames, info.MetadataFrames = st.Frames, st.MetadataFrames
	info.Events, info.SkippedEvents = st.Events, st.SkippedEvents
	info.SnapshotThreads = len(h.Processes)
	if m := h.Machine; m != nil {
		info.Hostname = m.Hostname
		info.Machine = &Machine{CPUs: m.NumCPUs, MemoryBytes: m.MemoryBytes}
		if m.BootTime != 0 {
			info.Machine.BootTime = time.Unix(0, int64(m.BootTime)).UTC()
		}
	}
	if md := h.Metadata; md != nil {
		info.Retrace = true
		info.Recorder = md
		info.Drops = md.Drops
		if info.Hostname == "" {
			info.Hostname = md.Hostname
		}
		for _, c := range md.Containers {
			addOrName(info, seenContainer, Container{ID: c.ID, Name: c.Name, Image: c.Image, Runtime: c.Type.String(), From: "metadata"})
		}
	}
	if h.Metadata == nil {
		// Not retrace's: sysdig's drop events mark its sampling mode,
		// their ratio is no count of events lost.
		drops = capture.DropTally{}
	}
	info.DropMarkers = drops.String()
	if info.Drops == nil && drops.Markers > 0 {
		info.Drops, info.DropsFromMarkers = &capture.Drops{Total: drops.Lost}, true
	}
	if first != 0 {
		info.FirstEvent = time.Unix(0, int64(first)).UTC()
		info.LastEvent = time.Unix(0, int64(last)).UTC()
		info.DurationSeconds = float64(last-first) / 1e9
	}
	info.Complete = readErr == nil
	if readErr != nil {
		info.Error = readErr.Error()
	}
	if info.Retrace && info.Format == capture.FormatZstd.String() {
		info.Custody, _ = capture.ReadCustody(path)
	}
	return info, readErr
}

// addOrName adds c to the containers of info, or, when its id was seen
// already (e.g. in cgroups), fills in the name, image and runtime it lacks.
// Ids are compared in libsinsp's short form (the first 12 hex digits), so a
// container named by its full id in the metadata and by its short id in
// container events is listed once.
func addOrName(info *Description, seen map[string]bool, c Container) {
	c.ID = container.ShortID(c.ID)
	if !seen[c.ID] {
		seen[c.ID] = true
		info.Containers = append(info.Containers, c)
		return
	}
	for i := range info.Containers {
		// libsinsp writes "incomplete" while a container lookup is pending.
		if e := &info.Containers[i]; e.ID == c.ID && (e.Name == "" || e.Name == "incomplete") && c.Name != "" {
			e.Name, e.Image, e.From = c.Name, c.Image, c.From
			if c.Runtime != "" {
				e.Runtime = c.Runtime
			}
		}
	}
}

// WriteText writes d as `retrace info` prints it.
func (in *Description) WriteText(w io.Writer) {
	row := func(k, format string, a ...any) {
		fmt.Fprintf(w, "%-12s "+format+"\n", append([]any{k + ":"}, a...)...)
	}
	row("file", "%s", in.File)
	if in.Format == "" {
		// The file did not open as a capture: say why and nothing else.
		row("size", "%d bytes", in.FileBytes)
		row("status", "%s", in.Error)
		return
	}
	kind := in.Format
	if in.Retrace {
		kind += " (retrace)"
	}
	row("format", "%s, scap %s", kind, in.ScapVersion)
	size := fmt.Sprintf("%d bytes, %d scap bytes (compression ratio %.2f)", in.FileBytes, in.ScapBytes, in.CompressionRatio)
	if in.Frames > 0 {
		size += fmt.Sprintf(", %d zstd frames + %d metadata frames", in.Frames, in.MetadataFrames)
	}
	row("size", "%s", size)
	if in.Machine != nil {
		row("host", "%s (%d CPUs, %.1f GiB)", in.Hostname, in.Machine.CPUs, float64(in.Machine.MemoryBytes)/(1<<30))
		if !in.Machine.BootTime.IsZero() {
			row("boot time", "%s", in.Machine.BootTime.Format(time.RFC3339Nano))
		}
	} else if in.Hostname != "" {
		row("host", "%s", in.Hostname)
	}
	if md := in.Recorder; md != nil {
		row("recorder", "%s, kernel %s, command %q", orNA(md.RecorderVersion), orNA(md.KernelRelease), strings.Join(md.CommandLine, " "))
		if r := md.Redaction; r != nil {
			row("redaction", "%s", redactionText(r))
		}
		if !md.StartTime.IsZero() {
			row("recorded", "%s .. %s", md.StartTime.Format(time.RFC3339Nano), orNA(fmtTime(md.StopTime)))
		}
	}
	if !in.FirstEvent.IsZero() {
		row("time range", "%s .. %s (%s)", in.FirstEvent.Format(time.RFC3339Nano), in.LastEvent.Format(time.RFC3339Nano),
			time.Duration(in.DurationSeconds*1e9).Round(time.Microsecond))
	}
	ev := fmt.Sprintf("%d", in.Events)
	if in.SkippedEvents > 0 {
		ev += fmt.Sprintf(" (%d of unknown types skipped)", in.SkippedEvents)
	}
	row("events", "%s", ev)
	switch {
	case in.DropsFromMarkers:
		row("drops", "%s (from the drop markers: the recorder's totals were not written, it did not close the capture)", in.DropMarkers)
	case in.Drops != nil && in.DropMarkers != "":
		row("drops", "%d events lost (per CPU %v), reader lag at most %v; %s", in.Drops.Total, in.Drops.PerCPU, time.Duration(in.Drops.MaxReaderLagNs), in.DropMarkers)
	case in.Drops != nil:
		row("drops", "%d events lost (per CPU %v), reader lag at most %v", in.Drops.Total, in.Drops.PerCPU, time.Duration(in.Drops.MaxReaderLagNs))
	case in.DropMarkers != "":
		row("drops", "%s", in.DropMarkers)
	case in.Retrace:
		row("drops", "not recorded")
	default:
		row("drops", "not recorded (not a retrace capture)")
	}
	if in.Recorder != nil && len(in.Recorder.Unrecorded) > 0 {
		row("unrecorded", "%s", topCounts(in.Recorder.Unrecorded, 10))
	}
	if in.Complete {
		row("status", "complete")
	} else {
		row("status", "%s", in.Error)
	}
	if c := in.Custody; c != nil {
		row("custody", "recorder %s on %s, key %s, %d checkpoints (%s .. %s): %s", orNA(c.RecorderVersion), orNA(c.Hostname),
			orNA(c.Key), c.Checkpoints, orNA(fmtTime(c.First)), orNA(fmtTime(c.Last)), c.Status)
	}
	row("processes", "%d threads in the snapshot; by events: %s", in.SnapshotThreads, topCounts(in.Processes, 15))
	if len(in.Containers) == 0 {
		row("containers", "none seen")
	}
	for _, c := range in.Containers {
		row("container", "%s name=%s image=%s runtime=%s (from %s)", c.ID, orNA(c.Name), orNA(c.Image), orNA(c.Runtime), c.From)
	}
	fmt.Fprintf(w, "event types:\n")
	for _, kv := range sortedCounts(in.EventTypes) {
		fmt.Fprintf(w, "  %10d  %s\n", kv.n, kv.k)
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func orNA(s string) string {
	if s == "" {
		return "<NA>"
	}
	return s
}

type countKV struct {
	k string
	n int64
}

func sortedCounts[V int64 | uint64](m map[string]V) []countKV {
	out := make([]countKV, 0, len(m))
	for k, v := range m {
		out = append(out, countKV{k, int64(v)})
	}
	slices.SortFunc(out, func(a, b countKV) int {
		if a.n != b.n {
			return int(b.n - a.n)
		}
		return strings.Compare(a.k, b.k)
	})
	return out
}

func topCounts[V int64 | uint64](m map[string]V, max int) string {
	kv := sortedCounts(m)
	var parts []string
	for i, e := range kv {
		if i == max {
			parts = append(parts, fmt.Sprintf("... (%d more)", len(kv)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", e.k, e.n))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// maxPreviousShown bounds the earlier redactions info describes.
const maxPreviousShown = 3

// redactionText describes a redaction manifest in one line, with the
// redactions before it when the input was itself a redacted copy.
func redactionText(r *capture.Redaction) string {
	s := redactionStep(r)
	n := 0
	for p := r.Previous; p != nil; p = p.Previous {
		if n < maxPreviousShown {
			s += "; before that: " + redactionStep(p)
		}
		n++
	}
	if n > maxPreviousShown {
		s += fmt.Sprintf("; and %d earlier redactions", n-maxPreviousShown)
	}
	return s
}

// redactionStep describes one redaction manifest without its previous ones.
func redactionStep(r *capture.Redaction) string {
	var parts []string
	if len(r.Env) > 0 {
		parts = append(parts, fmt.Sprintf("env %s (%d values)", strings.Join(r.Env, ","), r.EnvValues))
	}
	if len(r.Args) > 0 {
		parts = append(parts, fmt.Sprintf("args %s (%d matches)", strings.Join(r.Args, ","), r.ArgMatches))
	}
	if r.Buffers {
		parts = append(parts, fmt.Sprintf("buffers (%d bytes)", r.BufferBytes))
	}
	if len(r.Pseudonymize) > 0 {
		p := fmt.Sprintf("pseudonyms %s (%s key %s", strings.Join(r.Pseudonymize, ","), r.PseudonymKey, r.PseudonymKeyID)
		if c := r.Pseudonyms; c != nil {
			p += fmt.Sprintf(": %d users, %d hosts, %d path components, %d replacements", c.Users, c.Hosts, c.Paths, r.PseudonymReplacements)
		}
		parts = append(parts, p+")")
	}
	s := strings.Join(parts, "; ")
	if r.Tool != "" {
		s += " by " + r.Tool
	}
	if r.Source != "" {
		s += fmt.Sprintf(", from %s sha256 %s", r.Source, r.SourceSHA256)
		if r.SourceCheckpoint != nil {
			s += fmt.Sprintf(" chain %s at checkpoint %d", r.SourceChain, *r.SourceCheckpoint)
		}
		if r.SourceStatus != "" {
			s += " (" + r.SourceStatus + ")"
		}
	}
	return s
}
