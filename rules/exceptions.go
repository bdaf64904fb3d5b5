package rules

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
)

// parseComp checks an exception comparison operator: a plain operator
// (`=`, `in`, `startswith`...) or, as newer libsinsp accepts, a string
// operator with a list modifier (`startswith oneof`). list reports whether
// the operator takes a list on its right side.
func parseComp(comp string) (valid, list bool) {
	if op, ok := engine.ParseOperator(comp); ok {
		return true, op.IsListOperator()
	}
	words := strings.Fields(comp)
	if len(words) != 2 {
		return false, false
	}
	if _, ok := engine.ParseModifier(words[1]); !ok {
		return false, false
	}
	op, ok := engine.ParseOperator(words[0])
	if !ok || !op.TakesModifier() {
		return false, false
	}
	return true, true
}

// isListOperator reports whether comp takes a list on its right side; such
// exception values are wrapped in parentheses instead of quoted.
func isListOperator(comp string) bool {
	_, list := parseComp(comp)
	return list
}

// exceptionCondition returns cond with the rule's exceptions added exactly
// as Falco's build_rule_exception_infos writes them:
//
//	(COND) and not ((( f1 c1 v1 and f2 c2 v2) or ( ...))) and not (f in (a, b))
//
// Generated text maps back to the exception's YAML nodes for diagnostics.
func (l *loader) exceptionCondition(r *ruleInfo) (ctext, *Error) {
	condRef, _ := r.cond.origin(0)
	parts := []ctext{generated("(", condRef, 0), r.cond, generated(")", condRef, len(r.cond.s))}
	for i := range r.exceptions {
		ex := &r.exceptions[i]
		ref := &scalarRef{file: ex.ctx.file, node: ex.node}
		gen := func(s string, n *yaml.Node) ctext {
			if n == nil {
				return generated(s, ref, 0)
			}
			return generated(s, &scalarRef{file: ex.ctx.file, node: n}, 0)
		}
		var icond []ctext
		if !ex.fields.isList {
			for _, val := range ex.values {
				if val.isList {
					return ctext{}, l.errorf(ex.ctx, nodeOr(val.node, ex.node), CodeException,
						"exception '%s': expected the values to be a list of strings", ex.name)
				}
				if len(icond) == 0 {
					icond = append(icond, gen("("+ex.fields.item+" "+ex.comps.item+" (", ex.fields.node))
				} else {
					icond = append(icond, gen(", ", val.node))
				}
				icond = append(icond, gen(quoteItem(val.item), val.node))
			}
			if len(icond) > 0 {
				icond = append(icond, gen("))", ex.node))
			}
		} else {
			first := true
			icond = append(icond, gen("(", ex.node))
			for _, values := range ex.values {
				if len(ex.fields.items) != len(values.items) {
					return ctext{}, l.errorf(ex.ctx, nodeOr(values.node, ex.node), CodeException,
						"exception '%s': fields and values lists must have equal length", ex.name)
				}
				if !first {
					icond = append(icond, gen(" or ", values.node))
				}
				first = false
				icond = append(icond, gen("(", values.node))
				for k, field := range ex.fields.items {
					if k > 0 {
						icond = append(icond, gen(" and ", values.node))
					}
					v := values.items[k]
					var istr string
					if v.isList {
						istr = "("
						for _, x := range v.items {
							if istr != "(" {
								istr += ", "
							}
							istr += quoteItem(x.item)
						}
						istr += ")"
					} else {
						istr = v.item
						if isListOperator(ex.comps.items[k].item) {
							istr = parenItem(istr)
						} else {
							istr = quoteItem(istr)
						}
					}
					icond = append(icond,
						gen(" "+field.item, field.node),
						gen(" "+ex.comps.items[k].item+" ", ex.comps.items[k].node),
						gen(istr, v.node))
				}
				icond = append(icond, gen(")", values.node))
			}
			icond = append(icond, gen(")", ex.node))
			if first {
				icond = nil // "()": no values
			}
		}
		if len(icond) > 0 {
			parts = append(parts, gen(" and not ", ex.node))
			parts = append(parts, icond...)
		}
	}
	return join(parts...), nil
}
