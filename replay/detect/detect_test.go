package detect

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestEventVisibility checks which events rules see in each mode.
func TestEventVisibility(t *testing.T) {
	mk := func(typ scap.Type, params ...[]byte) *scap.Event {
		var ev scap.Event
		if err := ev.Decode(scap.AppendEvent(nil, 1, 1, typ, params...), false); err != nil {
			t.Fatal(err)
		}
		return &ev
	}
	madvise, _ := scap.SyscallID("madvise")
	generic := func(typ scap.Type) *scap.Event { return mk(typ, scap.EncUint16(madvise), scap.EncUint16(0)) }
	for _, tc := range []struct {
		name              string
		ev                *scap.Event
		compat032, all    bool
		wantSkip, comment bool
	}{
		{name: "open exit", ev: mk(scap.SyscallOpenX)},
		{name: "open enter", ev: mk(scap.SyscallOpenE), wantSkip: true},
		{name: "open enter 0.32", ev: mk(scap.SyscallOpenE), compat032: true},
		{name: "read exit", ev: mk(scap.SyscallReadX), wantSkip: true},
		{name: "read exit -A", ev: mk(scap.SyscallReadX), all: true},
		{name: "access exit", ev: mk(scap.SyscallAccessX)},
		{name: "access exit 0.32", ev: mk(scap.SyscallAccessX), compat032: true, wantSkip: true},
		{name: "access exit 0.32 -A", ev: mk(scap.SyscallAccessX), compat032: true, all: true},
		{name: "madvise exit", ev: generic(scap.GenericX)},
		{name: "madvise enter", ev: generic(scap.GenericE), wantSkip: true},
		{name: "madvise exit 0.32", ev: generic(scap.GenericX), compat032: true, wantSkip: true},
		{name: "madvise exit 0.32 -A", ev: generic(scap.GenericX), compat032: true, all: true},
		{name: "procexit", ev: mk(scap.ProcexitV1E)},
		{name: "procinfo", ev: mk(scap.ProcinfoE), wantSkip: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewVisibility(tc.compat032, tc.all).Skips(tc.ev); got != tc.wantSkip {
				t.Errorf("skip = %v, want %v", got, tc.wantSkip)
			}
		})
	}
}

// TestFalco032SkipTablesResolve checks that every event and syscall name
// of Falco 0.32's skipped set exists in the event tables.
func TestFalco032SkipTablesResolve(t *testing.T) {
	enums := map[string]bool{}
	for c := range scap.NumTypes {
		if info, ok := scap.Lookup(scap.Type(c)); ok {
			enums[info.Enum] = true
		}
	}
	for _, e := range falco032SkippedEvents {
		if !enums["PPME_"+e] {
			t.Errorf("event PPME_%s is not in the event table", e)
		}
	}
	names := map[string]bool{}
	for id := range scap.NumSyscalls {
		names[scap.SyscallNameSysdig029(uint16(id))] = true
	}
	for _, n := range falco032SkippedSyscalls {
		if !names[n] {
			t.Errorf("syscall %s is not in the syscall table", n)
		}
	}
}

func TestParseTimeSpec(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		testutil.SkipMissing(t, "no time zone database: %v", err)
	}
	// A capture from 2016-08-04T16:17:57Z to 16:18:07Z.
	const start, end = 1470327477e9, 1470327487e9
	for _, tc := range []struct {
		in   string
		loc  *time.Location
		want uint64
		bad  bool
	}{
		{in: "", want: 0},
		{in: "1470327477", want: 1470327477e9},
		{in: "1470327477.5", want: 1470327477500000000},
		{in: "1470327477.123456789123", want: 1470327477123456789},
		{in: "1470327477123456789", want: 1470327477123456789},
		{in: "2016-08-04T16:17:57Z", want: 1470327477e9},
		{in: "2016-08-04T16:17:57.25+02:00", want: 1470320277250000000},
		{in: "2016-08-04T16:17:57.882054739+0000", want: 1470327477882054739},
		{in: "2016-08-04 18:17:57", loc: paris, want: 1470327477e9},
		{in: "2016-08-04T16:17", want: 1470327420e9},
		{in: "2016-08-04", want: 1470268800e9},
		{in: "16:18:00", want: 1470327480e9},
		{in: "18:18:00.5", loc: paris, want: 1470327480500000000},
		{in: "16:18", want: 1470327480e9},
		{in: "+3s", want: start + 3e9},
		{in: "+1m", want: start + 60e9},
		{in: "-2s", want: end - 2e9},
		{in: "-5", bad: true},
		{in: "+x", bad: true},
		{in: "1e9", bad: true},
		{in: "99999999999999999999", bad: true},
		{in: "1969-12-31T00:00:00Z", bad: true},
		{in: "yesterday", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = time.UTC
			}
			spec, err := ParseTimeSpec("since", tc.in, loc)
			if tc.bad {
				if err == nil {
					t.Errorf("parsed %q as %+v, want an error", tc.in, spec)
				} else if !strings.Contains(err.Error(), "Unix nanoseconds") {
					t.Errorf("error %q does not list the accepted forms", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := spec.Resolve(start, end); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestTimeOfDayPastMidnight checks that a time of day resolves on a
// capture's second day when the first day's is before the capture.
func TestTimeOfDayPastMidnight(t *testing.T) {
	start := uint64(time.Date(2026, 1, 1, 23, 50, 0, 0, time.UTC).UnixNano())
	end := uint64(time.Date(2026, 1, 2, 0, 20, 0, 0, time.UTC).UnixNano())
	spec, err := ParseTimeSpec("since", "00:10:00", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := spec.Resolve(start, end), uint64(time.Date(2026, 1, 2, 0, 10, 0, 0, time.UTC).UnixNano()); got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func FuzzParseTimeSpec(f *testing.F) {
	for _, s := range []string{"1470327477.5", "2016-08-04T16:17:57Z", "2016-08-04 18:17:57", "x", "9.9999999999", "+5m", "-1h", "16:18"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseTimeSpec("since", s, time.UTC)
		if err == nil {
			_ = spec.Resolve(1470327477e9, 1470327487e9)
		}
	})
}

// TestMergeItems checks detect's merge of items by time, ties in the order
// of the captures, held in memory and spilled (time and line read back).
func TestMergeItems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inputs [][]uint64
		want   []uint64
		from   string // the run of each item, "a" the first
	}{
		{"empty", [][]uint64{{}, {}}, nil, ""},
		{"one", [][]uint64{{1, 2, 3}}, []uint64{1, 2, 3}, "aaa"},
		{"interleaved", [][]uint64{{1, 4, 9}, {2, 3, 10}, {5}}, []uint64{1, 2, 3, 4, 5, 9, 10}, "abbacab"},
		{"ties keep argument order", [][]uint64{{7, 8}, {7}}, []uint64{7, 7, 8}, "aba"},
		{"times past 2^63", [][]uint64{{1 << 63, math.MaxUint64}, {0}}, []uint64{0, 1 << 63, math.MaxUint64}, "baa"},
	} {
		for _, spilled := range []bool{false, true} {
			t.Run(fmt.Sprint(tc.name, " spilled=", spilled), func(t *testing.T) {
				runs := make([][]Item, len(tc.inputs))
				for i, in := range tc.inputs {
					for _, ts := range in {
						runs[i] = append(runs[i], Item{Time: ts, Line: []byte{byte('a' + i)}})
					}
				}
				var got []uint64
				var from []byte
				err := mergeItemRuns(t.TempDir(), runs, spilled, func(it Item) error {
					got = append(got, it.Time)
					from = append(from, it.Line...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.want) || string(from) != tc.from {
					t.Errorf("got %v from %q, want %v from %q", got, from, tc.want, tc.from)
				}
			})
		}
	}
}
