package capture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ConvertFile copies every block of the capture in into a new file out,
// in the format out's name selects ([FormatFromName]), with opts' level
// and frame size. out is written to a temporary file beside it and renamed
// when complete, so a reader never sees half of it. When in is truncated or
// damaged, out is still completed with what could be read, and the
// *TruncatedError or *DamagedError is returned with the number of event
// blocks written.
func ConvertFile(in, out string, opts WriterOptions) (int64, error) {
	if a, b := filepath.Clean(in), filepath.Clean(out); a == b {
		return 0, fmt.Errorf("convert %s: output is the input file", in)
	}
	r, err := Open(in)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		if st, serr := os.Stat(filepath.Dir(out)); serr != nil || !st.IsDir() {
			return 0, fmt.Errorf("create output %s: directory %s does not exist", out, filepath.Dir(out))
		}
		return 0, fmt.Errorf("create output %s: %w", out, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name()) // after the rename this fails harmlessly
	opts.Format = FormatFromName(out)
	w, err := NewWriter(tmp, out, opts)
	if err != nil {
		tmp.Close()
		return 0, err
	}
	n, copyErr := Copy(w, r)
	var te *TruncatedError
	var de *DamagedError
	if copyErr != nil && !errors.As(copyErr, &te) && !errors.As(copyErr, &de) {
		w.Close()
		tmp.Close()
		return n, copyErr
	}
	if err := w.Close(); err != nil {
		tmp.Close()
		return n, err
	}
	if err := tmp.Close(); err != nil {
		return n, fmt.Errorf("close output: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return n, fmt.Errorf("chmod output: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return n, fmt.Errorf("rename output: %w", err)
	}
	return n, copyErr
}
