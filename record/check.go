package record

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/retrace-dev/retrace/internal/suggest"
)

// Check refuses, before anything is loaded, options that cannot mean
// anything or would destroy evidence: no output, an existing output
// without Force, OnlyCommand without a command, negative limits, an
// unknown snapshot scope or the command scope without a command, and
// rotation limits that do not fit together. Messages name retrace
// record's flags.
func (o *Options) Check() error {
	switch {
	case o.Output == "":
		return errors.New("-o FILE is required")
	case o.OnlyCommand && len(o.Command) == 0:
		return errors.New("--only-command needs a command after -- (retrace record -o F --only-command -- CMD ARGS...); without one it would record the whole host")
	case o.MaxSize < 0:
		return fmt.Errorf("--max-size %d: want a size in bytes, 0 for no limit", o.MaxSize)
	case o.Duration < 0:
		return fmt.Errorf("--duration %s: want a positive duration, 0 for no limit", o.Duration)
	}
	if err := o.checkScope(); err != nil {
		return err
	}
	if err := o.checkOutput(); err != nil {
		return err
	}
	if _, err := os.Lstat(o.Output); err == nil && !o.Force && !o.rotating() {
		return fmt.Errorf("%s exists; refusing to replace it (use --force, or another name)", o.Output)
	}
	return nil
}

// checkScope checks SnapshotScope: a known scope, and a command for the
// command scope.
func (o *Options) checkScope() error {
	names := make([]string, len(SnapshotScopes))
	for i, s := range SnapshotScopes {
		names[i] = string(s)
	}
	switch {
	case o.SnapshotScope == "":
	case !slices.Contains(SnapshotScopes, o.SnapshotScope):
		return fmt.Errorf("--snapshot-scope %q: want %s%s", o.SnapshotScope, strings.Join(names, " or "), suggest.DidYouMean(string(o.SnapshotScope), names))
	case o.SnapshotScope == SnapshotCommand && len(o.Command) == 0:
		return errors.New("--snapshot-scope command needs a command after -- (the snapshot would list only the recorder)")
	}
	return nil
}

// checkOutput checks the rotation and ring limits.
func (o *Options) checkOutput() error {
	switch {
	case o.RotateSize < 0 || o.RotateTime < 0 || o.Keep < 0 || o.RingDuration < 0 || o.RingSize < 0:
		return errors.New("--rotate-size, --rotate-time, --keep and --ring must not be negative")
	case o.RingDuration > 0 && o.RingSize > 0:
		return errors.New("--ring is a duration or a size, not both")
	case o.Keep > 0 && !o.rotating():
		return errors.New("--keep needs --rotate-size or --rotate-time")
	case o.Keep > 0 && (o.RingDuration > 0 || o.RingSize > 0):
		return errors.New("--keep and --ring do not go together: a ring keeps its own files")
	}
	return nil
}

// rotating reports whether the options ask for a rotated set.
func (o *Options) rotating() bool {
	return o.RotateSize > 0 || o.RotateTime > 0 || o.RingDuration > 0 || o.RingSize > 0
}

// SetRotation sets RotateSize and the ring from retrace record's
// --rotate-size and --ring values (empty: not given); see [ParseSize]
// and [ParseRing].
func (o *Options) SetRotation(rotateSize, ring string) error {
	var err error
	if rotateSize != "" {
		if o.RotateSize, err = ParseSize(rotateSize); err != nil {
			return fmt.Errorf("--rotate-size: %w", err)
		}
	}
	if ring != "" {
		if o.RingDuration, o.RingSize, err = ParseRing(ring); err != nil {
			return fmt.Errorf("--ring: %w", err)
		}
	}
	return nil
}
