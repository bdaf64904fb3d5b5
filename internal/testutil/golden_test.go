package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setUpdate sets the -update flag for the rest of the test.
func setUpdate(t *testing.T, v bool) {
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

func TestGolden(t *testing.T) {
	t.Run("reads", func(t *testing.T) {
		setUpdate(t, false)
		path := filepath.Join(t.TempDir(), "a.golden")
		if err := os.WriteFile(path, []byte("want\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var f fakeTB
		if got := Golden(&f, path, []byte("got\n")); string(got) != "want\n" || f.failed != "" {
			t.Errorf("Golden = %q, failed %q; want the file's content", got, f.failed)
		}
	})
	t.Run("missing", func(t *testing.T) {
		setUpdate(t, false)
		path := filepath.Join(t.TempDir(), "a.golden")
		var f fakeTB
		if got := Golden(&f, path, []byte("got\n")); got != nil || !strings.Contains(f.failed, "run go test -update") {
			t.Errorf("Golden = %q, failed %q; want nil and a note to run go test -update", got, f.failed)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("Golden without -update created %s", path)
		}
	})
	t.Run("update", func(t *testing.T) {
		setUpdate(t, true)
		path := filepath.Join(t.TempDir(), "new", "dir", "a.golden")
		var f fakeTB
		if got := Golden(&f, path, []byte("got\n")); string(got) != "got\n" || f.failed != "" {
			t.Errorf("Golden -update = %q, failed %q; want what it wrote", got, f.failed)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "got\n" {
			t.Errorf("%s holds %q, %v; want got", path, b, err)
		}
	})
}
