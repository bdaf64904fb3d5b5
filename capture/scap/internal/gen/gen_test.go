package main

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

func load(t *testing.T) ([]Event, []Table, []Dyn, []Syscall) {
	t.Helper()
	evs, err := ParseEvents("events.txt")
	if err != nil {
		t.Fatal(err)
	}
	tabs, dyns, err := ParseFlags("flags.txt")
	if err != nil {
		t.Fatal(err)
	}
	scs, err := ParseSyscalls("syscalls.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := check(evs, tabs, dyns); err != nil {
		t.Fatal(err)
	}
	return evs, tabs, dyns, scs
}

// TestGeneratedUpToDate fails when table_gen.go was not regenerated after
// a change to the data files (run go generate ./capture/scap).
func TestGeneratedUpToDate(t *testing.T) {
	evs, tabs, dyns, scs := load(t)
	want, err := render(evs, tabs, dyns, scs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../table_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("capture/scap/table_gen.go is stale: run go generate ./capture/scap")
	}
}

var mdRow = regexp.MustCompile(`^\| (\d+) \| (\w+) \| (\S+) \| ([EX]) \| ([A-Z_ ]+) \| (\d+) \| (.*) \|$`)

// TestAgreesWithReference checks events.txt against the generated reference
// table in ../shared (libs 48dfd53), field by field.
func TestAgreesWithReference(t *testing.T) {
	evs, _, _, _ := load(t)
	path := testutil.SharedFile(t, "reference", "scap-event-table.md")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		m := mdRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		rows++
		code, _ := strconv.Atoi(m[1])
		if code >= len(evs) {
			t.Errorf("%s:%d: code %d missing from events.txt", path, n, code)
			continue
		}
		e := evs[code]
		if "PPME_"+e.Enum != m[2] || e.Name != m[3] || string(e.Dir) != m[4] {
			t.Errorf("code %d: events.txt %s %s %c, reference %s %s %s", code, e.Enum, e.Name, e.Dir, m[2], m[3], m[4])
		}
		flags := strings.Join(e.Flags, " ")
		if flags == "" {
			flags = "NONE"
		}
		if flags != m[5] {
			t.Errorf("code %d flags: events.txt %q, reference %q", code, flags, m[5])
		}
		if np, _ := strconv.Atoi(m[6]); np != len(e.Params) {
			t.Errorf("code %d: %d params, reference %d", code, len(e.Params), np)
		}
		var ref []string
		if strings.TrimSpace(m[7]) != "" {
			ref = strings.Split(m[7], ", ")
		}
		for i, r := range ref {
			if i >= len(e.Params) {
				break
			}
			p := e.Params[i]
			want := p.Name + ":" + p.Type
			switch {
			case p.Table != "":
				want += "[" + p.Table + "]"
			case p.DirFD >= 0:
				want += "(rel to dirfd)"
			}
			if strings.TrimSpace(r) != want {
				t.Errorf("code %d param %d: events.txt %q, reference %q", code, i, want, r)
			}
		}
	}
	if rows != len(evs) {
		t.Errorf("reference has %d rows, events.txt %d", rows, len(evs))
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body string }{
		{"out of order", "1 A a E -\n"},
		{"bad dir", "0 A a Q -\n"},
		{"bad param", "0 A a E - nocolon\n"},
		{"no format", "0 A a E - x:INT8\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := dir + "/e.txt"
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ParseEvents(p); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"SYSCALL_OPENAT_2_X": "SyscallOpenatV2X",
		"SYSCALL_OPENAT2_X":  "SyscallOpenat2X",
		"GENERIC_E":          "GenericE",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%s) = %s, want %s", in, got, want)
		}
	}
}
