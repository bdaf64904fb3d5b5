package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/clobber"
)

// FileOptions configure [File].
type FileOptions struct {
	Options
	// Writer configures the copy (format from the output's name, signing
	// key, compression).
	Writer capture.WriterOptions
	// Tool names the program in the manifest, e.g. "retrace 0.1.0".
	Tool string
	// Now is the manifest's clock; nil means time.Now.
	Now func() time.Time
}

// File writes a redacted copy of the capture in to out (replaced only when
// complete) and returns its manifest. A damaged or truncated input gives
// a copy of what could be read and the reader's error, as
// capture.ConvertFile does.
func File(in, out string, opts FileOptions) (*capture.Redaction, error) {
	if err := clobber.Check(clobber.Paths("output", out), clobber.Paths("capture", in)); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	red, err := New(opts.Options)
	if err != nil {
		return nil, err
	}
	src, err := source(in)
	if err != nil {
		return nil, err
	}
	if opts.Pseudonymize.Any() {
		if err := learn(red, in); err != nil {
			return nil, err
		}
		// Files are often named after their host.
		src.Source = red.ps.textString(src.Source)
	}
	rd, err := capture.Open(in)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	h := rd.Header()
	red.Header(h)
	// md.Redaction, once red has seen the metadata, is the input's own
	// manifest when the input is a redacted copy: the new manifest keeps
	// it as its previous step.
	var md capture.Metadata
	var prev *capture.Redaction
	if h.Metadata != nil {
		md = *h.Metadata
		red.Metadata(&md)
		prev = md.Redaction
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	src.Tool, src.Time = opts.Tool, now().UTC()
	manifest := func() *capture.Redaction {
		m := red.Manifest()
		m.Tool, m.Time, m.Source, m.SourceSHA256, m.SourceStatus = src.Tool, src.Time, src.Source, src.SourceSHA256, src.SourceStatus
		m.SourceChain, m.SourceCheckpoint, m.SourceFinal, m.SourceKey = src.SourceChain, src.SourceCheckpoint, src.SourceFinal, src.SourceKey
		m.Previous = prev
		return &m
	}
	md.SigningKey = ""
	md.Redaction = manifest()
	wopts := opts.Writer
	wopts.Metadata = &md
	var readErr error
	err = capture.WriteFile(out, wopts, func(w *capture.Writer) error {
		if err := w.WriteHeader(h); err != nil {
			return err
		}
		for {
			ev, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				readErr = err
				break
			}
			raw, _ := red.Event(ev)
			if err := w.WriteEvent(rd.CPU(), rd.BlockFlags(), raw); err != nil {
				return fmt.Errorf("redact event of %s: %w", in, err)
			}
		}
		if err := red.Err(); err != nil {
			return err
		}
		// A capture whose metadata comes only at its end (a converted
		// one) is known complete once read.
		if fm := rd.Header().Metadata; fm != nil {
			md = *fm
			red.Metadata(&md)
			prev = md.Redaction
		}
		md.SigningKey = "" // the copy's own key, if any, is the writer's
		md.Redaction = manifest()
		w.SetMetadata(md)
		return readErr
	})
	if err != nil {
		return nil, err
	}
	return md.Redaction, readErr
}

// learn is the first pass of pseudonymisation: it shows red the header
// and every event of in. A read error ends it quietly: the second pass
// reports it.
func learn(red *Redactor, in string) error {
	rd, err := capture.Open(in)
	if err != nil {
		return err
	}
	defer rd.Close()
	red.LearnHeader(rd.Header())
	for {
		ev, err := rd.Next()
		if err != nil {
			break
		}
		red.LearnEvent(ev)
	}
	if md := rd.Header().Metadata; md != nil {
		red.ps.learnMetadata(md)
	}
	return nil
}

// source describes the original capture: its hash and, for a .scap.zst
// file with a hash chain, its last good checkpoint.
func source(in string) (capture.Redaction, error) {
	r := capture.Redaction{Source: filepath.Base(in)}
	f, err := capture.OpenFile(in)
	if err != nil {
		if capture.IsFileError(err) {
			return r, err
		}
		return r, fmt.Errorf("redact: %w", err)
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return r, fmt.Errorf("redact: read %s: %w", in, err)
	}
	r.SourceSHA256 = hex.EncodeToString(sum.Sum(nil))
	if capture.FormatFromName(in) != capture.FormatZstd {
		return r, nil
	}
	rep, err := capture.Verify(in, capture.VerifyOptions{})
	if err != nil {
		var ce *capture.CorruptError
		if errors.As(err, &ce) {
			return r, nil // the reader reports it
		}
		return r, err
	}
	for _, ck := range rep.Checkpoints {
		if int(ck.Number) != rep.LastCheckpoint {
			continue
		}
		num := int(ck.Number)
		r.SourceChain, r.SourceCheckpoint, r.SourceFinal = hex.EncodeToString(ck.Chain[:]), &num, ck.Final
		if ck.Key != "none" {
			r.SourceKey = ck.Key
		}
	}
	switch {
	case len(rep.Checkpoints) == 0 && len(rep.Findings) <= 1:
		r.SourceStatus = "no hash chain"
		return r, nil
	}
	switch rep.Verdict() {
	case capture.VerdictTampered:
		r.SourceStatus = "tampered or damaged"
	case capture.VerdictTruncated:
		r.SourceStatus = "truncated"
	case capture.VerdictUnsigned:
		r.SourceStatus = "intact chain (signature not checked against a trusted key)"
	default:
		r.SourceStatus = "intact"
	}
	return r, nil
}
