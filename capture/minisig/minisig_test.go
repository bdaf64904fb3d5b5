package minisig_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestMinisignVerifies signs messages and checks the signatures with
// Debian's minisign tool, an independent implementation, and with Verify;
// damaged messages, signatures and trusted comments must fail both.
func TestMinisignVerifies(t *testing.T) {
	tool := testutil.NeedTool(t, "minisign")
	k, err := minisig.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pub := filepath.Join(dir, "k.pub")
	if err := os.WriteFile(pub, k.Public().Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := []byte("retrace-checkpoint 1\nnumber 0\n")
	sig := k.Sign(msg, "retrace checkpoint 0", "retrace checkpoint 0 frames 3")
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }
	tests := []struct {
		name string
		msg  []byte
		sig  []byte
		ok   bool
	}{
		{"good", msg, sig, true},
		{"message changed", flip(msg, 3), sig, false},
		{"trusted comment changed", msg, bytes.Replace(sig, []byte("frames 3"), []byte("frames 4"), 1), false},
		{"signature changed", msg, bytes.Replace(sig, sig[40:44], []byte("AAAA"), 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := filepath.Join(dir, "msg")
			if err := os.WriteFile(m, tc.msg, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(m+".minisig", tc.sig, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(tool, "-V", "-p", pub, "-m", m).CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("minisign -V: %v\n%s", err, out)
			}
			trusted, err := k.Public().Verify(tc.msg, tc.sig)
			if (err == nil) != tc.ok {
				t.Errorf("Verify: %v", err)
			}
			if tc.ok && trusted != "retrace checkpoint 0 frames 3" {
				t.Errorf("trusted comment %q", trusted)
			}
		})
	}
	// minisign -P takes the key line alone.
	m := filepath.Join(dir, "msg")
	os.WriteFile(m, msg, 0o644)
	os.WriteFile(m+".minisig", sig, 0o644)
	if out, err := exec.Command(tool, "-V", "-P", k.Public().Base64(), "-m", m).CombinedOutput(); err != nil {
		t.Errorf("minisign -V -P: %v\n%s", err, out)
	}
}

// TestKeysRoundTrip checks that key files read back and that a key from
// minisign -G (unencrypted) verifies nothing retrace signed.
func TestKeysRoundTrip(t *testing.T) {
	k, err := minisig.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := minisig.ParsePrivateKey(k.Encode())
	if err != nil {
		t.Fatal(err)
	}
	p, err := minisig.ParsePublicKey(k.Public().Encode())
	if err != nil {
		t.Fatal(err)
	}
	sig := k2.Sign([]byte("m"), "u", "t")
	if _, err := p.Verify([]byte("m"), sig); err != nil {
		t.Errorf("round trip: %v", err)
	}
	other, _ := minisig.GenerateKey(nil)
	if _, err := other.Public().Verify([]byte("m"), sig); err == nil {
		t.Error("another key verified the signature")
	}
	bad := []struct {
		name, data, want string
	}{
		{"empty", "", "public key: 0 bytes, want 42 (Ed, 8-byte id, 32-byte key)"},
		{"three lines", "a\nb\nc\n", "public key: want one base64 line after an optional \"untrusted comment:\" line, have 3 lines"},
		{"short key", "untrusted comment: x\nRWQAAAAA\n", "public key: 6 bytes, want 42 (Ed, 8-byte id, 32-byte key)"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := minisig.ParsePublicKey([]byte(tc.data))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
	if _, err := minisig.ParsePrivateKey(k.Public().Encode()); err == nil {
		t.Error("a public key parsed as a secret key")
	}
}

// FuzzParseSignature fuzzes the .minisig parser and Verify.
func FuzzParseSignature(f *testing.F) {
	k, _ := minisig.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	f.Add(k.Sign([]byte("m"), "u", "t"), []byte("m"))
	f.Add([]byte("untrusted comment: x\nRUQ=\ntrusted comment: y\nAA==\n"), []byte{})
	f.Fuzz(func(t *testing.T, sig, msg []byte) {
		if s, err := minisig.ParseSignature(sig); err == nil && (len(s.Sig) != 64 || len(s.Global) != 64) {
			t.Fatalf("parsed a signature of %d/%d bytes", len(s.Sig), len(s.Global))
		}
		k.Public().Verify(msg, sig)
	})
}

// FuzzParsePublicKey fuzzes the public key parser.
func FuzzParsePublicKey(f *testing.F) {
	k, _ := minisig.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	f.Add(k.Public().Encode())
	f.Add(k.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := minisig.ParsePublicKey(data); err == nil && len(p.Key) != 32 {
			t.Fatalf("parsed a key of %d bytes", len(p.Key))
		}
		minisig.ParsePrivateKey(data)
	})
}

func TestReadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	k, err := minisig.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sec, pub, bad := write("k.key", k.Encode()), write("k.pub", k.Public().Encode()), write("bad", []byte("hello\n"))
	if got, err := minisig.ReadPrivateKeyFile(sec); err != nil || got.ID != k.ID {
		t.Errorf("ReadPrivateKeyFile: %v, %v", got, err)
	}
	if got, err := minisig.ReadPublicKeyFile(pub); err != nil || got.ID != k.ID {
		t.Errorf("ReadPublicKeyFile: %v, %v", got, err)
	}
	for name, read := range map[string]func(string) error{
		"secret": func(p string) error { _, err := minisig.ReadPrivateKeyFile(p); return err },
		"public": func(p string) error { _, err := minisig.ReadPublicKeyFile(p); return err },
	} {
		if err := read(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s key from a bad file: %v, want an error naming %s", name, err, bad)
		}
		if err := read(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s key from a missing file: %v", name, err)
		}
	}
}
