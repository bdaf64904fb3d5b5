package testutil

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
)

// fakeTB records what a helper asked of its testing.TB instead of stopping
// the test.
type fakeTB struct {
	testing.TB
	skipped, failed, logged string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skip(args ...any)               { f.skipped = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }
func (f *fakeTB) Logf(format string, a ...any)   { f.logged = fmt.Sprintf(format, a...) }

func TestSkipMissing(t *testing.T) {
	tests := []struct {
		name            string
		ci              string
		skipped, failed string
	}{
		{"outside CI", "", "tool x not installed; skipping", ""},
		{"CI=false", "false", "tool x not installed; skipping", ""},
		{"in CI", "true", "", "tool x not installed (in CI a missing requirement fails the test)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			var f fakeTB
			SkipMissing(&f, "tool %s not installed", "x")
			if f.skipped != tc.skipped || f.failed != tc.failed {
				t.Errorf("SkipMissing: skipped %q, failed %q; want skipped %q, failed %q", f.skipped, f.failed, tc.skipped, tc.failed)
			}
		})
	}
}

func TestOptionalTool(t *testing.T) {
	const absent = "retrace-no-such-tool"
	t.Run("outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		var f fakeTB
		if p, ok := OptionalTool(&f, absent); ok || p != "" {
			t.Errorf("OptionalTool(%s) = %q, %v; want \"\", false", absent, p, ok)
		}
		if f.failed != "" || f.logged == "" {
			t.Errorf("OptionalTool outside CI: failed %q, logged %q; want a log line only", f.failed, f.logged)
		}
	})
	t.Run("in CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		var f fakeTB
		OptionalTool(&f, absent)
		if f.failed == "" {
			t.Error("OptionalTool in CI did not fail for a missing tool")
		}
	})
	t.Run("installed", func(t *testing.T) {
		var f fakeTB
		if p, ok := OptionalTool(&f, "sh"); !ok || p == "" || f.failed != "" {
			t.Errorf("OptionalTool(sh) = %q, %v (failed %q); want a path", p, ok, f.failed)
		}
	})
}

func TestSharedDirMissing(t *testing.T) {
	t.Setenv("RETRACE_SHARED", "/nonexistent")
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		var f fakeTB
		SharedDir(&f)
		if (ci == "true") != (f.failed != "") || (ci == "") != (f.skipped != "") {
			t.Errorf("SharedDir with CI=%q: skipped %q, failed %q", ci, f.skipped, f.failed)
		}
	}
}

func TestLeakedFDs(t *testing.T) {
	before := openFDs()
	if len(before) == 0 {
		SkipMissing(t, "no /proc/self/fd")
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(int(f.Fd())) + " -> " + os.DevNull
	if got := leakedFDs(before); !slices.Contains(got, want) {
		t.Errorf("leakedFDs with %s open = %q, want it listed", os.DevNull, got)
	}
	f.Close()
	if got := leakedFDs(before); len(got) != 0 {
		t.Errorf("leakedFDs after closing = %q, want none", got)
	}
}
