package export

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
	"github.com/retrace-dev/retrace/replay/report"
)

// Options configure [Run].
type Options struct {
	// Detector runs the rules; it must have been built with rules (not a
	// filter) and at least Workers workers.
	Detector *detect.Detector
	// Registry is the field registry the Detector's rules were loaded
	// with; nil means replay's.
	Registry engine.Registry
	// Dir is the export's top directory.
	Dir string
	// Workers bounds the captures exported at once; 0 means one per CPU.
	Workers int
	// Version is retrace's version, written as metadata.product.version.
	Version string
	// fresh describes every row's process anew instead of once per
	// process generation (tests compare the two).
	fresh bool
}

// CaptureResult is what exporting one capture gave.
type CaptureResult struct {
	// Info describes the capture.
	Info report.CaptureInfo
	// Files are the files written, sorted by class and day.
	Files []string
	// Rows counts the rows written per class_uid.
	Rows map[int32]int64
	// Err is why the capture's export failed, or, when Partial, where the
	// capture broke. It names the capture.
	Err error
	// Partial is set when the capture was read in part (cut short, or
	// with damaged frames): Files hold the rows of the events read, and
	// Err says where it broke. A capture whose export failed otherwise
	// has no files.
	Partial bool
}

// Summary is what a [Run] gave, one result per capture in the order given.
type Summary struct {
	Captures []CaptureResult
}

// Counts returns the number of captures read in part and of those that
// failed (no files), and the events of the others: of the captures whose
// rows were kept.
func (s *Summary) Counts() (partial, failed int, events uint64) {
	for _, c := range s.Captures {
		switch {
		case c.Partial:
			partial++
		case c.Err != nil:
			failed++
			continue
		}
		events += c.Info.Events
	}
	return partial, failed, events
}

// Rows returns the rows written per class_uid over all captures.
func (s *Summary) Rows() map[int32]int64 {
	out := map[int32]int64{}
	for _, c := range s.Captures {
		for k, v := range c.Rows {
			out[k] += v
		}
	}
	return out
}

// captureSuffixes are the capture file name suffixes a file's stem drops.
var captureSuffixes = []string{".scap.zst", ".scap.gz", ".scap"}

// Stem returns the name the files of the capture at path are named after:
// its base name without the capture suffix.
func Stem(path string) string {
	base := filepath.Base(path)
	for _, suf := range captureSuffixes {
		if s, ok := strings.CutSuffix(base, suf); ok && s != "" {
			return s
		}
	}
	return base
}

// CheckNames returns an error when two captures would write the same
// files: captures of the same name (see [Stem]) must have been recorded on
// different hosts, whose partitions their files go to.
func CheckNames(paths []string) error {
	hosts := sharedNameHosts(paths)
	type file struct{ stem, partition string }
	seen := map[file]string{}
	for _, p := range paths {
		f := file{Stem(p), partitionValue(hosts[p])}
		if prev, ok := seen[f]; ok {
			return fmt.Errorf("export: captures %s and %s, both of host %s, would both write %s.parquet: rename one",
				prev, p, hostText(hosts[p]), f.stem)
		}
		seen[f] = p
	}
	return nil
}

// hostText names a host in a message.
func hostText(host string) string {
	if host == "" {
		return "(unknown)"
	}
	return host
}

// sharedNameHosts returns the host of each capture in paths whose name
// (see [Stem]) another one has too, from its header: "" when it has none,
// or cannot be read (its export reports why). The others are not opened.
func sharedNameHosts(paths []string) map[string]string {
	count := map[string]int{}
	for _, p := range paths {
		count[Stem(p)]++
	}
	hosts := map[string]string{}
	for _, p := range paths {
		if count[Stem(p)] > 1 {
			hosts[p] = detect.CaptureHost(p)
		}
	}
	return hosts
}

// Run exports the captures at paths into opts.Dir, at most opts.Workers
// at once (detect.ForEach), each capture to its own files. A capture read
// in part keeps the rows of the events read; a capture that fails
// otherwise leaves no files. Neither stops the others; the errors are
// joined in the returned error, each naming its capture.
func Run(ctx context.Context, paths []string, opts Options) (Summary, error) {
	if opts.Detector == nil {
		return Summary{}, errors.New("export: no detector")
	}
	if err := CheckNames(paths); err != nil {
		return Summary{}, err
	}
	reg := opts.Registry
	if reg == nil {
		reg = replay.NewFieldRegistry()
	}
	product := Product{Name: "retrace", VendorName: "retrace", Version: opts.Version}
	workers := detect.Workers(len(paths), opts.Workers)
	mappers := make([]*mapper, workers)
	sum := Summary{Captures: make([]CaptureResult, len(paths))}
	detect.ForEach(len(paths), workers, func(w, i int) {
		if mappers[w] == nil {
			mappers[w] = newMapper(reg, product)
			mappers[w].fresh = opts.fresh
		}
		sum.Captures[i] = exportCapture(ctx, opts, mappers[w], paths[i])
	})
	var errs []error
	for _, c := range sum.Captures {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return sum, errors.Join(errs...)
}

// exportCapture writes the rows of one capture.
func exportCapture(ctx context.Context, opts Options, m *mapper, path string) CaptureResult {
	cp := &captureParts{dir: opts.Dir, stem: Stem(path), parts: map[partKey]part{}, pool: m.writers}
	var src source
	var writeErr error // what stopped the replay from this side
	res, err := opts.Detector.Events(ctx, path, func(info report.CaptureInfo, e *replay.Event, found []*report.Detection) error {
		if src.stem == "" {
			src = source{host: info.Hostname, stem: cp.stem, logName: filepath.Base(path)}
			cp.host = info.Hostname
		}
		if em := m.mapping(e); em != nil {
			if writeErr = m.add(cp, src, e, em.Activity); writeErr != nil {
				return writeErr
			}
		}
		for _, det := range found {
			if writeErr = addRow(cp, ClassDetectionFinding, e, func(r *DetectionFinding) { m.findingRow(r, src, e, det) }); writeErr != nil {
				return writeErr
			}
		}
		return nil
	})
	out := CaptureResult{Info: res.Info}
	if src.stem == "" {
		cp.host = res.Info.Hostname // no row: the host whose partitions it owns
	}
	// An error of the reader after events were replayed leaves the rows of
	// those events whole: the capture was read in part, as replay reads it.
	out.Partial = err != nil && writeErr == nil && ctx.Err() == nil && res.Info.Events > 0
	if err != nil && !strings.Contains(err.Error(), path) {
		err = fmt.Errorf("export %s: %w", path, err)
	}
	if out.Partial {
		// Without the capture's directory: the same bytes give the same
		// files wherever they are.
		cp.incomplete = strings.ReplaceAll(err.Error(), path+": ", "")
		var ferr error
		out.Files, out.Rows, ferr = cp.finish(nil)
		if ferr == nil {
			if ferr = cp.removeStale(out.Files); ferr != nil {
				ferr = fmt.Errorf("export %s: %w", path, ferr)
			}
		}
		out.Err = errors.Join(fmt.Errorf("%w (read in part: the rows of the %d events read are exported)", err, res.Info.Events), ferr)
		return out
	}
	out.Files, out.Rows, out.Err = cp.finish(err)
	if out.Err == nil {
		if err := cp.removeStale(out.Files); err != nil {
			out.Err = fmt.Errorf("export %s: %w", path, err)
		}
	}
	return out
}

// add writes e's row of activity a.
func (m *mapper) add(cp *captureParts, src source, e *replay.Event, a Activity) error {
	switch a.Class {
	case ClassProcessActivity:
		if !m.isProcessRow(e, a) {
			return nil
		}
		return addRow(cp, a.Class, e, func(r *ProcessActivity) { m.processRow(r, src, e, a) })
	case ClassFileActivity:
		return addRow(cp, a.Class, e, func(r *FileActivity) { m.fileRow(r, src, e, a) })
	case ClassNetworkActivity:
		return addRow(cp, a.Class, e, func(r *NetworkActivity) { m.networkRow(r, src, e, a) })
	}
	return nil
}

// addRow writes a row of class for e, filled by fill in place in its
// part's buffer (a row is a few kilobytes: copying it costs more than
// filling it).
func addRow[T any](cp *captureParts, class int32, e *replay.Event, fill func(*T)) error {
	p, err := getPart[T](cp, class, e.Ev.Ts())
	if err != nil {
		return err
	}
	fill(p.slot())
	return p.done()
}
