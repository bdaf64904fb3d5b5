package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// WriteJSON writes one Falco-compatible JSON object per detection and line
// (see [AppendJSON]), the format falcosidekick and other consumers of Falco
// alerts read, then one object per process of a tree view, if any (see
// [ProcessNode]; those lines carry "view":"tree").
func WriteJSON(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i := range r.Detections {
		line = AppendJSON(line[:0], &r.Detections[i], opts)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	if len(r.Tree) > 0 {
		if err := writeTreeJSON(bw, r.Tree); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// AppendJSON appends d as one Falco JSON alert, without a newline, to dst
// and returns the extended buffer. Keys come in alphabetical order, as
// nlohmann::json writes them:
//
//	hostname, message, output, output_fields, priority, rule, source, tags, time
//
// "message" is d.Output and "output" the text line of [AppendText] (both
// unescaped before JSON encoding); "output_fields" holds d.OutputFields
// (keys sorted) plus the prefix's time field ("evt.time.iso8601", or
// "evt.time" with [TimeOfDay]) as integer nanoseconds; "tags" are sorted and
// "time" is the event time in UTC with nine fractional digits and a Z.
// [Options.JSON] drops or adds the optional keys as Falco's json_include_*
// options do; by default "message" is absent. A detection with Children
// (the shells view) also carries a leading "children" key, an array of
// {"cmdline","pid","start"} objects, which consumers of Falco alerts ignore;
// one with a [Drill] a "drill" key with its context events and next steps.
func AppendJSON(dst []byte, d *Detection, opts Options) []byte {
	dst = append(dst, '{')
	if len(d.Children) > 0 {
		dst = append(dst, `"children":[`...)
		for i := range d.Children {
			c := &d.Children[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"cmdline":`...)
			dst = appendValue(dst, c.Cmdline)
			dst = append(dst, `,"pid":`...)
			dst = strconv.AppendInt(dst, c.Pid, 10)
			dst = append(dst, `,"start":`...)
			dst = appendJSONTime(dst, c.Start)
			dst = append(dst, '}')
		}
		dst = append(dst, "],"...)
	}
	dst = appendDrillJSON(dst, d.Drill)
	dst = appendGapJSON(dst, d)
	keys := opts.JSON
	dst = append(dst, `"hostname":"`...)
	dst = appendEscaped(dst, d.Hostname)
	dst = append(dst, '"')

	if keys.Message {
		dst = append(dst, `,"message":"`...)
		dst = appendEscaped(dst, d.Output)
		dst = append(dst, '"')
	}
	if !keys.OmitOutput {
		dst = append(dst, `,"output":"`...)
		dst = appendEventTime(dst, d.Time, opts)
		dst = append(dst, ':', ' ')
		dst = appendEscaped(dst, d.Priority)
		dst = append(dst, ' ')
		dst = appendEscaped(dst, d.Output)
		dst = append(dst, '"')
	}
	if !keys.OmitOutputFields {
		dst = append(dst, `,"output_fields":{`...)
		dst = appendOutputFields(dst, d, opts)
		dst = append(dst, '}')
	}

	dst = append(dst, `,"priority":"`...)
	dst = appendEscaped(dst, d.Priority)
	dst = append(dst, '"')
	dst = appendProvenanceJSON(dst, d)
	dst = append(dst, `,"rule":"`...)
	dst = appendEscaped(dst, d.Rule)
	dst = append(dst, `","source":"`...)
	dst = appendEscaped(dst, d.Source)
	dst = append(dst, '"')
	if !keys.OmitTags {
		dst = append(dst, `,"tags":`...)
		dst = appendSortedStrings(dst, d.Tags)
	}
	dst = append(dst, `,"time":"`...)
	dst = d.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	return append(dst, `"}`...)
}

// appendOutputFields appends the members of the output_fields object.
func appendOutputFields(dst []byte, d *Detection, opts Options) []byte {
	timeKey := "evt.time.iso8601"
	if opts.TimeFormat == TimeOfDay {
		timeKey = "evt.time"
	}
	var buf [32]string
	keys := append(buf[:0], timeKey)
	for k := range d.OutputFields {
		if k != timeKey {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = appendEscaped(dst, k)
		dst = append(dst, '"', ':')
		if k == timeKey {
			dst = strconv.AppendInt(dst, d.Time.UnixNano(), 10)
			continue
		}
		dst = appendValue(dst, d.OutputFields[k])
	}
	return dst
}

// appendValue appends v as a JSON value. Numbers stay numbers, times become
// integer nanoseconds, and NaN or infinities (which JSON cannot hold) become
// null, as in nlohmann::json.
func appendValue(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		dst = append(dst, '"')
		dst = appendEscaped(dst, v)
		return append(dst, '"')
	case bool:
		return strconv.AppendBool(dst, v)
	case int:
		return strconv.AppendInt(dst, int64(v), 10)
	case int8:
		return strconv.AppendInt(dst, int64(v), 10)
	case int16:
		return strconv.AppendInt(dst, int64(v), 10)
	case int32:
		return strconv.AppendInt(dst, int64(v), 10)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(dst, v, 10)
	case float32:
		return appendFloat(dst, float64(v), 32)
	case float64:
		return appendFloat(dst, v, 64)
	case time.Time:
		return strconv.AppendInt(dst, v.UnixNano(), 10)
	case time.Duration:
		return strconv.AppendInt(dst, int64(v), 10)
	case []string:
		return appendStrings(dst, v)
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, e)
		}
		return append(dst, ']')
	case fmt.Stringer:
		return appendValue(dst, v.String())
	}
	b, err := json.Marshal(v)
	if err != nil {
		return appendValue(dst, fmt.Sprint(v))
	}
	return append(dst, b...)
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// appendStrings appends ss as a JSON array of strings.
func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = appendEscaped(dst, s)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}

// appendSortedStrings appends ss sorted and without duplicates, like the
// std::set Falco keeps tags in, without changing the caller's slice.
func appendSortedStrings(dst []byte, ss []string) []byte {
	if slices.IsSorted(ss) && !hasAdjacentDup(ss) {
		return appendStrings(dst, ss)
	}
	var buf [16]string
	sorted := append(buf[:0], ss...)
	slices.Sort(sorted)
	return appendStrings(dst, slices.Compact(sorted))
}

func hasAdjacentDup(ss []string) bool {
	for i := 1; i < len(ss); i++ {
		if ss[i] == ss[i-1] {
			return true
		}
	}
	return false
}
