package sidekicktest

import (
	"net/http"
	"strings"
	"testing"
)

func TestContract(t *testing.T) {
	const ok = `{"output":"o","priority":"Warning","rule":"r","time":"2026-01-02T03:04:05.123456789Z","output_fields":{"a":1},"source":"syscall"}`
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"accepted", "POST", "/", ok, 200},
		{"info priority", "POST", "/", strings.Replace(ok, "Warning", "info", 1), 200},
		{"get", "GET", "/", ok, 400},
		{"other path", "POST", "/alerts", ok, 404},
		{"empty body", "POST", "/", "", 400},
		{"not json", "POST", "/", "12:00:00: Warning x", 400},
		{"empty rule", "POST", "/", strings.Replace(ok, `"rule":"r"`, `"rule":""`, 1), 400},
		{"invalid priority", "POST", "/", strings.Replace(ok, "Warning", "Loud", 1), 400},
		{"zero time", "POST", "/", strings.Replace(ok, "2026-01-02T03:04:05.123456789Z", "0001-01-01T00:00:00Z", 1), 400},
		{"no time", "POST", "/", strings.Replace(ok, `"time":"2026-01-02T03:04:05.123456789Z",`, "", 1), 400},
		{"empty output_fields", "POST", "/", strings.Replace(ok, `{"a":1}`, `{}`, 1), 400},
	}
	s := New(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	if n := len(s.Accepted()); n != 2 {
		t.Errorf("accepted %d, want 2", n)
	}
}
