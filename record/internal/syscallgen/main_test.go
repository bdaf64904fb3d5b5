package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestGeneratedUpToDate fails when capture/scap/syscalls_x86_64.go is not
// what the generator writes from unistd_64.h (run go generate ./record).
func TestGeneratedUpToDate(t *testing.T) {
	f, err := os.Open("unistd_64.h")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls, err := parseUnistd(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(calls)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../capture/scap/syscalls_x86_64.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("capture/scap/syscalls_x86_64.go is stale: run go generate ./record")
	}
}

func TestParseUnistd(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Syscall
		wantErr string
	}{
		{
			name: "sorted by number",
			in:   "#ifndef X\n#define __NR_write 1\n#define __NR_read 0\n#endif\n",
			want: []Syscall{{0, "read"}, {1, "write"}},
		},
		{
			name:    "number defined twice",
			in:      "#define __NR_read 0\n#define __NR_other 0\n",
			wantErr: "line 2: syscall 0 defined as read and other",
		},
		{
			name:    "no definitions",
			in:      "#define X 1\n",
			wantErr: "no __NR_ definitions",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseUnistd(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("parseUnistd error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseUnistd (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAgreesWithSystemHeader checks the committed unistd_64.h against the
// machine's kernel headers: a syscall number both define has the same name
// in both, and the system defines every number of the copy.
func TestAgreesWithSystemHeader(t *testing.T) {
	var sys []Syscall
	for _, p := range []string{"/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sys, err = parseUnistd(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		break
	}
	if sys == nil {
		testutil.SkipMissing(t, "asm/unistd_64.h not installed (linux-libc-dev)")
	}
	f, err := os.Open("unistd_64.h")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ours, err := parseUnistd(f)
	if err != nil {
		t.Fatal(err)
	}
	byNr := map[uint32]string{}
	for _, c := range sys {
		byNr[c.Nr] = c.Name
	}
	for _, c := range ours {
		if name, ok := byNr[c.Nr]; !ok {
			t.Errorf("syscall %d (%s) is not in the system header", c.Nr, c.Name)
		} else if name != c.Name {
			t.Errorf("syscall %d is %s in unistd_64.h and %s in the system header", c.Nr, c.Name, name)
		}
	}
}
