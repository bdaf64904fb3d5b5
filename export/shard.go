package export

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Shard is one of Count parts of an export's inputs: Index from 0 to
// Count-1, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts.
type Shard struct {
	Index, Count int
}

// ParseShard parses "I/N".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("parse --shard %q: want I/N, e.g. 0/4", s)
	}
	if cnt < 1 || idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("parse --shard %q: want 0 <= I < N", s)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// Select returns the inputs of shard s among paths, in the order given.
// The assignment depends only on the inputs' names (without directories)
// and sizes, and the hosts of inputs of the same name, so every shard of a
// job computes the same one: captures go, largest first (ties by name,
// then host), to the shard with the fewest bytes so far (ties: the lowest
// index).
func (s Shard) Select(paths []string) ([]string, error) {
	if s.Count <= 1 {
		return paths, nil
	}
	type input struct {
		i          int
		name, host string
		size       int64
	}
	hosts := sharedNameHosts(paths)
	in := make([]input, len(paths))
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("shard inputs: %w", err)
		}
		in[i] = input{i, Stem(p), hosts[p], st.Size()}
	}
	slices.SortFunc(in, func(a, b input) int {
		if c := cmp.Compare(b.size, a.size); c != 0 {
			return c
		}
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		return cmp.Compare(a.host, b.host)
	})
	load := make([]int64, s.Count)
	mine := make([]bool, len(paths))
	for _, x := range in {
		best := 0
		for k := range load {
			if load[k] < load[best] {
				best = k
			}
		}
		load[best] += x.size + 1 // +1: empty files spread too
		mine[x.i] = best == s.Index
	}
	var out []string
	for i, p := range paths {
		if mine[i] {
			out = append(out, p)
		}
	}
	return out, nil
}
