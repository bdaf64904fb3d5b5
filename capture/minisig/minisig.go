package minisig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Algorithm tags of minisign.
const (
	algEd      = "Ed" // legacy: Ed25519 over the message
	algEdHash  = "ED" // prehashed: Ed25519 over BLAKE2b-512 of the message
	secretTag  = "RTSK"
	commentTag = "untrusted comment: "
	trustedTag = "trusted comment: "
)

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("minisig: signature does not verify")

// KeyID identifies a key pair: 8 random bytes, written into public keys and
// signatures.
type KeyID [8]byte

// String prints the id as minisign does: the bytes as a little-endian
// u64, in upper-case hex.
func (id KeyID) String() string {
	return fmt.Sprintf("%016X", binary.LittleEndian.Uint64(id[:]))
}

// PrivateKey is a secret signing key.
type PrivateKey struct {
	ID  KeyID
	key ed25519.PrivateKey
}

// PublicKey is a public key that verifies signatures.
type PublicKey struct {
	ID  KeyID
	Key ed25519.PublicKey
}

// GenerateKey makes a new key pair from rnd (crypto/rand when nil).
func GenerateKey(rnd io.Reader) (*PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var k PrivateKey
	if _, err := io.ReadFull(rnd, k.ID[:]); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	k.key = priv
	return &k, nil
}

// Public returns the key's public half.
func (k *PrivateKey) Public() *PublicKey {
	return &PublicKey{ID: k.ID, Key: k.key.Public().(ed25519.PublicKey)}
}

// Encode returns the secret key file: an untrusted comment line and the
// base64 of "RTSK" ‖ "Ed" ‖ key id ‖ 32-byte Ed25519 seed.
func (k *PrivateKey) Encode() []byte {
	raw := append([]byte(secretTag+algEd), k.ID[:]...)
	raw = append(raw, k.key.Seed()...)
	return fmt.Appendf(nil, "%sretrace secret key %s\n%s\n", commentTag, k.ID, base64.StdEncoding.EncodeToString(raw))
}

// ParsePrivateKey reads a secret key file written by Encode.
func ParsePrivateKey(data []byte) (*PrivateKey, error) {
	raw, err := keyLine(data)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if len(raw) != 4+2+8+ed25519.SeedSize || string(raw[:4]) != secretTag || string(raw[4:6]) != algEd {
		return nil, errors.New("secret key: not a retrace secret key (want RTSK, Ed, 8-byte id, 32-byte seed)")
	}
	k := &PrivateKey{key: ed25519.NewKeyFromSeed(raw[14:])}
	copy(k.ID[:], raw[6:14])
	return k, nil
}

// ReadPrivateKeyFile reads the secret key file at path; errors name it.
func ReadPrivateKeyFile(path string) (*PrivateKey, error) { return readKeyFile(path, ParsePrivateKey) }

// ReadPublicKeyFile reads the public key file at path; errors name it.
func ReadPublicKeyFile(path string) (*PublicKey, error) { return readKeyFile(path, ParsePublicKey) }

func readKeyFile[K any](path string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	b, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	k, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Encode returns the public key as a minisign public key file.
func (p *PublicKey) Encode() []byte {
	return fmt.Appendf(nil, "%sminisign public key %s\n%s\n", commentTag, p.ID, p.Base64())
}

// Base64 returns the key's one-line form (minisign -P takes it).
func (p *PublicKey) Base64() string {
	raw := append([]byte(algEd), p.ID[:]...)
	return base64.StdEncoding.EncodeToString(append(raw, p.Key...))
}

// ParsePublicKey reads a minisign public key: the file (comment line and
// key line) or the key line alone.
func ParsePublicKey(data []byte) (*PublicKey, error) {
	raw, err := keyLine(data)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if len(raw) != 2+8+ed25519.PublicKeySize || string(raw[:2]) != algEd {
		return nil, fmt.Errorf("public key: %d bytes, want 42 (Ed, 8-byte id, 32-byte key)", len(raw))
	}
	p := &PublicKey{Key: ed25519.PublicKey(bytes.Clone(raw[10:]))}
	copy(p.ID[:], raw[2:10])
	return p, nil
}

// keyLine decodes the base64 line of a key file, after an optional
// untrusted comment line.
func keyLine(data []byte) ([]byte, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\r\n"), "\n")
	if len(lines) == 2 && strings.HasPrefix(lines[0], commentTag) {
		lines = lines[1:]
	}
	if len(lines) != 1 {
		return nil, fmt.Errorf("want one base64 line after an optional %q line, have %d lines", strings.TrimSpace(commentTag), len(lines))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[0]))
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", len(strings.Split(string(data), "\n"))-1, err)
	}
	return raw, nil
}

// Sign signs msg and returns the text of a minisign .minisig file, with
// the given one-line untrusted and trusted comments.
func (k *PrivateKey) Sign(msg []byte, untrusted, trusted string) []byte {
	sig := ed25519.Sign(k.key, msg)
	raw := append([]byte(algEd), k.ID[:]...)
	raw = append(raw, sig...)
	global := ed25519.Sign(k.key, append(bytes.Clone(sig), trusted...))
	return fmt.Appendf(nil, "%s%s\n%s\n%s%s\n%s\n", commentTag, oneLine(untrusted), base64.StdEncoding.EncodeToString(raw),
		trustedTag, oneLine(trusted), base64.StdEncoding.EncodeToString(global))
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// Signature is a parsed .minisig file.
type Signature struct {
	Algorithm      string // "Ed" or "ED"
	KeyID          KeyID
	Sig            []byte // 64 bytes
	Untrusted      string
	TrustedComment string
	Global         []byte // 64 bytes: over Sig ‖ TrustedComment
}

// ParseSignature reads the text of a .minisig file.
func ParseSignature(data []byte) (*Signature, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\r\n"), "\n")
	if len(lines) != 4 {
		return nil, fmt.Errorf("signature: %d lines, want 4", len(lines))
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	if !strings.HasPrefix(lines[0], commentTag) {
		return nil, fmt.Errorf("signature: line 1 does not start with %q", commentTag)
	}
	if !strings.HasPrefix(lines[2], trustedTag) {
		return nil, fmt.Errorf("signature: line 3 does not start with %q", trustedTag)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[1])
	if err != nil {
		return nil, fmt.Errorf("signature: line 2: %w", err)
	}
	if len(raw) != 2+8+ed25519.SignatureSize {
		return nil, fmt.Errorf("signature: line 2 holds %d bytes, want 74", len(raw))
	}
	global, err := base64.StdEncoding.DecodeString(lines[3])
	if err != nil {
		return nil, fmt.Errorf("signature: line 4: %w", err)
	}
	if len(global) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature: line 4 holds %d bytes, want 64", len(global))
	}
	s := &Signature{Algorithm: string(raw[:2]), Sig: raw[10:], Untrusted: strings.TrimPrefix(lines[0], commentTag),
		TrustedComment: strings.TrimPrefix(lines[2], trustedTag), Global: global}
	copy(s.KeyID[:], raw[2:10])
	return s, nil
}

// Verify checks a .minisig signature of msg and returns its trusted
// comment. Only the legacy "Ed" algorithm is supported (retrace signs with
// it); prehashed "ED" signatures are refused with an error saying so.
func (p *PublicKey) Verify(msg, sigFile []byte) (string, error) {
	s, err := ParseSignature(sigFile)
	if err != nil {
		return "", err
	}
	switch {
	case s.Algorithm == algEdHash:
		return "", errors.New("signature: prehashed (ED) signatures are not supported")
	case s.Algorithm != algEd:
		return "", fmt.Errorf("signature: unknown algorithm %q", s.Algorithm)
	case s.KeyID != p.ID:
		return "", fmt.Errorf("signature: made with key %s, the public key is %s", s.KeyID, p.ID)
	}
	if !ed25519.Verify(p.Key, msg, s.Sig) {
		return "", ErrBadSignature
	}
	if !ed25519.Verify(p.Key, append(bytes.Clone(s.Sig), s.TrustedComment...), s.Global) {
		return "", fmt.Errorf("%w (trusted comment)", ErrBadSignature)
	}
	return s.TrustedComment, nil
}
