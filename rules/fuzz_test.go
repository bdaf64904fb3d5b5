package rules_test

import (
	"errors"
	"testing"

	"github.com/retrace-dev/retrace/rules"
)

// FuzzLoad feeds arbitrary bytes to the loader as one rules file. Loading
// must never panic, and every error must name a position and a cause.
func FuzzLoad(f *testing.F) {
	opts := testOptions(f)
	for _, seed := range []string{
		openRule,
		"- list: l\n  items: [a, \"b c\"]\n- macro: m\n  condition: proc.name in (l)\n" + openRule + "- rule: r\n  condition: and m\n  override: {condition: append}\n",
		"- rule: r\n  desc: d\n  condition: >\n    evt.type=open and\n    proc.name=cat\n  output: \"%proc.name\"\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, in]\n      values: [[a, [b, c]]]\n",
		"---\n- required_engine_version: 0.57.0\n---\n- required_plugin_versions: [{name: container, version: 0.4.0, alternatives: [{name: x, version: 1.0.0}]}]\n",
		"- macro: a\n  condition: b\n- macro: b\n  condition: a\n",
		"- rule: r\n  enabled: false\n",
		"foo: bar\n",
		"- &a {list: l, items: [*a]}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := rules.LoadFiles([]rules.File{{Name: "f.yaml", Data: data}}, opts)
		if set == nil {
			t.Fatalf("no result (err %v)", err)
		}
		var le *rules.LoadError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if le != nil {
			for _, e := range le.Errors {
				if e.Pos.File != "f.yaml" || e.Message == "" {
					t.Fatalf("error without position or cause: %#v", e)
				}
				_ = e.Detail()
			}
		}
		for _, r := range set.Rules {
			if r.Root() == nil {
				t.Fatalf("rule %q without a condition", r.Name)
			}
		}
	})
}
