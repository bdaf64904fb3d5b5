package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture/capgen"
)

// TestClockOffset records the same activity on two hosts, one of whose
// clocks ran an hour fast, and checks that --clock-offset puts its events
// back where they belong in every output: the time fields, the order of
// the merged timeline (replay -F and events), --since; and that an
// unknown host or a malformed offset is an error naming the cause, the
// host with the closest names, for every command that takes the flag.
func TestClockOffset(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	web, db := filepath.Join(dir, "web.scap.zst"), filepath.Join(dir, "db.scap.zst")
	for _, c := range []struct {
		path, host string
		start      time.Time
	}{{web, "web-01", start}, {db, "db-02", start.Add(time.Hour)}} {
		if _, err := capgen.WriteFile(c.path, capgen.Options{Events: 300, Seed: 7, Hostname: c.host, Start: c.start}); err != nil {
			t.Fatal(err)
		}
	}
	times := func(args ...string) []string {
		t.Helper()
		out, _, err := runRetrace(t, append([]string{"replay", "-q", "-F", "evt.num > 0", "--format", "*%evt.rawtime"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(out))
	}
	alone := times(web)
	if len(alone) < 300 {
		t.Fatalf("%d events of web-01", len(alone))
	}
	// Without the correction db-02's events all come an hour later.
	if got := times(web, db); !slices.Equal(got[:len(alone)], alone) {
		t.Fatalf("uncorrected merge does not start with web-01's events")
	}
	// With it, each of web-01's times appears twice, in order.
	var want []string
	for _, ts := range alone {
		want = append(want, ts, ts)
	}
	if got := times("--clock-offset", "db-02=-1h", web, db); !slices.Equal(got, want) {
		t.Errorf("corrected merge: %d lines, want each of web-01's %d times twice", len(got), len(alone))
	}
	// retrace events corrects them the same way.
	out, _, err := runRetrace(t, "events", "--clock-offset", "db-02=-1h", web, db, "-p", "*%evt.rawtime")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, want) {
		t.Errorf("events, corrected merge: %d lines, want each of web-01's %d times twice", len(got), len(alone))
	}
	// --since reads corrected times: db-02's first hour is before it.
	since := start.Add(-time.Second).Format(time.RFC3339)
	if got := times("--clock-offset", "db-02=+1h", "--since", since, db); len(got) != len(alone) || got[0] != mustAdd(t, alone[0], 2*time.Hour) {
		t.Errorf("--since with a correction: %d lines starting %v", len(got), got[:min(1, len(got))])
	}
	// Detections carry the corrected time too (JSON "time").
	out, _, err = runRetrace(t, "timeline", "-q", "-o", "json", "--clock-offset", "db-02=-1h", db, "commands")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), start.Format("2006-01-02T15:04")) || strings.Contains(string(out), start.Add(time.Hour).Format("2006-01-02T15:04")) {
		t.Errorf("timeline times not corrected:\n%.400s", out)
	}
	// The export's partitions follow the corrected day.
	lake := t.TempDir()
	if _, _, err := runRetrace(t, "export", "-q", "-o", lake, "--clock-offset", "db-02=+720h", db); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(lake, "*", "host=db-02", "day=2026-04-03", "*.parquet")); len(m) == 0 {
		t.Errorf("export: no partition day=2026-04-03 for db-02 corrected by 720h")
	}
	for _, tc := range []struct{ flag, want string }{
		{"db-2=1s", `--clock-offset db-2: no capture was recorded on host "db-2" (did you mean "db-02"?); hosts: db-02, web-01`},
		{"db-02", `parse --clock-offset "db-02": want HOST=DURATION`},
		{"db-02=1 hour", `parse --clock-offset "db-02=1 hour": time: unknown unit`},
	} {
		for _, cmd := range [][]string{{"replay", "-q"}, {"timeline", "-q"}, {"export", "-q", "-o", t.TempDir()}, {"events"}} {
			_, _, err := runRetrace(t, append(cmd, "--clock-offset", tc.flag, web, db)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s --clock-offset %s: error %v, want %q", cmd[0], tc.flag, err, tc.want)
			}
		}
	}
}

// mustAdd returns the decimal nanosecond time ns plus d.
func mustAdd(t *testing.T, ns string, d time.Duration) string {
	t.Helper()
	v, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(v+int64(d), 10)
}
