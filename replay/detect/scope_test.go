package detect

import (
	"strings"
	"testing"
)

func TestParseScopeAndCompat(t *testing.T) {
	for _, tc := range []struct {
		name, tz, since, until, wantErr string
	}{
		{name: "open"},
		{name: "zone", tz: "Europe/Paris", since: "2024-01-01T10:00:00"},
		{name: "bad zone", tz: "Mars/Olympus", wantErr: "parse --tz"},
		{name: "reversed", since: "2024-01-02T00:00:00Z", until: "2024-01-01T00:00:00Z", wantErr: "before --since"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, sc, err := ParseScope(tc.tz, tc.since, tc.until, "web", 7, true)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || loc == nil || sc.Container != "web" || !sc.HasPid || sc.Pid != 7 {
				t.Fatalf("ParseScope = %v, %+v, %v", loc, sc, err)
			}
		})
	}
	for in, want := range map[string]bool{"": false, CompatFalco032: true} {
		if got, err := ParseCompat(in); err != nil || got != want {
			t.Errorf("ParseCompat(%q) = %t, %v", in, got, err)
		}
	}
	if _, err := ParseCompat("falco-0.31"); err == nil || !strings.Contains(err.Error(), CompatFalco032) {
		t.Errorf("ParseCompat of an unknown mode: %v", err)
	}
}
