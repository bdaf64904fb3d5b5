//go:build linux && amd64

package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanHooks(t *testing.T) {
	if _, err := os.Stat("/proc/kallsyms"); err != nil {
		t.Skip("no /proc/kallsyms")
	}
	// A fake tracefs events directory with a tracepoint for every recorded
	// syscall except the named ones.
	fake := func(t *testing.T, without ...string) string {
		dir := filepath.Join(t.TempDir(), "events")
		for _, sc := range recordedSyscalls {
			if !strings.Contains(" "+strings.Join(without, " ")+" ", " "+sc.name+" ") {
				if err := os.MkdirAll(filepath.Join(dir, "syscalls", "sys_exit_"+tracepointName(sc.name)), 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
		return dir
	}
	stubs, err := stubSyscalls()
	if err != nil {
		t.Fatal(err)
	}
	type planCase = struct {
		name      string
		events    func(t *testing.T) string
		want      SyscallHooks
		note      string // substring of the notes ("" for none)
		strictErr bool   // HooksTracepoints fails
	}
	tests := []planCase{
		{name: "all present", events: func(t *testing.T) string { return fake(t) }, want: HooksTracepoints},
		{name: "read missing", events: func(t *testing.T) string { return fake(t, "read") }, want: HooksRaw,
			note: "no syscalls/sys_exit_ tracepoint for read", strictErr: true},
		{name: "no tracefs", events: func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") }, want: HooksRaw,
			note: "tracefs is not mounted", strictErr: true},
	}
	if stubs["init_module"] {
		tests = append(tests, planCase{name: "stub syscall missing", events: func(t *testing.T) string { return fake(t, "init_module") }, want: HooksTracepoints,
			note: "init_module: not implemented by this kernel"})
	}
	saved := tracefsEvents
	defer func() { tracefsEvents = saved }()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tracefsEvents = []string{tc.events(t)}
			plan, err := planHooks(HooksAuto, false)
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(plan.notes, "\n")
			if plan.hooks != tc.want || (tc.note == "") != (notes == "") || !strings.Contains(notes, tc.note) {
				t.Errorf("plan = %v, notes %q; want %v, notes containing %q", plan.hooks, notes, tc.want, tc.note)
			}
			if _, err := planHooks(HooksTracepoints, false); (err != nil) != tc.strictErr {
				t.Errorf("strict tracepoints: err = %v, want error %v", err, tc.strictErr)
			}
			if p, _ := planHooks(HooksAuto, true); p.hooks != HooksRaw {
				t.Errorf("with all syscalls: %v, want raw", p.hooks)
			}
		})
	}
}
