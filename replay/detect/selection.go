package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/suggest"
	"github.com/retrace-dev/retrace/rules"
)

// checkSelection finds the parts of sel that select nothing in set: a tag
// of -t or -T that no rule has, a -D text in no rule's name, a selection
// that leaves no rule to run. They are warnings, not errors: Falco runs
// such a selection too (and its own tests expect it to), but the answer
// "nothing" must say why. Names come with the closest existing ones.
func checkSelection(set *rules.Set, sel engine.Selection, selected int) (warnings []string) {
	var tags, names []string
	for _, r := range set.Rules {
		tags = append(tags, r.Tags...)
		names = append(names, r.Name)
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	for _, t := range sel.Tags {
		if !slices.Contains(tags, t) {
			warnings = append(warnings, fmt.Sprintf("no rule has tag %q (-t)%s", t, suggest.DidYouMean(t, tags)))
		}
	}
	for _, t := range sel.ExcludeTags {
		if !slices.Contains(tags, t) {
			warnings = append(warnings, fmt.Sprintf("no rule has tag %q (-T)%s", t, suggest.DidYouMean(t, tags)))
		}
	}
	for _, d := range sel.Disable {
		if d == "" || slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, d) }) {
			continue
		}
		var hint string
		var close []string
		for _, n := range names {
			if strings.Contains(strings.ToLower(n), strings.ToLower(d)) {
				close = append(close, n)
			}
		}
		if len(close) > 0 {
			hint = fmt.Sprintf(" (it is case-sensitive, as in Falco: %q)", close[:min(len(close), 3)])
		}
		warnings = append(warnings, fmt.Sprintf("-D %q is in no rule's name; nothing disabled%s", d, hint))
	}
	if selected == 0 {
		enabled := 0
		for _, r := range set.Rules {
			if r.Enabled {
				enabled++
			}
		}
		what := "no rule is enabled in the rule files"
		if enabled > 0 {
			what = fmt.Sprintf("the selection (-t/-T/-D/-p) leaves none of the %d enabled rules", enabled)
		}
		warnings = append(warnings, "no rule will run: "+what)
	}
	return warnings
}
