package detect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/suggest"
)

// ClockOffsets corrects the clocks of recording hosts: each host name
// (the capture's machine information) maps to the duration added to the
// timestamps of every event of its captures, before anything reads them.
// Every output therefore sees the corrected time: time fields and rule
// conditions, --since/--until, the order of the merged timeline, the
// export's partitions. Times the host wrote inside event arguments (file
// ctime and mtime, container creation times) are left as recorded.
type ClockOffsets map[string]time.Duration

// CheckedClockOffsets parses specs (see [ParseClockOffsets]) and checks
// that each host recorded one of the captures in paths.
func CheckedClockOffsets(specs, paths []string) (ClockOffsets, error) {
	c, err := ParseClockOffsets(specs)
	if err != nil {
		return nil, err
	}
	return c, c.Check(paths)
}

// ParseClockOffsets parses HOST=DURATION specifications (the
// --clock-offset flag; DURATION as Go writes it, signed: -3m20s, 1.5s,
// 250ms). A host given twice is an error.
func ParseClockOffsets(specs []string) (ClockOffsets, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	c := ClockOffsets{}
	for _, s := range specs {
		host, dur, ok := strings.Cut(s, "=")
		if !ok || host == "" {
			return nil, fmt.Errorf("parse --clock-offset %q: want HOST=DURATION, e.g. web-01=-2m30s", s)
		}
		d, err := time.ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("parse --clock-offset %q: %w", s, err)
		}
		if _, dup := c[host]; dup {
			return nil, fmt.Errorf("parse --clock-offset %q: host %s given twice", s, host)
		}
		c[host] = d
	}
	return c, nil
}

// Of returns the offset for the captures of host (0 when none is set).
func (c ClockOffsets) Of(host string) time.Duration { return c[host] }

// Check reads the header of each capture in paths and reports a host of c
// that none of them was recorded on, with the closest host names.
func (c ClockOffsets) Check(paths []string) error {
	if len(c) == 0 {
		return nil
	}
	var hosts []string
	for _, p := range paths {
		if h := CaptureHost(p); h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	var unknown []string
	for h := range c {
		if !slices.Contains(hosts, h) {
			unknown = append(unknown, h)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	slices.Sort(hosts)
	if len(hosts) == 0 {
		hosts = []string{"(none named)"}
	}
	h := unknown[0]
	return fmt.Errorf("--clock-offset %s: no capture was recorded on host %q%s; hosts: %s",
		h, h, suggest.DidYouMean(h, hosts), strings.Join(hosts, ", "))
}

// CaptureHost returns the host name in the header of the capture at path,
// "" when it has none or cannot be read (the replay reports why).
func CaptureHost(path string) string {
	r, err := capture.Open(path)
	if err != nil {
		return ""
	}
	defer r.Close()
	if h := r.Header(); h != nil && h.Machine != nil {
		return h.Machine.Hostname
	}
	return ""
}
