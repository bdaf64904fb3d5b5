package suite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retrace-dev/retrace/internal/suggest"
)

// CheckRuleNames checks the rule names c's expectations and options use
// against names, the rules of the case's rule files: a rule in counts,
// absent or alerts that does not exist, or a disable text that is in no
// rule's name, would let the case pass whatever the rules do. Each is an
// error at its position, with the closest names.
func (c *Case) CheckRuleNames(names []string) ErrorList {
	var errs ErrorList
	check := func(pos Pos, what, rule string) {
		if !slices.Contains(names, rule) {
			errs = append(errs, &Error{Pos: pos, Msg: fmt.Sprintf("case %q: %s: no rule named %q in the case's rules%s",
				c.Name, what, rule, suggest.DidYouMean(rule, names))})
		}
	}
	for _, n := range c.Expect.Counts {
		check(n.Pos, "counts", n.Rule)
	}
	for _, a := range c.Expect.Absent {
		check(a.Pos, "absent", a.Rule)
	}
	for i := range c.Expect.Alerts {
		a := &c.Expect.Alerts[i]
		check(a.Pos, "alerts", a.Rule)
	}
	for _, d := range c.Options.Disable {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, d) }) {
			errs = append(errs, &Error{Pos: c.Pos, Msg: fmt.Sprintf("case %q: options.disable: %q is in no rule's name", c.Name, d)})
		}
	}
	return errs
}
