package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		wantID string
		want   Sighting
		ok     bool
	}{
		{"podman 4 create", `{"ID":"` + hexID + `","Image":"localhost/retrace-busybox:test","Name":"evtest","Status":"create","Time":"2026-12-04T18:30:06.278566792Z","Type":"container","Attributes":{}}`,
			hexID, Sighting{Name: "evtest", Image: "localhost/retrace-busybox:test"}, true},
		{"remove", `{"ID":"` + hexID + `","Image":"nginx@sha256:1","Name":"x","Status":"remove","Type":"container"}`,
			hexID, Sighting{Name: "x", Image: "nginx@sha256:1"}, true},
		{"pod event", `{"ID":"abc","Name":"p","Status":"create","Type":"pod"}`, "", Sighting{}, false},
		{"no id", `{"Name":"x","Type":"container"}`, "", Sighting{}, false},
		{"nothing to say", `{"ID":"abc","Type":"container"}`, "", Sighting{}, false},
		{"not JSON", `Error: something`, "", Sighting{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, s, ok := parseEvent([]byte(tc.line))
			if ok != tc.ok || id != tc.wantID {
				t.Fatalf("parseEvent = %q, %v; want %q, %v", id, ok, tc.wantID, tc.ok)
			}
			if diff := cmp.Diff(tc.want, s); diff != "" {
				t.Errorf("sighting (-want +got):\n%s", diff)
			}
		})
	}
}
