package report

import (
	"testing"
	"time"
)

// TestProvenanceRendering checks the provenance's text forms: the chain
// oldest first with container changes marked, the login, and the JSON key.
func TestProvenanceRendering(t *testing.T) {
	start := time.Date(2026, 11, 22, 20, 51, 40, 0, time.UTC)
	chain := []Origin{
		{Process: Process{Pid: 40, Name: "sh", Cmdline: "sh -i", User: "root", Start: start}, How: "exec", Container: "f00903864d9857250ebb"},
		{Process: Process{Pid: 31, Name: "runc:[1:CHILD]"}, How: "fork", Container: "host", Exit: start},
		{Process: Process{Pid: 20, Name: "conmon"}, How: "exec", Container: "host"},
		{Process: Process{Pid: 12, Name: "podman", Cmdline: "podman exec -it c sh"}, How: "exec", Container: "host"},
		{Process: Process{Pid: 10, Name: "bash\x1b[31m"}, How: "snapshot", Container: "host"},
	}
	for _, tc := range []struct {
		name               string
		p                  *Provenance
		chain, login, text string
		json               string
		tablePath          string
	}{
		{"container shell from a login", &Provenance{Chain: chain, LoginUID: 1000, LoginUser: "alice", Session: 10, Tty: 34816},
			"bash\x1b[31m[10] > podman[12] > conmon[20] > runc:[1:CHILD][31] > sh[40]{container f00903864d98}",
			"login alice (uid 1000) session 10 tty 34816",
			`    provenance: bash\u001b[31m[10] > podman[12] > conmon[20] > runc:[1:CHILD][31] > sh[40]{container f00903864d98}; login alice (uid 1000) session 10 tty 34816; event 7 in frame 2 of c.scap.zst (host h)`,
			`,"provenance":{"capture":"c.scap.zst","chain":[{"cmdline":"sh -i","container":"f00903864d9857250ebb","exe":"","exit":null,"how":"exec","name":"sh","pid":40,"start":"2026-11-22T20:51:40.000000000Z","tty":0,"user":"root"},` +
				`{"cmdline":"","container":"host","exe":"","exit":"2026-11-22T20:51:40.000000000Z","how":"fork","name":"runc:[1:CHILD]","pid":31,"start":null,"tty":0,"user":""},` +
				`{"cmdline":"","container":"host","exe":"","exit":null,"how":"exec","name":"conmon","pid":20,"start":null,"tty":0,"user":""},` +
				`{"cmdline":"podman exec -it c sh","container":"host","exe":"","exit":null,"how":"exec","name":"podman","pid":12,"start":null,"tty":0,"user":""},` +
				`{"cmdline":"","container":"host","exe":"","exit":null,"how":"snapshot","name":"bash\u001b[31m","pid":10,"start":null,"tty":0,"user":""}],` +
				`"evt_num":7,"frame":2,"host":"h","login_uid":1000,"login_user":"alice","session":10,"truncated":false,"tty":34816}`,
			"… > podman > conmon > runc > sh[40]"},
		{"no login, truncated", &Provenance{Chain: chain[3:4], Truncated: true, LoginUID: -1, Session: 3},
			"… > podman[12]", "", "    provenance: … > podman[12]; event 7 in frame 2 of c.scap.zst (host h)",
			`,"provenance":{"capture":"c.scap.zst","chain":[{"cmdline":"podman exec -it c sh","container":"host","exe":"","exit":null,"how":"exec","name":"podman","pid":12,"start":null,"tty":0,"user":""}],"evt_num":7,"frame":2,"host":"h","login_uid":-1,"login_user":"","session":3,"truncated":true,"tty":0}`,
			"… > podman[12]"},
		{"none", nil, "", "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.ChainText(); got != tc.chain {
				t.Errorf("ChainText() = %q, want %q", got, tc.chain)
			}
			if got := tc.p.Login(); got != tc.login {
				t.Errorf("Login() = %q, want %q", got, tc.login)
			}
			d := &Detection{Time: start, Priority: "Notice", Output: "x", Provenance: tc.p, Capture: "c.scap.zst", EventNum: 7, Frame: 2, Hostname: "h"}
			alert := string(AppendText(nil, d, Options{}))
			text := string(AppendTextProvenance(nil, d, Options{}))
			if want := alert; tc.text != "" {
				want += "\n" + tc.text
				if text != want {
					t.Errorf("text:\n got %q\nwant %q", text, want)
				}
			} else if text != alert {
				t.Errorf("text without provenance = %q, want the alert line %q", text, alert)
			}
			if got := string(appendProvenanceJSON(nil, d)); got != tc.json {
				t.Errorf("json:\n got %s\nwant %s", got, tc.json)
			}
			if tc.p != nil {
				if got := chainPath(tc.p, 4); got != tc.tablePath {
					t.Errorf("table path = %q, want %q", got, tc.tablePath)
				}
			}
		})
	}
}
