package capturepaths_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/internal/capturepaths"
)

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestExpand checks files, directories, symlinks (followed, loops an
// error) and directories without captures (an error naming them).
func TestExpand(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []string
		wantErr string
	}{
		{name: "regular files", setup: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "a.scap"))
			write(t, filepath.Join(dir, "b.scap.zst"))
			write(t, filepath.Join(dir, "notes.txt"))
		}, want: []string{"a.scap", "b.scap.zst"}},
		{name: "symlink to a capture", setup: func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "real.scap")
			write(t, target)
			link(t, target, filepath.Join(dir, "c.scap"))
		}, want: []string{"c.scap"}},
		{name: "symlink to a directory is not a capture", setup: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "a.scap"))
			link(t, t.TempDir(), filepath.Join(dir, "d.scap"))
		}, want: []string{"a.scap"}},
		{name: "symlink loop", setup: func(t *testing.T, dir string) {
			link(t, filepath.Join(dir, "y.scap"), filepath.Join(dir, "x.scap"))
			link(t, filepath.Join(dir, "x.scap"), filepath.Join(dir, "y.scap"))
		}, wantErr: "too many levels of symbolic links"},
		{name: "empty directory", setup: func(t *testing.T, dir string) {}, wantErr: "no .scap, .scap.gz or .scap.zst files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			got, err := capturepaths.Expand([]string{dir}, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, dir, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range tc.want {
				want = append(want, filepath.Join(dir, n))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpandArguments checks patterns, list files, stdin lists and
// duplicates, and that each error names what failed.
func TestExpandArguments(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"h1/a.scap.zst", "h1/b.scap", "h2/c.scap.zst", "h2/deep/d.scap.zst", "notes.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, p))
	}
	j := func(p string) string { return filepath.Join(dir, p) }
	list := j("list.txt")
	if err := os.WriteFile(list, []byte("# hosts\n\n"+j("h1/b.scap")+"\n  "+j("h2")+"  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := j("bad.txt")
	if err := os.WriteFile(bad, []byte(j("h1/a.scap.zst")+"\n"+j("nope/*.scap")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	comments := j("comments.txt")
	if err := os.WriteFile(comments, []byte("# nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		want    []string
		wantErr string
	}{
		{name: "pattern", args: []string{j("h*/*.scap.zst")}, want: []string{j("h1/a.scap.zst"), j("h2/c.scap.zst")}},
		{name: "any depth", args: []string{j("**/*.zst")}, want: []string{j("h1/a.scap.zst"), j("h2/c.scap.zst"), j("h2/deep/d.scap.zst")}},
		{name: "alternatives", args: []string{j("h{1,2}/[ac].scap.zst")}, want: []string{j("h1/a.scap.zst"), j("h2/c.scap.zst")}},
		{name: "pattern of directories", args: []string{j("h?")}, want: []string{j("h1/a.scap.zst"), j("h1/b.scap"), j("h2/c.scap.zst")}},
		{name: "list file", args: []string{"@" + list}, want: []string{j("h1/b.scap"), j("h2/c.scap.zst")}},
		{name: "stdin list", args: []string{"-"}, stdin: j("h2/deep/d.scap.zst") + "\n" + j("h1/*.scap") + "\n", want: []string{j("h2/deep/d.scap.zst"), j("h1/b.scap")}},
		{name: "each file once", args: []string{j("h1/b.scap"), j("h1"), "@" + list}, want: []string{j("h1/b.scap"), j("h1/a.scap.zst"), j("h2/c.scap.zst")}},
		{name: "pattern matching nothing", args: []string{j("h3/*.scap")}, wantErr: `capture pattern "` + j("h3/*.scap") + `" matches no file`},
		{name: "malformed pattern", args: []string{j("h1/[a.scap")}, wantErr: `capture pattern "` + j("h1/[a.scap") + `": malformed`},
		{name: "missing file", args: []string{j("h1/z.scap")}, wantErr: "open capture: stat " + j("h1/z.scap") + ": no such file or directory"},
		{name: "missing list", args: []string{"@" + j("none.txt")}, wantErr: "read capture list: open " + j("none.txt")},
		{name: "bad line", args: []string{"@" + bad}, wantErr: "capture list " + bad + " line 2: capture pattern \"" + j("nope/*.scap") + "\" matches no file"},
		{name: "list without paths", args: []string{"@" + comments}, wantErr: "read capture list " + comments + ": no path in it"},
		{name: "empty stdin", args: []string{"-"}, stdin: "", wantErr: "read capture list stdin: no path in it"},
		{name: "stdin twice", args: []string{"-", "-"}, stdin: j("h1/b.scap"), wantErr: `"-" given twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := capturepaths.Expand(tc.args, strings.NewReader(tc.stdin))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNames checks which arguments name captures.
func TestNames(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.scap"))
	for _, tc := range []struct {
		arg  string
		want bool
	}{
		{filepath.Join(dir, "a.scap"), true},
		{dir, true},
		{"-", true},
		{"@" + filepath.Join(dir, "a.scap"), true},
		{"@" + filepath.Join(dir, "none"), false},
		{"@" + dir, false},
		{filepath.Join(dir, "*.scap"), true},
		{filepath.Join(dir, "*.zst"), false},
		{"proc.name=cat", false},
		{"evt.type in (open)", false},
	} {
		if got := capturepaths.Names(tc.arg); got != tc.want {
			t.Errorf("Names(%q) = %v, want %v", tc.arg, got, tc.want)
		}
	}
}
