package forward

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFile(t *testing.T) {
	for _, tc := range []struct {
		name                string
		keepAlive, buffered bool
	}{{"reopen", false, false}, {"keep alive", true, false}, {"keep alive buffered", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.txt")
			os.WriteFile(path, []byte("before\n"), 0o644)
			f := New([]Channel{NewFile(path, tc.keepAlive, tc.buffered)}, Policy{})
			for _, l := range []string{"one", "two", "three"} {
				f.Send([]byte(l))
			}
			st := f.Close(context.Background())[0]
			got, _ := os.ReadFile(path)
			if string(got) != "before\none\ntwo\nthree\n" || st.Delivered != 3 || st.LastErr != nil {
				t.Errorf("file %q, stats %+v", got, st)
			}
		})
	}
}

func TestFileUnwritable(t *testing.T) {
	f := New([]Channel{NewFile(filepath.Join(t.TempDir(), "no", "dir", "x.txt"), false, false)},
		Policy{Attempts: 2, Backoff: time.Millisecond})
	f.Send([]byte("x"))
	st := f.Close(context.Background())[0]
	if st.Failed != 1 || st.Retries != 1 || st.LastErr == nil || !strings.Contains(st.LastErr.Error(), "open output file") {
		t.Errorf("stats %+v", st)
	}
}

// TestProgram runs real programs, as program_output does: one per alert,
// or one kept alive for all.
func TestProgram(t *testing.T) {
	tests := []struct {
		name      string
		command   string
		keepAlive bool
		want      string
		delivered uint64
		err       string
	}{
		{"one per alert", "cat >> $OUT", false, "a\nb\nc\n", 3, ""},
		{"kept alive", "cat > $OUT", true, "a\nb\nc\n", 3, ""},
		{"kept alive counts lines", "wc -l > $OUT", true, "3\n", 3, ""},
		{"failing program", "cat > /dev/null; exit 3", false, "", 0, "exit status 3"},
		{"kept alive exits badly", "cat > $OUT; exit 4", true, "a\nb\nc\n", 3, "exit status 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.txt")
			t.Setenv("OUT", out)
			var stdout, stderr bytes.Buffer
			ch := NewProgram(tc.command, tc.keepAlive, false, &stdout, &stderr)
			f := New([]Channel{ch}, Policy{Attempts: 2, Backoff: time.Millisecond})
			for _, l := range []string{"a", "b", "c"} {
				f.Send([]byte(l))
			}
			st := f.Close(context.Background())[0]
			got, _ := os.ReadFile(out)
			if tc.want != "" && strings.TrimLeft(string(got), " ") != tc.want {
				t.Errorf("program read %q, want %q", got, tc.want)
			}
			if st.Delivered != tc.delivered {
				t.Errorf("delivered %d, want %d (%+v)", st.Delivered, tc.delivered, st)
			}
			if (tc.err == "") != (st.LastErr == nil) || st.LastErr != nil && !strings.Contains(st.LastErr.Error(), tc.err) {
				t.Errorf("error %v, want %q", st.LastErr, tc.err)
			}
		})
	}
}
