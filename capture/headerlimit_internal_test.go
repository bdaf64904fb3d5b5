package capture

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestHeaderLimit checks that a header of more known blocks than the
// reader keeps is a *LimitError naming the block that crosses the limit
// (with the limit lowered to 4 KiB, the size of a few user blocks), in
// every format.
func TestHeaderLimit(t *testing.T) {
	users := make([]User, 100)
	for i := range users {
		users[i] = User{UID: uint32(i), Name: strings.Repeat("u", 30), HomeDir: "/home", Shell: "/bin/sh"}
	}
	for _, f := range []Format{FormatScap, FormatGzip, FormatZstd} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, "big", WriterOptions{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if err := w.WriteBlock(AppendUsers(nil, users, nil)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = newReader(bytes.NewReader(buf.Bytes()), "big", ReaderOptions{maxHeader: 4 << 10}, nil)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("newReader: %v, want a *LimitError", err)
			}
			if want := "big: header (the blocks before the first event) at offset "; !strings.HasPrefix(err.Error(), want) ||
				!strings.HasSuffix(err.Error(), " is larger than the 4096 bytes limit") {
				t.Errorf("error %q, want %q...%q", err, want, " is larger than the 4096 bytes limit")
			}
		})
	}
}
