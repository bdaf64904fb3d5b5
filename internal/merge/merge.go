package merge

// Run yields one run's records in order.
type Run[T any] interface {
	// Next returns the next record; ok is false at the end.
	Next() (rec T, ok bool, err error)
}

// Slice is a run held in memory. Each record is let go once it is read.
type Slice[T any] struct{ recs []T }

// NewSlice returns a run of recs, which it owns.
func NewSlice[T any](recs []T) *Slice[T] { return &Slice[T]{recs: recs} }

// Next implements [Run].
func (s *Slice[T]) Next() (T, bool, error) {
	var zero T
	if len(s.recs) == 0 {
		return zero, false, nil
	}
	rec := s.recs[0]
	s.recs[0] = zero
	s.recs = s.recs[1:]
	return rec, true, nil
}

// Chan is a run fed by a producer, which closes it at the end.
type Chan[T any] chan T

// Next implements [Run].
func (c Chan[T]) Next() (T, bool, error) {
	rec, ok := <-c
	return rec, ok, nil
}

// head is a run's next record in the merge heap.
type head[T any] struct {
	rec T
	run int // ties go to the lower run
}

// Merge calls emit with the records of every run in the order of compare,
// ties in the order of runs, until all runs end. It stops at the first
// error of emit or of a run and returns it; producers of [Chan] runs then
// need their channels drained.
func Merge[T any](runs []Run[T], compare func(a, b T) int, emit func(T) error) error {
	h := make([]head[T], 0, len(runs))
	less := func(i, j int) bool {
		if c := compare(h[i].rec, h[j].rec); c != 0 {
			return c < 0
		}
		return h[i].run < h[j].run
	}
	// down restores the heap below i.
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i, r := range runs {
		rec, ok, err := r.Next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, head[T]{rec: rec, run: i})
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	var zero T
	for len(h) > 0 {
		if err := emit(h[0].rec); err != nil {
			return err
		}
		rec, ok, err := runs[h[0].run].Next()
		if err != nil {
			return err
		}
		if ok {
			h[0].rec = rec
		} else {
			last := len(h) - 1
			h[0] = h[last]
			h[last].rec = zero
			h = h[:last]
		}
		down(0)
	}
	return nil
}
