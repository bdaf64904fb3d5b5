package replay

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

func TestReplayFileErrors(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.scap")
	src, err := os.ReadFile(testutil.SharedFile(t, "captures", "falco_test_empty.scap"))
	if err != nil {
		testutil.SkipMissing(t, "%v", err)
	}
	if err := os.WriteFile(truncated, src[:len(src)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	tests := []struct {
		name    string
		path    string
		handler Handler
		wantErr error
		state   bool
	}{
		{name: "missing file", path: filepath.Join(dir, "nope.scap"), wantErr: os.ErrNotExist},
		{name: "truncated file", path: truncated, state: true},
		{name: "handler stops", path: testutil.SharedFile(t, "captures", "falco_cat_write.scap"),
			handler: func(*Event) error { return stop }, wantErr: stop, state: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReplayFile(context.Background(), tc.path, Options{}, tc.handler)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if (s != nil) != tc.state {
				t.Errorf("state returned: %v, want %v", s != nil, tc.state)
			}
		})
	}
}

func TestReplayCanceled(t *testing.T) {
	s, err := ReplayFile(context.Background(), testutil.SharedFile(t, "captures", "falco_cat_write.scap"), Options{},
		func(e *Event) error {
			if e.Num == 10 {
				return ErrStop
			}
			return nil
		})
	if err != nil || s.Stats().Events != 10 {
		t.Errorf("ErrStop: err %v after %d events, want nil after 10", err, s.Stats().Events)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ReplayFile(ctx, testutil.SharedFile(t, "captures", "falco_cat_write.scap"), Options{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
