package redact

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/suggest"
)

// Kinds choose what --pseudonymize replaces (docs/FORMAT.md, "Pseudonyms").
type Kinds struct {
	Users, Hosts, Paths bool
}

// kindNames are the names ParseKinds accepts, in the order List gives them.
var kindNames = []string{"users", "hosts", "paths"}

// Any reports whether any kind is chosen.
func (k Kinds) Any() bool { return k.Users || k.Hosts || k.Paths }

// List returns the chosen kinds' names ("users", "hosts", "paths").
func (k Kinds) List() []string {
	var out []string
	for i, on := range []bool{k.Users, k.Hosts, k.Paths} {
		if on {
			out = append(out, kindNames[i])
		}
	}
	return out
}

// ParseKinds parses a comma-separated list of kinds, "users,hosts,paths"
// or any non-empty subset. An unknown or empty entry is an error naming
// its position (1-based) with the closest kind.
func ParseKinds(s string) (Kinds, error) {
	var k Kinds
	if strings.TrimSpace(s) == "" {
		return k, fmt.Errorf("pseudonymize: empty list; give users, hosts and/or paths, comma-separated")
	}
	for i, e := range strings.Split(s, ",") {
		switch strings.TrimSpace(e) {
		case "users":
			k.Users = true
		case "hosts":
			k.Hosts = true
		case "paths":
			k.Paths = true
		case "":
			return Kinds{}, fmt.Errorf("pseudonymize %q: empty entry %d", s, i+1)
		default:
			return Kinds{}, fmt.Errorf("pseudonymize %q: unknown kind %q (entry %d)%s; kinds: users, hosts, paths",
				s, strings.TrimSpace(e), i+1, suggest.DidYouMean(strings.TrimSpace(e), kindNames))
		}
	}
	return k, nil
}

// KeySize is the pseudonym key's length in bytes.
const KeySize = 32

// ParseKey parses a pseudonym key file: blank lines and lines starting
// with # are ignored, and exactly one line holds the key as 64 hex
// digits. Errors name the line.
func ParseKey(b []byte) ([]byte, error) {
	var key []byte
	keyLine := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<16)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if key != nil {
			return nil, fmt.Errorf("line %d: a second key (the first is on line %d); the file holds one", n, keyLine)
		}
		if len(l) != 2*KeySize {
			return nil, fmt.Errorf("line %d: key of %d characters, want %d hex digits", n, len(l), 2*KeySize)
		}
		k, err := hex.DecodeString(l)
		if err != nil {
			return nil, fmt.Errorf("line %d: key is not hex: %w", n, err)
		}
		key, keyLine = k, n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line too long: %w", err)
	}
	if key == nil {
		return nil, errors.New("no key: want one line of 64 hex digits")
	}
	return key, nil
}

// FormatKey returns the text of a key file holding key.
func FormatKey(key []byte) []byte {
	return []byte("# retrace pseudonym key (retrace redact --pseudonym-key): keep it private\n" + hex.EncodeToString(key) + "\n")
}

// LoadKey reads the pseudonym key file at path; when path does not exist
// it writes a new random key there (mode 0600) and reports created.
func LoadKey(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, false, fmt.Errorf("pseudonym key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("pseudonym key: %w", err)
		}
		if _, err := f.Write(FormatKey(key)); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("pseudonym key: write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, false, fmt.Errorf("pseudonym key: write %s: %w", path, err)
		}
		return key, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pseudonym key: %w", err)
	}
	key, err = ParseKey(b)
	if err != nil {
		return nil, false, fmt.Errorf("pseudonym key %s: %w", path, err)
	}
	return key, false, nil
}

// KeyID returns the key's id: the first 8 bytes of HMAC-SHA256(key,
// "retrace pseudonym key id") in hex.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("retrace pseudonym key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// SetPseudonyms sets Pseudonymize and PseudonymKey from a --pseudonymize
// list and a --pseudonym-key file (either may be ""); created says that
// the key file was missing and was made.
func (o *Options) SetPseudonyms(kinds, keyFile string) (created bool, err error) {
	if kinds != "" {
		if o.Pseudonymize, err = ParseKinds(kinds); err != nil {
			return false, err
		}
	}
	if keyFile == "" {
		return false, nil
	}
	if !o.Pseudonymize.Any() {
		return false, errors.New("--pseudonym-key needs --pseudonymize")
	}
	o.PseudonymKey, created, err = LoadKey(keyFile)
	return created, err
}

// Summary says in one line how much a redaction replaced.
func Summary(m *capture.Redaction) string {
	s := fmt.Sprintf("%d environment values, %d argument matches, %d buffer bytes redacted", m.EnvValues, m.ArgMatches, m.BufferBytes)
	if p := m.Pseudonyms; p != nil {
		s += fmt.Sprintf("; pseudonyms for %d users, %d hosts, %d path components (%d replacements)",
			p.Users, p.Hosts, p.Paths, m.PseudonymReplacements)
	}
	return s
}
