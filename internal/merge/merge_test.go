package merge

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestMain fails the run when the tests leave goroutines or file
// descriptors behind.
func TestMain(m *testing.M) { testutil.Main(m) }

// rec is a test record: its key and where it came from.
type rec struct {
	key  uint64
	name string
}

func compareRecs(a, b rec) int { return cmp.Compare(a.key, b.key) }

// recCodec spills a rec as its key, then its name.
var recCodec = Codec[rec]{
	Append: func(dst []byte, r rec) []byte { return append(binary.AppendUvarint(dst, r.key), r.name...) },
	Decode: func(b []byte) (rec, error) {
		k, n := binary.Uvarint(b)
		if n <= 0 {
			return rec{}, errors.New("bad key")
		}
		return rec{key: k, name: string(b[n:])}, nil
	},
}

// runsOf returns runs of keys, run i's records named "i:j" for its j-th.
func runsOf(keys ...[]uint64) [][]rec {
	runs := make([][]rec, len(keys))
	for i, ks := range keys {
		for j, k := range ks {
			runs[i] = append(runs[i], rec{key: k, name: fmt.Sprintf("%d:%d", i, j)})
		}
	}
	return runs
}

// asRuns turns recs into runs held as kind: "slice", "chan" (fed by a
// goroutine each) or "spill" (all in one spill file in dir).
func asRuns(t *testing.T, kind, dir string, recs [][]rec) []Run[rec] {
	t.Helper()
	runs := make([]Run[rec], len(recs))
	switch kind {
	case "slice":
		for i, r := range recs {
			runs[i] = NewSlice(slices.Clone(r))
		}
	case "chan":
		for i, r := range recs {
			c := make(Chan[rec])
			go func() {
				defer close(c)
				for _, x := range r {
					c <- x
				}
			}()
			runs[i] = c
		}
	case "spill":
		sp, err := NewSpill(dir, "merge-test-*", recCodec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sp.Close() })
		for i, r := range recs {
			start := sp.Offset()
			for _, x := range r {
				if err := sp.Write(x); err != nil {
					t.Fatal(err)
				}
			}
			runs[i] = sp.Run(start, sp.Offset())
		}
		if err := sp.Flush(); err != nil {
			t.Fatal(err)
		}
		if left, err := os.ReadDir(dir); err != nil || len(left) > 0 {
			t.Errorf("spill directory holds %v (%v), want nothing: the spill is unlinked", left, err)
		}
	}
	return runs
}

// TestMerge checks the order of a merge, ties in the order of the runs,
// over runs in memory, fed through channels and read back from a spill.
func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs [][]rec
		want []string
	}{
		{"no runs", nil, nil},
		{"empty runs", runsOf(nil, nil), nil},
		{"one run", runsOf([]uint64{1, 2, 3}), []string{"0:0", "0:1", "0:2"}},
		{"interleaved", runsOf([]uint64{1, 4, 9}, []uint64{2, 3, 10}, nil, []uint64{0}),
			[]string{"3:0", "0:0", "1:0", "1:1", "0:1", "0:2", "1:2"}},
		{"ties in run order", runsOf([]uint64{5, 5}, []uint64{5}, []uint64{1, 5}),
			[]string{"2:0", "0:0", "0:1", "1:0", "2:1"}},
		{"an empty record", [][]rec{{{key: 0}}, {{key: 0, name: "x"}}}, []string{"", "x"}},
	} {
		for _, kind := range []string{"slice", "chan", "spill"} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				var got []string
				err := Merge(asRuns(t, kind, t.TempDir(), tc.runs), compareRecs, func(r rec) error {
					got = append(got, r.name)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(tc.want, got); diff != "" {
					t.Errorf("merged (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestMergeErrors checks that an emit error stops the merge at once and is
// returned, and that a run that cannot be read back fails it.
func TestMergeErrors(t *testing.T) {
	stop := errors.New("stop")
	t.Run("emit", func(t *testing.T) {
		n := 0
		err := Merge(asRuns(t, "slice", "", runsOf([]uint64{1, 2}, []uint64{3})), compareRecs, func(rec) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("%d emitted, error %v; want 1, %v", n, err, stop)
		}
	})
	for _, tc := range []struct {
		name   string
		decode func([]byte) (rec, error)
		cut    int64 // bytes cut from the run's end
		want   string
	}{
		{"truncated", recCodec.Decode, 1, "read merge file: unexpected EOF"},
		{"undecodable", func([]byte) (rec, error) { return rec{}, errors.New("bad") }, 0, "read merge file: bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := NewSpill(t.TempDir(), "merge-test-*", Codec[rec]{Append: recCodec.Append, Decode: tc.decode})
			if err != nil {
				t.Fatal(err)
			}
			defer sp.Close()
			if err := sp.Write(rec{key: 1, name: "abc"}); err != nil {
				t.Fatal(err)
			}
			if err := sp.Flush(); err != nil {
				t.Fatal(err)
			}
			err = Merge([]Run[rec]{sp.Run(0, sp.Offset()-tc.cut)}, compareRecs, func(rec) error { return nil })
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
