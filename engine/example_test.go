package engine_test

import (
	"fmt"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
)

// Example shows the path of a rule through the engine: parse, expand
// macros, compile, index in a ruleset, match an event and format the output.
func Example() {
	types := enginetest.Default()
	opts := engine.CompileOptions{Registry: enginetest.NewRegistry(enginetest.DefaultFields), EventTypes: types}

	macro, _ := engine.Parse("evt.type in (open, openat)", engine.ParseOptions{})
	text := "open_read and fd.name startswith /etc and not proc.name in (sshd, sudo)"
	root, err := engine.Parse(text, engine.ParseOptions{})
	if err != nil {
		panic(err)
	}
	err = engine.ExpandMacros(root, func(ref *engine.MacroRef) (engine.Node, error) {
		if ref.Name != "open_read" {
			return nil, fmt.Errorf("undefined macro %q", ref.Name)
		}
		return macro, nil
	})
	if err != nil {
		panic(err)
	}
	cond, _, err := engine.Compile(root, text, opts)
	if err != nil {
		panic(err)
	}
	out, err := engine.CompileFormat("file %fd.name opened by %proc.name (parent=%proc.pname)", opts)
	if err != nil {
		panic(err)
	}
	rule := &engine.Rule{Name: "Read etc", Priority: engine.PriorityWarning, Enabled: true, Condition: cond, Output: out}
	rs, err := engine.NewRuleset(types, []*engine.Rule{rule}, engine.Selection{}, engine.MatchFirst)
	if err != nil {
		panic(err)
	}

	ev := &enginetest.Event{ID: types.ID("openat")}
	ev.Set("fd.name", enginetest.Str("/etc/shadow")).Set("proc.name", enginetest.Str("cat"))
	for _, r := range rs.Match(ev) {
		fmt.Printf("%s %s: %s\n", r.Priority, r.Name, r.Output.Append(nil, ev))
	}
	// Output: Warning Read etc: file /etc/shadow opened by cat (parent=<NA>)
}
