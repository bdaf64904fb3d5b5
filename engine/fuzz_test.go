package engine_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/retrace-dev/retrace/engine"
)

// FuzzParse checks that the parser never panics and that the text form of
// every parsed condition parses back to the same tree. Seeds: every
// condition of the upstream Falco rule files (testdata/fuzz/FuzzParse).
func FuzzParse(f *testing.F) {
	f.Add("proc.name = cat and not (fd.name startswith /etc or evt.type in (open, openat))")
	f.Add(`proc.args contains "\\" and tolower(proc.name) = val(proc.pname)`)
	f.Fuzz(func(t *testing.T, text string) {
		n, err := engine.Parse(text, engine.ParseOptions{MaxDepth: 200, MaxNodes: 10000})
		if err != nil {
			if _, ok := err.(*engine.Error); !ok {
				t.Fatalf("error %v is %T, want *engine.Error", err, err)
			}
			return
		}
		s := n.String()
		n2, err := engine.Parse(s, engine.ParseOptions{MaxDepth: 1000, MaxNodes: 20000})
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", s, text, err)
		}
		if s2 := n2.String(); s2 != s {
			t.Fatalf("reparse changed the tree: %q -> %q", s, s2)
		}
	})
}

// compileSeeds are the FuzzCompile seeds (also written to
// testdata/fuzz/FuzzCompile with -genseeds).
var compileSeeds = []string{
	"proc.name = cat and proc.pid > 10",
	"evt.type in (open, openat) and not fd.name pmatch (/etc, /var)",
	"fd.net = 10.0.0.0/8 or fd.sip in (::1, 127.0.0.1)",
	"proc.aname[2] glob 's*' and proc.aname = bash",
	"evt.buffer bcontains 48545450 and evt.is_open_read = true",
	"len(tolower(proc.cmdline)) >= 3 and proc.cmdline icontains val(proc.name)",
	"fd.types intersects (ipv4) and evt.rawres < -1 and thread.cpu > 0.5",
	"proc.name regex 'c[a-z]+' and basename(proc.exepath) = cat",
	"not evt.arg.flags contains O_RDONLY and evt.arg[0] exists and proc.env[HOME] startswith /",
	"evt.num = 0 or evt.type != close",
}

// FuzzCompile checks that compiling and evaluating any condition against
// the fake registry never panics, and that compile errors are *engine.Error.
func FuzzCompile(f *testing.F) {
	for _, s := range compileSeeds {
		f.Add(s)
	}
	ev := sampleEvent()
	f.Fuzz(func(t *testing.T, text string) {
		n, err := engine.Parse(text, engine.ParseOptions{MaxDepth: 200, MaxNodes: 10000})
		if err != nil {
			return
		}
		c, _, err := engine.Compile(n, text, testOpts)
		if err != nil {
			if _, ok := err.(*engine.Error); !ok {
				t.Fatalf("compile error %v is %T, want *engine.Error", err, err)
			}
			return
		}
		c.Eval(ev)
		if fm, err := engine.CompileFormat(text, testOpts); err == nil {
			fm.Append(nil, ev)
			fm.AppendJSONFields(nil, ev)
		}
	})
}

func TestWriteCompileSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("run with -genseeds to regenerate testdata/fuzz/FuzzCompile")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzCompile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range compileSeeds {
		sum := sha256.Sum256([]byte(s))
		body := "go test fuzz v1\nstring(" + strconv.Quote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%x", sum[:8])), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
