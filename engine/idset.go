package engine

import "math/bits"

// idSet is a set of dispatch ids as a bit set.
type idSet []uint64

func newIDSet(n int) idSet { return make(idSet, (n+63)/64) }

func fullIDSet(n int) idSet {
	s := newIDSet(n)
	for i := range n {
		s.add(i)
	}
	return s
}

func (s idSet) add(id int) {
	if id >= 0 && id/64 < len(s) {
		s[id/64] |= 1 << (id % 64)
	}
}

func (s idSet) has(id int) bool {
	return id >= 0 && id/64 < len(s) && s[id/64]&(1<<(id%64)) != 0
}

func (s idSet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

func (s idSet) ids() []int {
	out := make([]int, 0, s.count())
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i*64+b)
			w &^= 1 << b
		}
	}
	return out
}

// intersect, union and complement return new sets; n is the universe size.
func (s idSet) intersect(o idSet) idSet {
	r := make(idSet, len(s))
	for i := range s {
		r[i] = s[i] & o[i]
	}
	return r
}

func (s idSet) union(o idSet) idSet {
	r := make(idSet, len(s))
	for i := range s {
		r[i] = s[i] | o[i]
	}
	return r
}

func (s idSet) complement(n int) idSet {
	r := make(idSet, len(s))
	for i := range s {
		r[i] = ^s[i]
	}
	if rem := n % 64; rem != 0 && len(r) > 0 {
		r[len(r)-1] &= 1<<rem - 1
	}
	return r
}
