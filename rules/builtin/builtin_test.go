package builtin_test

import (
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/rules"
	"github.com/retrace-dev/retrace/rules/builtin"
)

// loadBuiltin loads the built-in rules with replay's fields.
// registry resolves the fields of the built-in rules and of their replays.
var registry = replay.NewFieldRegistry()

func loadBuiltin(t *testing.T) *rules.Set {
	t.Helper()
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadFiles(files, rules.Options{Fields: registry, EventTypes: scap.EventTypeIndex{}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestLoadWithoutWarnings(t *testing.T) {
	set := loadBuiltin(t)
	for _, w := range set.Warnings {
		t.Errorf("%s", w.Detail())
	}
	if n := len(set.Rules); n < 25 {
		t.Errorf("%d built-in rules, want at least 25", n)
	}
	for _, r := range set.Rules {
		if !r.Enabled {
			t.Errorf("rule %q is disabled", r.Name)
		}
		if r.AllEventTypes {
			t.Errorf("rule %q has no evt.type restriction", r.Name)
		}
		if r.Desc == "" || len(r.Tags) == 0 {
			t.Errorf("rule %q lacks a description or tags", r.Name)
		}
	}
}
