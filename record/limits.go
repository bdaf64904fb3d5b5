package record

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the suffixes ParseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseSize reads a size in bytes: a number, optionally followed by a
// unit (B; KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB and K, M,
// G, T in powers of 1024; case-insensitive).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || !(n >= 0 && n*float64(mult) < 1<<62) { // NaN too
		return 0, fmt.Errorf("size %q: want bytes, e.g. 1000000, 100MB or 1GiB", s)
	}
	return int64(n * float64(mult)), nil
}

// ParseRing reads --ring's value: a duration (5m, 1h30m) or a size (see
// [ParseSize]).
func ParseRing(s string) (time.Duration, int64, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, 0, nil
	}
	if n, err := ParseSize(s); err == nil && n > 0 {
		return 0, n, nil
	}
	return 0, 0, fmt.Errorf("ring %q: want a duration (e.g. 5m) or a size (e.g. 512MiB)", s)
}

// Report writes the summary of a finished recording, as retrace record
// prints it on stderr.
func (r *Result) Report(w io.Writer, output string) {
	dest := output
	if len(r.Files) > 1 || (len(r.Files) == 1 && r.Files[0] != output) {
		dest = fmt.Sprintf("%d files: %s ... %s", len(r.Files), r.Files[0], r.Files[len(r.Files)-1])
		if len(r.Files) == 1 {
			dest = r.Files[0]
		}
	}
	fmt.Fprintf(w, "retrace record: %d events, %d dropped, %d bytes, %d containers -> %s (recorder CPU %v, max RSS %d MiB)\n",
		r.Events, r.Drops, r.Bytes, r.Containers, dest, r.CPU.Round(time.Millisecond), r.MaxRSS>>20)
	if r.MaxRotation > 0 {
		fmt.Fprintf(w, "retrace record: %d files; a rotation held the writer up to %v (file closed, next begun; each snapshot was taken beside the recording)\n", len(r.Files), r.MaxRotation.Round(time.Millisecond))
	}
	if r.Drops > 0 {
		fmt.Fprintf(w, "retrace record: the ring buffer overflowed: %d events lost (drop markers in the capture show where); the reader lagged up to %v behind\n",
			r.Drops, r.MaxReaderLag.Round(time.Millisecond))
	}
	if r.EmptyReads > 0 || r.LateEvents > 0 {
		fmt.Fprintf(w, "retrace record: %d parameters left empty (user memory not readable), %d events written out of order (later than the reorder window)\n",
			r.EmptyReads, r.LateEvents)
	}
	for _, p := range r.Programs {
		per := time.Duration(0)
		if p.Runs > 0 {
			per = p.Time / time.Duration(p.Runs)
		}
		fmt.Fprintf(w, "retrace record: BPF %s: %d runs, %v, %v per run\n", p.Program, p.Runs, p.Time.Round(time.Microsecond), per)
	}
}
