package scap_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/rules"
)

// ruleFileSets are the upstream rule files, loaded as Falco loads them
// (the incubating and sandbox files use the stable file's macros and lists).
var ruleFileSets = [][]string{
	{"falco_rules.yaml"},
	{"falco_rules.yaml", "falco-incubating_rules.yaml"},
	{"falco_rules.yaml", "falco-sandbox_rules.yaml"},
	{"falco_rules-0.32.yaml"},
	{"falco_rules-0.33.yaml"},
	{"falco_rules-1.0.1.yaml"},
	{"falco-deprecated_rules.yaml"},
	{"application_rules-archive.yaml"},
}

// impossibleRow matches a row of docs/FORMAT.md's table of event types the
// recorder cannot write: | `type` | reason |.
var impossibleRow = regexp.MustCompile("^\\| `([a-z0-9_]+)` \\| (.+) \\|$")

// TestRuleEventTypesRecorded checks that every evt.type an upstream rule can
// match (the rule engine's inference; rules without an evt.type restriction
// left out) is written by the recorder's profile, or is listed in
// docs/FORMAT.md ("Event types the upstream rules name") with the reason it
// cannot be.
func TestRuleEventTypesRecorded(t *testing.T) {
	dir := testutil.SharedFile(t, "falco-rules")
	if files, _ := filepath.Glob(filepath.Join(dir, "*.yaml")); len(files) == 0 {
		testutil.SkipMissing(t, "no Falco rule files in %s", dir)
	}

	// The types the recorder writes: each profiled syscall under its
	// syscall name (what current libs call it, after upgrading an older
	// version: accept4) and its exit event's name, plus the events that are
	// no syscall (docs/FORMAT.md, rule 6).
	idx := scap.EventTypeIndex{}
	written := map[string]bool{
		idx.Name(int(scap.ContainerJsonV2E)): true,
		idx.Name(int(scap.DropE)):            true,
	}
	for _, p := range scap.Profile() {
		written[p.Syscall] = true
		written[idx.Name(int(p.Exit))] = true
	}

	impossible := formatImpossibleTypes(t)
	reg := replay.NewFieldRegistry()
	named := map[string][]string{} // type -> rules naming it
	for _, set := range ruleFileSets {
		var paths []string
		for _, f := range set {
			paths = append(paths, filepath.Join(dir, f))
		}
		rs, err := rules.Load(paths, rules.Options{Fields: reg, EventTypes: idx})
		if err != nil {
			t.Fatalf("load %v: %v", set, err)
		}
		for _, r := range rs.Rules {
			if r.AllEventTypes {
				continue
			}
			for _, n := range r.EventTypes {
				if !slices.Contains(named[n], r.Name) {
					named[n] = append(named[n], r.Name)
				}
			}
		}
	}
	if len(named) == 0 {
		t.Fatal("no rule names an event type: the inference found nothing")
	}
	for n, rs := range named {
		switch {
		case written[n] && impossible[n] != "":
			t.Errorf("%s is recorded but docs/FORMAT.md lists it as impossible (%s)", n, impossible[n])
		case !written[n] && impossible[n] == "":
			t.Errorf("event type %s (rules %s) is neither recorded nor listed as impossible in docs/FORMAT.md", n, strings.Join(rs, "; "))
		}
	}
	for n := range impossible {
		if named[n] == nil {
			t.Errorf("docs/FORMAT.md lists %s as impossible, but no upstream rule names it", n)
		}
	}
}

// formatImpossibleTypes reads the table of docs/FORMAT.md's section "Event
// types the upstream rules name": event type -> reason.
func formatImpossibleTypes(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "docs", "FORMAT.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "### Event types the upstream rules name\n")
	if !ok {
		t.Fatal(`docs/FORMAT.md has no "### Event types the upstream rules name" section`)
	}
	if i := strings.Index(sec, "\n#"); i >= 0 {
		sec = sec[:i]
	}
	out := map[string]string{}
	for _, line := range strings.Split(sec, "\n") {
		if m := impossibleRow.FindStringSubmatch(line); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}
