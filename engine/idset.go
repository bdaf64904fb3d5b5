package engine

import "math/bits"

// idSet is a set of dispatch ids as a bit set.
type idSet []uint64

func newIDSet(n int) idSet { return make(idSet, (n+63)/64) }

func fullIDSet(n int) idSet {
	s := newIDSet(n)
	for i := range s {
		s[i] = ^uint64(0)
	}
	s.trim(n)
	return s
}

// trim clears the bits at and above the universe size n.
func (s idSet) trim(n int) {
	if rem := n % 64; rem != 0 && len(s) > 0 {
		s[len(s)-1] &= 1<<rem - 1
	}
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

// intersect, union and complement change s in place and return it; n is
// the universe size. Event type inference only applies them to sets it
// has just built, so no set is shared.
func (s idSet) intersect(o idSet) idSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

func (s idSet) union(o idSet) idSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

func (s idSet) complement(n int) idSet {
	for i := range s {
		s[i] = ^s[i]
	}
	s.trim(n)
	return s
}
