package replay

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestAllFieldsMatchSysdig compares every registry field that takes no
// argument and that sysdig 0.29.3 knows, on every event of the shared
// captures. Fields whose sysdig value depends on things a capture does not
// carry are listed in sysdigIncomparable.
func TestAllFieldsMatchSysdig(t *testing.T) {
	sysdig := testutil.NeedTool(t, "sysdig")
	known := sysdigFieldList(t, sysdig)
	var names []string
	for _, fi := range NewFieldRegistry().Fields() {
		if fi.Arg != engine.ArgNone || fi.Flags&engine.FlagFilterOnly != 0 || !known[fi.Name] {
			continue
		}
		if _, skip := sysdigIncomparable[fi.Name]; skip {
			continue
		}
		names = append(names, fi.Name)
	}
	if _, err := compatKnown("REPLAY-MINOR-FIELDS"); err != nil {
		t.Fatal(err)
	}
	fields := bindAll(t, names)
	for _, path := range testutil.Captures(t) {
		compareWithSysdig(t, path, fields, nil)
	}
	t.Logf("compared %d fields", len(names))
}

// sysdigIncomparable are fields whose sysdig value comes from something a
// capture does not record, with the reason.
var sysdigIncomparable = map[string]string{
	"evt.args":               "stateless parts checked by package scap, stateful ones by TestStatefulArgsMatchSysdig",
	"evt.info":               "same as evt.args",
	"evt.category":           "REPLAY-MINOR-FIELDS: categories come from libs' event table, which retrace's does not carry",
	"evt.latency.human":      "REPLAY-MINOR-FIELDS: rounding of the rendering",
	"evt.count.error.file":   "REPLAY-MINOR-FIELDS: split by libs' event categories",
	"evt.count.error.net":    "REPLAY-MINOR-FIELDS: split by libs' event categories",
	"evt.count.error.memory": "REPLAY-MINOR-FIELDS: split by libs' event categories",
	"evt.count.error.other":  "REPLAY-MINOR-FIELDS: split by libs' event categories",
	"evt.buflen":             "REPLAY-MINOR-FIELDS: sysdig reports 0 for non-I/O events",
	"evt.deltatime":          "REPLAY-MINOR-FIELDS: sysdig counts from the events it prints",
	"evt.deltatime.s":        "REPLAY-MINOR-FIELDS: sysdig counts from the events it prints",
	"evt.deltatime.ns":       "REPLAY-MINOR-FIELDS: sysdig counts from the events it prints, zero-padded",
	"evt.reltime":            "REPLAY-MINOR-FIELDS: sysdig counts from the first event it prints, zero-padded",
	"evt.reltime.s":          "REPLAY-MINOR-FIELDS: sysdig counts from the first event it prints",
	"evt.reltime.ns":         "REPLAY-MINOR-FIELDS: sysdig counts from the first event it prints, zero-padded",
	"evt.rawtime.ns":         "REPLAY-MINOR-FIELDS: sysdig prints it zero-padded to 9 digits",
	"fd.dev":                 "REPLAY-MINOR-FIELDS: device numbers of snapshot fds and pipes",
	"fd.dev.major":           "REPLAY-MINOR-FIELDS: device numbers of snapshot fds and pipes",
	"fd.dev.minor":           "REPLAY-MINOR-FIELDS: device numbers of snapshot fds and pipes",
	"fd.is_server":           "REPLAY-MINOR-FIELDS: roles of unix, fresh and same-host sockets",
	"fd.cport":               "REPLAY-MINOR-FIELDS: sysdig prints 0 for some sockets without a role",
	"proc.fdopencount":       "REPLAY-MINOR-FIELDS: counting of fds closed by threads",
	"proc.nchilds":           "REPLAY-MINOR-FIELDS: sysdig 0.29.3 counts children differently",
	"proc.nthreads":          "REPLAY-MINOR-FIELDS: sysdig 0.29.3 counts the container event's synthetic thread",
	"proc.is_exe_writable":   "REPLAY-MINOR-FIELDS: execve exits without the flags parameter inherit the value",
}
