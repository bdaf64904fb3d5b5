package replay

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/retrace-dev/retrace/capture"
)

// Handler receives every event of a replay, after the state has been
// updated with it. Returning an error stops the replay of that capture
// ([ErrStop] stops it without an error).
type Handler func(e *Event) error

// ReplayReader applies every event of r to a new State, calling fn for
// each. It returns the state at the end of the capture. A capture that
// ends early returns the state so far and the reader's error. Events the
// reader lost to damage are marked as gaps in the state (see
// [State.MarkGap]) before the first event after them.
func ReplayReader(ctx context.Context, r *capture.Reader, opts Options, fn Handler) (*State, error) {
	s := NewState(opts)
	s.LoadHeader(r.Header())
	err := s.Replay(ctx, r, fn)
	if errors.Is(err, ErrStop) {
		err = nil
	}
	return s, err
}

// Replay applies every event of r to s, calling fn for each: the events of
// a capture whose header s has loaded (see [State.LoadHeader] and, for the
// later files of a rotated set, [State.LoadLaterHeader]). Errors are as
// ReplayReader's, but a handler's [ErrStop] is returned.
func (s *State) Replay(ctx context.Context, r *capture.Reader, fn Handler) error {
	damage := 0
	for n := 0; ; n++ {
		if n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ev, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nameError(r.Name(), err)
		}
		if d := r.Damage(); len(d) > damage {
			markGaps(s, d[damage:])
			damage = len(d)
		}
		e := s.Apply(ev, r.BlockFlags()&capture.FlagStateOnly != 0)
		e.CPU, e.Frame, e.Capture = r.CPU(), r.Frame(), r.Name()
		if fn != nil {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
}

// markGaps marks the damage that lost events as gaps.
func markGaps(s *State, ds []capture.Damage) {
	for _, d := range ds {
		if (d.Kind == capture.DamageFrame || d.Kind == capture.DamageBlock) && d.Lost() {
			s.MarkGap(Gap{Frame: d.Frame, Offset: d.Offset, Events: d.Events, EventsKnown: d.EventsKnown})
		}
	}
}

// nameError wraps a read error of the capture called name with it, unless
// the error names the file already (the capture package's typed errors do).
func nameError(name string, err error) error {
	if capture.IsFileError(err) {
		return err
	}
	return fmt.Errorf("replay %s: %w", name, err)
}

// ReplayFile opens the capture at path and replays it (see ReplayReader).
func ReplayFile(ctx context.Context, path string, opts Options, fn Handler) (*State, error) {
	r, err := capture.Open(path)
	if err != nil {
		return nil, nameError(path, err)
	}
	defer r.Close()
	return ReplayReader(ctx, r, opts, fn)
}

// ErrStop may be returned by a Handler to end a replay early; the replay
// then returns the state so far and no error.
var ErrStop = errors.New("stop replay")
