package engine

import (
	"bytes"
	"encoding/hex"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/retrace-dev/retrace/internal/glob"
)

// matcher tests one extracted value against a compiled right-hand side.
type matcher func(v Value) bool

// smallSet is the list size up to which `in` scans instead of hashing.
const smallSet = 8

// constCheck compiles a check of left against constant items.
func (c *compiler) constCheck(n *CheckExpr, left source, items []*LiteralExpr) (evalFunc, error) {
	if left.multi == Set && n.Op != OpIn && n.Op != OpIntersects {
		return nil, c.errorf(KindType, n.OpAt, nil,
			"list field '%s' only supports operators 'exists', 'in' and 'intersects'", left.name)
	}
	if !n.Op.IsListOperator() && len(items) != 1 {
		return nil, c.errorf(KindType, n.OpAt, nil, "operator '%s' takes exactly one value", n.Op)
	}
	if len(items) == 0 {
		// An empty list matches nothing.
		return func(Event) bool { return false }, nil
	}
	m, err := c.matcher(n, left, items)
	if err != nil {
		return nil, err
	}
	return combine(left, n.Op, m), nil
}

// combine evaluates m over the values of src with the field's multiplicity.
func combine(src source, op Operator, m matcher) evalFunc {
	values := valuesFunc(src.ex)
	switch {
	case src.multi == Set && op == OpIn:
		return func(ev Event) bool {
			vs := values(ev)
			if len(vs) == 0 {
				return false
			}
			for _, v := range vs {
				if !m(v) {
					return false
				}
			}
			return true
		}
	case src.multi == Single:
		return func(ev Event) bool {
			vs := values(ev)
			return len(vs) > 0 && m(vs[0])
		}
	}
	return func(ev Event) bool {
		for _, v := range values(ev) {
			if m(v) {
				return true
			}
		}
		return false
	}
}

func (c *compiler) typeError(n *CheckExpr, left source) error {
	return c.errorf(KindType, n.OpAt, nil, "operator '%s' cannot be used with field '%s' of type %s",
		n.Op, left.name, left.typ)
}

// matcher builds the matcher for the field type.
func (c *compiler) matcher(n *CheckExpr, left source, items []*LiteralExpr) (matcher, error) {
	t := left.typ
	if !t.Textual() {
		// Non-text types support equality, set membership and, for
		// numbers, ordering; check before parsing values.
		switch n.Op {
		case OpEq, OpNe, OpIn, OpIntersects:
		case OpLt, OpLe, OpGt, OpGe:
			if !t.Numeric() {
				return nil, c.typeError(n, left)
			}
		default:
			return nil, c.typeError(n, left)
		}
	}
	switch {
	case t.Textual():
		return c.textMatcher(n, left, items)
	case t.Numeric():
		return c.numMatcher(n, left, items)
	case t == TypeBool:
		return c.boolMatcher(n, left, items)
	case t == TypeIPAddr || t == TypeIPNet:
		return c.ipMatcher(n, left, items)
	}
	return nil, c.typeError(n, left)
}

func (c *compiler) textMatcher(n *CheckExpr, left source, items []*LiteralExpr) (matcher, error) {
	s := items[0].Text
	b := []byte(s)
	switch n.Op {
	case OpEq:
		return func(v Value) bool { return string(v.Bytes) == s }, nil
	case OpNe:
		return func(v Value) bool { return string(v.Bytes) != s }, nil
	case OpLt:
		return func(v Value) bool { return string(v.Bytes) < s }, nil
	case OpLe:
		return func(v Value) bool { return string(v.Bytes) <= s }, nil
	case OpGt:
		return func(v Value) bool { return string(v.Bytes) > s }, nil
	case OpGe:
		return func(v Value) bool { return string(v.Bytes) >= s }, nil
	case OpContains:
		return func(v Value) bool { return bytes.Contains(v.Bytes, b) }, nil
	case OpIContains:
		lower := []byte(strings.ToLower(s))
		return func(v Value) bool { return containsFold(v.Bytes, lower) }, nil
	case OpStartsWith:
		return func(v Value) bool { return bytes.HasPrefix(v.Bytes, b) }, nil
	case OpEndsWith:
		return func(v Value) bool { return bytes.HasSuffix(v.Bytes, b) }, nil
	case OpBContains, OpBStartsWith:
		raw, err := hex.DecodeString(s)
		if err != nil || len(s) == 0 {
			return nil, c.errorf(KindType, items[0].At, err, "'%s' is not a valid hex string for operator '%s'", s, n.Op)
		}
		if n.Op == OpBContains {
			return func(v Value) bool { return bytes.Contains(v.Bytes, raw) }, nil
		}
		return func(v Value) bool { return bytes.HasPrefix(v.Bytes, raw) }, nil
	case OpGlob:
		return func(v Value) bool { return glob.Match(b, v.Bytes, false) }, nil
	case OpIGlob:
		return func(v Value) bool { return glob.Match(b, v.Bytes, true) }, nil
	case OpRegex:
		re, err := regexp.Compile(`^(?:` + s + `)$`)
		if err != nil {
			return nil, c.errorf(KindType, items[0].At, err, "invalid regular expression '%s': %v", s, err)
		}
		return func(v Value) bool { return re.Match(v.Bytes) }, nil
	case OpIn, OpIntersects:
		return textSet(items), nil
	case OpPMatch:
		if c.prog != nil {
			return newPathTrie(items).match, nil
		}
		return pathMatcher(items), nil
	}
	return nil, c.typeError(n, left)
}

// textSet matches values equal to any item.
func textSet(items []*LiteralExpr) matcher {
	if len(items) <= smallSet {
		list := make([]string, len(items))
		for i, it := range items {
			list[i] = it.Text
		}
		return func(v Value) bool {
			for _, s := range list {
				if string(v.Bytes) == s {
					return true
				}
			}
			return false
		}
	}
	set := make(map[string]struct{}, len(items))
	for _, it := range items {
		set[it.Text] = struct{}{}
	}
	return func(v Value) bool {
		_, ok := set[string(v.Bytes)]
		return ok
	}
}

// pathMatcher matches paths equal to or below any listed directory. Like
// libsinsp's path prefix search, a directory component may be a glob that
// matches one component of the path ("/opt/*/subdir").
func pathMatcher(items []*LiteralExpr) matcher {
	type dir struct {
		comps [][]byte
		globs []bool
	}
	dirs := make([]dir, 0, len(items))
	for _, it := range items {
		d := it.Text
		for len(d) > 1 && d[len(d)-1] == '/' {
			d = d[:len(d)-1]
		}
		var x dir
		if d != "/" {
			for _, c := range strings.Split(d, "/") {
				x.comps = append(x.comps, []byte(c))
				x.globs = append(x.globs, strings.ContainsAny(c, "*?["))
			}
		} else {
			x.comps, x.globs = [][]byte{{}}, []bool{false}
		}
		dirs = append(dirs, x)
	}
	return func(v Value) bool {
		p := v.Bytes
	next:
		for _, d := range dirs {
			rest := p
			for i, want := range d.comps {
				if rest == nil {
					continue next
				}
				comp := rest
				if j := bytes.IndexByte(rest, '/'); j >= 0 {
					comp, rest = rest[:j], rest[j+1:]
				} else {
					rest = nil
				}
				if d.globs[i] {
					if !glob.Match(want, comp, false) {
						continue next
					}
				} else if !bytes.Equal(want, comp) {
					continue next
				}
			}
			return true
		}
		return false
	}
}

// containsFold reports whether lowerNeedle (already lower case) occurs in
// s, ignoring ASCII case.
func containsFold(s, lowerNeedle []byte) bool {
	n := len(lowerNeedle)
	if n == 0 {
		return true
	}
	first := lowerNeedle[0]
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lowerASCII(s[i+j]) == lowerNeedle[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

// parseNumber parses a literal as a number of type t into Value.Num form.
func parseNumber(t FieldType, s string) (uint64, bool) {
	if t == TypeDouble {
		f, err := strconv.ParseFloat(s, 64)
		return math.Float64bits(f), err == nil
	}
	base := 10
	digits := s
	neg := false
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	if len(digits) > 2 && digits[0] == '0' && digits[1]|0x20 == 'x' {
		base, digits = 16, digits[2:]
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -u, true
	}
	if t.Signed() && u > math.MaxInt64 {
		return 0, false
	}
	return u, true
}

// numCmp returns -1, 0, 1 comparing a and b as values of type t.
func numCmp(t FieldType, a, b uint64) int {
	switch {
	case t == TypeDouble:
		fa, fb := math.Float64frombits(a), math.Float64frombits(b)
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	case t.Signed():
		ia, ib := int64(a), int64(b)
		switch {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *compiler) numMatcher(n *CheckExpr, left source, items []*LiteralExpr) (matcher, error) {
	t := left.typ
	nums := make([]uint64, len(items))
	for i, it := range items {
		u, ok := parseNumber(t, it.Text)
		if !ok {
			return nil, c.errorf(KindType, it.At, nil, "'%s' is not a valid %s value for field '%s'", it.Text, t, left.name)
		}
		nums[i] = u
	}
	k := nums[0]
	switch n.Op {
	case OpEq:
		if t == TypeDouble {
			return func(v Value) bool { return numCmp(t, v.Num, k) == 0 }, nil
		}
		return func(v Value) bool { return v.Num == k }, nil
	case OpNe:
		if t == TypeDouble {
			return func(v Value) bool { return numCmp(t, v.Num, k) != 0 }, nil
		}
		return func(v Value) bool { return v.Num != k }, nil
	case OpLt:
		return func(v Value) bool { return numCmp(t, v.Num, k) < 0 }, nil
	case OpLe:
		return func(v Value) bool { return numCmp(t, v.Num, k) <= 0 }, nil
	case OpGt:
		return func(v Value) bool { return numCmp(t, v.Num, k) > 0 }, nil
	case OpGe:
		return func(v Value) bool { return numCmp(t, v.Num, k) >= 0 }, nil
	case OpIn, OpIntersects:
		if len(nums) <= smallSet {
			return func(v Value) bool {
				for _, x := range nums {
					if numCmp(t, v.Num, x) == 0 {
						return true
					}
				}
				return false
			}, nil
		}
		set := make(map[uint64]struct{}, len(nums))
		for _, x := range nums {
			set[x] = struct{}{}
		}
		return func(v Value) bool {
			_, ok := set[v.Num]
			return ok
		}, nil
	}
	return nil, c.typeError(n, left)
}

func parseBool(s string) (uint64, bool) {
	switch s {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	return 0, false
}

func (c *compiler) boolMatcher(n *CheckExpr, left source, items []*LiteralExpr) (matcher, error) {
	var want [2]bool // want[x]: value x matches
	for _, it := range items {
		b, ok := parseBool(it.Text)
		if !ok {
			return nil, c.errorf(KindType, it.At, nil, "'%s' is not a valid bool value for field '%s' (use true or false)",
				it.Text, left.name)
		}
		want[b] = true
	}
	switch n.Op {
	case OpEq, OpIn, OpIntersects:
	case OpNe:
		want[0], want[1] = !want[0], !want[1]
	default:
		return nil, c.typeError(n, left)
	}
	return func(v Value) bool { return want[min(v.Num, 1)] }, nil
}

// parseNet parses an address or a CIDR network literal.
func parseNet(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p.Addr())).Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// valueAddr converts an extracted address value.
func valueAddr(v Value) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(v.Bytes)
	return a.Unmap(), ok
}

func (c *compiler) ipMatcher(n *CheckExpr, left source, items []*LiteralExpr) (matcher, error) {
	nets := make([]netip.Prefix, len(items))
	for i, it := range items {
		p, ok := parseNet(it.Text)
		if !ok {
			return nil, c.errorf(KindType, it.At, nil, "'%s' is not a valid IP address or network for field '%s'",
				it.Text, left.name)
		}
		nets[i] = p
	}
	in := func(v Value) bool {
		a, ok := valueAddr(v)
		if !ok {
			return false
		}
		for _, p := range nets {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	switch n.Op {
	case OpEq, OpIn, OpIntersects:
		return in, nil
	case OpNe:
		return func(v Value) bool {
			_, ok := valueAddr(v)
			return ok && !in(v)
		}, nil
	}
	return nil, c.typeError(n, left)
}

// lowerASCII lowers an ASCII upper-case letter and leaves other bytes.
func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
