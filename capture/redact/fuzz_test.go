package redact

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseKinds checks that ParseKinds accepts exactly the lists of
// known kinds and that List gives back an accepted list.
func FuzzParseKinds(f *testing.F) {
	for _, s := range []string{"users,hosts,paths", "paths", " hosts , users", "", ",", "usrs", "users,,paths", "users,users"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKinds(s)
		if err != nil {
			if k.Any() {
				t.Fatalf("error %v with kinds %+v", err, k)
			}
			return
		}
		if !k.Any() {
			t.Fatalf("%q accepted with no kind", s)
		}
		for _, e := range strings.Split(s, ",") {
			if e = strings.TrimSpace(e); e != "users" && e != "hosts" && e != "paths" {
				t.Fatalf("%q accepted with entry %q", s, e)
			}
		}
		again, err := ParseKinds(strings.Join(k.List(), ","))
		if err != nil || again != k {
			t.Fatalf("List %v parses to %+v, %v", k.List(), again, err)
		}
	})
}

// FuzzParseKey checks that ParseKey returns a KeySize key or an error
// naming a line, and that FormatKey's text parses back to the key.
func FuzzParseKey(f *testing.F) {
	f.Add(FormatKey(bytes.Repeat([]byte{0xab}, KeySize)))
	f.Add([]byte("# c\n\n" + strings.Repeat("0f", KeySize) + "\n"))
	f.Add([]byte(strings.Repeat("0f", KeySize) + "\n" + strings.Repeat("0f", KeySize)))
	f.Add([]byte("xyz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		key, err := ParseKey(b)
		if err != nil {
			if key != nil {
				t.Fatal("key with an error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "line ") && !strings.HasPrefix(msg, "no key") {
				t.Fatalf("error names no line: %v", err)
			}
			return
		}
		if len(key) != KeySize {
			t.Fatalf("key of %d bytes", len(key))
		}
		again, err := ParseKey(FormatKey(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("FormatKey does not parse back: %v", err)
		}
	})
}

// FuzzPseudonymPath checks the pseudonymisation of text and paths
// against arbitrary input: no panic, a path's replacement keeps its
// separators and is the join of its parts' replacements (so relative
// paths and their directories agree), and a second pass changes nothing.
func FuzzPseudonymPath(f *testing.F) {
	for _, s := range []string{"/home/alice/projects/plan.txt", "projects/plan.txt", "/proc/sys/vm", "ssh alice@web1 -p 22",
		"HOME=/home/alice:/usr/bin", "../alice/./x", "//", "", "\xff/alice", "/root/customers.csv"} {
		f.Add(s, "projects")
	}
	f.Fuzz(func(t *testing.T, s, learnt string) {
		r, err := New(Options{Pseudonymize: Kinds{Users: true, Hosts: true, Paths: true}, PseudonymKey: testKey})
		if err != nil {
			t.Fatal(err)
		}
		r.LearnHeader(testHeader())
		r.ps.learnPath("/home/x/" + learnt)
		r.ps.learnPath(s)
		r.ps.learnText(s)
		p := r.ps.pathString(s)
		if strings.Count(p, "/") != strings.Count(s, "/") {
			t.Fatalf("path %q → %q changes its separators", s, p)
		}
		if i := strings.LastIndexByte(s, '/'); i > 0 && !kernelTree(s) && !kernelTree(s[:i]) {
			if joined := r.ps.pathString(s[:i]) + "/" + r.ps.pathString(s[i+1:]); joined != p {
				t.Fatalf("path %q → %q, its parts → %q", s, p, joined)
			}
		}
		if again := r.ps.pathString(p); again != p {
			t.Fatalf("second pass %q → %q → %q", s, p, again)
		}
		txt := r.ps.textString(s)
		if again := r.ps.textString(txt); again != txt {
			t.Fatalf("second pass of text %q → %q → %q", s, txt, again)
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
	})
}
