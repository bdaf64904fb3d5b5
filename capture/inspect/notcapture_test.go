package inspect

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDescribeNotACapture describes files that are not captures: the text
// names what each is, once, without an empty format line.
func TestDescribeNotACapture(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.scap")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"text", write("notes.scap", "some notes\n"), "size:        11 bytes\nstatus:      DIR/notes.scap: not a capture: a text file\n"},
		{"empty", write("empty.scap", ""), "size:        0 bytes\nstatus:      DIR/empty.scap: not a capture: an empty file\n"},
		{"fifo", fifo, "size:        0 bytes\nstatus:      DIR/fifo.scap: not a capture: a named pipe (FIFO)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Describe(tc.path, nil)
			if err == nil || d == nil {
				t.Fatalf("Describe: %v, %v", d, err)
			}
			var b strings.Builder
			d.WriteText(&b)
			want := "file:        " + tc.path + "\n" + strings.ReplaceAll(tc.want, "DIR", dir)
			if b.String() != want {
				t.Errorf("text\n%s\nwant\n%s", b.String(), want)
			}
		})
	}
}
