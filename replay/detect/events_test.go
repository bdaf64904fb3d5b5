package detect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/report"
)

// TestEventsMatchesCapture checks that Events visits the events the rules
// see, with the same detections Capture reports, and stops on an error
// from its visit function.
func TestEventsMatchesCapture(t *testing.T) {
	paths := genCaptures(t, 1, 3000)
	reg := replay.NewFieldRegistry()
	set := openOrExecRules(t, reg)
	for _, tc := range []struct {
		name      string
		allEvents bool
	}{
		{"current Falco", false},
		{"all events", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(Options{Registry: reg, Rules: set, AllEvents: tc.allEvents, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			capRes, err := d.Capture(context.Background(), paths[0], func(it Item) error {
				want = append(want, fmt.Sprintf("%d %s %s", it.Detection.EventNum, it.Detection.Rule, it.Detection.Output))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			visited, hidden := 0, 0
			res, err := d.Events(context.Background(), paths[0], func(info report.CaptureInfo, e *replay.Event, found []*report.Detection) error {
				visited++
				if info.Hostname != "host0" || info.File != paths[0] {
					t.Fatalf("capture info %+v", info)
				}
				if e.StateOnly || d.Visibility().Skips(e.Ev) {
					hidden++
				}
				for _, det := range found {
					got = append(got, fmt.Sprintf("%d %s %s", det.EventNum, det.Rule, det.Output))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || res.Found != capRes.Found || res.Info.Events != capRes.Info.Events {
				t.Errorf("Events found %d in %d events, Capture %d in %d", res.Found, res.Info.Events, capRes.Found, capRes.Info.Events)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("detections differ from Capture's (-want +got):\n%s", diff)
			}
			if hidden != 0 || visited == 0 || uint64(visited) >= res.Info.Events {
				t.Errorf("visited %d of %d events, %d of them invisible to rules", visited, res.Info.Events, hidden)
			}
		})
	}

	d, err := New(Options{Registry: reg, Rules: set, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	_, err = d.Events(context.Background(), paths[0], func(report.CaptureInfo, *replay.Event, []*report.Detection) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("error %v after %d visits, want %v after 5", err, n, stop)
	}

	f, err := New(Options{Filter: "evt.type=openat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Events(context.Background(), paths[0], nil); err == nil || !strings.Contains(err.Error(), "filter") {
		t.Errorf("Events with a filter: error %v, want one naming the filter", err)
	}
}

func TestEventsFilter(t *testing.T) {
	for _, tc := range []struct {
		filter          string
		around, context uint64
		want            string
	}{
		{"", 0, 10, "evt.num > 0"},
		{"evt.type=open or evt.type=openat", 0, 10, "(evt.type=open or evt.type=openat)"},
		{"", 100, 10, "evt.num >= 90 and evt.num <= 110"},
		{"proc.name=sh", 5, 10, "(proc.name=sh) and evt.num >= 1 and evt.num <= 15"},
	} {
		if got := EventsFilter(tc.filter, tc.around, tc.context); got != tc.want {
			t.Errorf("EventsFilter(%q, %d, %d) = %q, want %q", tc.filter, tc.around, tc.context, got, tc.want)
		}
	}
}
