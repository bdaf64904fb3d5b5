package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseClockOffsets(t *testing.T) {
	tests := []struct {
		name    string
		specs   []string
		want    ClockOffsets
		wantErr string
	}{
		{name: "none", specs: nil, want: nil},
		{name: "signed and fractional", specs: []string{"web-01=-3m20s", "db-02=1.5s", "x=+250ms"},
			want: ClockOffsets{"web-01": -200 * time.Second, "db-02": 1500 * time.Millisecond, "x": 250 * time.Millisecond}},
		{name: "host with an equals sign in the duration", specs: []string{"a=1s=2"}, wantErr: `parse --clock-offset "a=1s=2": time: unknown unit`},
		{name: "no duration", specs: []string{"web-01"}, wantErr: `parse --clock-offset "web-01": want HOST=DURATION`},
		{name: "no host", specs: []string{"=1s"}, wantErr: `parse --clock-offset "=1s": want HOST=DURATION`},
		{name: "twice", specs: []string{"a=1s", "a=2s"}, wantErr: `parse --clock-offset "a=2s": host a given twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseClockOffsets(tc.specs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("offsets (-want +got):\n%s", diff)
			}
		})
	}
}
