package rules_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/hostile"
	"github.com/retrace-dev/retrace/rules"
)

// TestLoadSizeBounds checks the per-file and per-load bounds on rules
// bytes: files that each stay under the per-file bound but together pass
// the per-load one are refused, naming the file that crossed it, before
// the rest is read or decoded.
func TestLoadSizeBounds(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	quarter := rules.MaxLoadSize/4 + 1024
	var four []string
	for i := range 4 {
		four = append(four, write(fmt.Sprintf("list%d.yaml", i), hostile.LargeList(fmt.Sprintf("l%d", i), quarter)))
	}
	big := write("big.yaml", hostile.LargeList("big", rules.MaxFileSize+1))
	small := write("small.yaml", hostile.LargeList("small", 1000))
	tests := []struct {
		name  string
		paths []string
		file  string // the file the error names; "" for success
		want  string
	}{
		{"one file under the bounds", []string{small}, "", ""},
		{"four quarters", four, four[3], "past the 16777216 bytes (16 MiB) allowed together"},
		{"one file over its bound", []string{small, big}, big, "more than the 16777216 bytes (16 MiB) allowed per file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Load(tc.paths, largeOptions())
			checkSizeError(t, err, tc.file, tc.want)
			var files []rules.File
			for _, p := range tc.paths {
				data, rerr := os.ReadFile(p)
				if rerr != nil {
					t.Fatal(rerr)
				}
				files = append(files, rules.File{Name: p, Data: data})
			}
			_, err = rules.LoadFiles(files, largeOptions())
			checkSizeError(t, err, tc.file, tc.want)
		})
	}
}

func checkSizeError(t *testing.T, err error, file, want string) {
	t.Helper()
	if file == "" {
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		return
	}
	var le *rules.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 {
		t.Fatalf("load: %v, want one *rules.LoadError", err)
	}
	e := le.Errors[0]
	if e.Pos.File != file || !strings.Contains(e.Message, want) {
		t.Errorf("error at %s: %q\nwant at %s: %q", e.Pos.File, e.Message, file, want)
	}
}
