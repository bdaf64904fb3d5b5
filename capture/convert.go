package capture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/retrace-dev/retrace/internal/clobber"
)

// WriteFile creates the capture file path, in the format its name selects
// ([FormatFromName]) with opts' level and frame size: fill writes the
// blocks into a temporary file beside path, which replaces path only when
// complete, so no reader ever sees half a file. When fill returns a
// *TruncatedError or *DamagedError (it read a damaged source), what it
// wrote is still completed and the error is returned; any other error
// leaves path untouched.
func WriteFile(path string, opts WriterOptions, fill func(*Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		if st, serr := os.Stat(filepath.Dir(path)); serr != nil || !st.IsDir() {
			return fmt.Errorf("create output %s: directory %s does not exist", path, filepath.Dir(path))
		}
		return fmt.Errorf("create output %s: %w", path, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name()) // after the rename this fails harmlessly
	opts.Format = FormatFromName(path)
	w, err := NewWriter(tmp, path, opts)
	if err != nil {
		tmp.Close()
		return err
	}
	fillErr := fill(w)
	var te *TruncatedError
	var de *DamagedError
	if fillErr != nil && !errors.As(fillErr, &te) && !errors.As(fillErr, &de) {
		w.Close()
		tmp.Close()
		return fillErr
	}
	if err := w.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close output %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod output %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename output %s: %w", path, err)
	}
	return fillErr
}

// ConvertFile copies every block of the capture in into a new file out
// (see [WriteFile]), and returns the number of event blocks written; out
// must not be in (see [clobber.Check]). When
// in is truncated or damaged, out is still completed with what could be
// read, and the *TruncatedError or *DamagedError is returned.
func ConvertFile(in, out string, opts WriterOptions) (int64, error) {
	if err := clobber.Check(clobber.Paths("output", out), clobber.Paths("capture", in)); err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	r, err := Open(in)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var n int64
	err = WriteFile(out, opts, func(w *Writer) error {
		var err error
		n, err = Copy(w, r)
		return err
	})
	return n, err
}
