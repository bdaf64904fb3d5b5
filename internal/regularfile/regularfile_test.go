package regularfile_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/internal/regularfile"
)

// TestOpen opens a regular file, a symbolic link to one, and things that
// are not regular files, a FIFO without a writer among them, which must
// not block.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(file, []byte("- list: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := []struct {
		name, path, want string
	}{
		{"regular file", file, ""},
		{"symbolic link", link, ""},
		{"fifo without a writer", fifo, fifo + ": not a regular file: a named pipe (FIFO)"},
		{"directory", dir, dir + ": not a regular file: a directory"},
		{"socket", sock, ""}, // open(2) of a socket fails with ENXIO
		{"character device", "/dev/null", "/dev/null: not a regular file: a character device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, err := regularfile.Open(tc.path)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Open(%s) blocked", tc.path)
			}
			var ne *regularfile.NotRegularError
			switch {
			case tc.name == "socket":
				if err == nil {
					t.Fatalf("Open(socket) succeeded")
				}
			case tc.want == "" && err != nil:
				t.Fatalf("Open: %v", err)
			case tc.want != "" && !errors.As(err, &ne):
				t.Fatalf("Open: %v, want a *NotRegularError", err)
			case tc.want != "" && err.Error() != tc.want:
				t.Errorf("Open: %q, want %q", err, tc.want)
			}
		})
	}
}
