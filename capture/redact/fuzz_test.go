package redact

import (
	"bytes"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
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

// FuzzRedactEvent redacts arbitrary events with every option and
// pseudonyms: no panic, and the result decodes as an event of the same
// type, time, thread and number of parameters.
func FuzzRedactEvent(f *testing.F) {
	f.Add(scap.AppendEvent(nil, 4, 7, scap.SocketConnectX, scap.EncInt64(0), scap.EncSockTupleUnix(1, 2, "/home/bob/.gnupg/S"),
		scap.EncInt64(3), scap.EncSockAddrUnix("/run/S-bob")))
	f.Add(scap.AppendEvent(nil, 2, 7, scap.UserAddedE, scap.EncUint32(1002), scap.EncUint32(1002), []byte("bob\x00"),
		[]byte("/home/bob\x00"), []byte("/bin/sh\x00"), []byte("\x00")))
	f.Add(scap.AppendEvent(nil, 3, -1, scap.ContainerJsonV2E, []byte(`{"container":{"id":"abc","Mounts":[{"Source":"/home/bob/x"}]}}`+"\x00")))
	f.Add(scap.AppendEvent(nil, 1, 7, scap.SyscallOpenatV2X, scap.EncInt64(3), scap.EncInt64(-100), []byte("/home/bob/thesis\x00"),
		scap.EncUint32(0), scap.EncUint32(0), scap.EncUint32(0), scap.EncUint64(0)))
	f.Add(scap.AppendEvent(nil, 1, 7, scap.SocketConnectX, scap.EncInt64(0), []byte{scap.AFUnix, 1}, scap.EncInt64(3), []byte{scap.AFUnix}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev scap.Event
		if err := ev.Decode(raw, false); err != nil {
			return
		}
		r, err := New(Options{Env: []string{"*"}, Args: []string{"bob"}, Buffers: true,
			Pseudonymize: Kinds{Users: true, Hosts: true, Paths: true}, PseudonymKey: testKey})
		if err != nil {
			t.Fatal(err)
		}
		r.LearnHeader(testHeader())
		r.LearnEvent(&ev)
		out, _ := r.Event(&ev)
		var got scap.Event
		if err := got.Decode(out, false); err != nil {
			t.Fatalf("redacted event does not decode: %v", err)
		}
		if got.Type() != ev.Type() || got.Ts() != ev.Ts() || got.Tid() != ev.Tid() || got.NumParams() != ev.NumParams() {
			t.Fatalf("redacted event %s/%d params, was %s/%d", got.TypeName(), got.NumParams(), ev.TypeName(), ev.NumParams())
		}
	})
}
