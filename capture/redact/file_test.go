package redact

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// finalMetadata returns the closing metadata of the .scap.zst capture at
// path.
func finalMetadata(t *testing.T, path string) *capture.Metadata {
	t.Helper()
	s, err := capture.ReadSummary(path)
	if err != nil || s.Metadata == nil {
		t.Fatalf("%s: no closing metadata: %v", path, err)
	}
	return s.Metadata
}

// TestFileKeepsMetadata redacts a signed capture whose recorder metadata
// is written only at its end (a converted one): the copy keeps it, with
// the host name pseudonymised, and does not claim the original's signing
// key.
func TestFileKeepsMetadata(t *testing.T) {
	key, err := minisig.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "vm.signed.scap.zst") // named after its host
	trace := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	if _, err := capture.ConvertFile(trace, orig, capture.WriterOptions{SignKey: key}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.scap.zst")
	m, err := File(orig, out, FileOptions{Options: Options{Pseudonymize: Kinds{Hosts: true}}})
	if err != nil {
		t.Fatal(err)
	}
	want := finalMetadata(t, orig)
	got := finalMetadata(t, out)
	if want.Hostname == "" || !strings.HasPrefix(got.Hostname, "h-") || len(got.CommandLine) != len(want.CommandLine) ||
		got.KernelRelease != want.KernelRelease || !got.StopTime.Equal(want.StopTime) {
		t.Errorf("copy's metadata %+v\noriginal's %+v", got, want)
	}
	if got.SigningKey != "" || want.SigningKey == "" {
		t.Errorf("signing key of the copy %q, of the original %q", got.SigningKey, want.SigningKey)
	}
	if !strings.HasPrefix(m.Source, "h-") || !strings.HasSuffix(m.Source, ".signed.scap.zst") {
		t.Errorf("manifest names the source %q", m.Source)
	}
	if m.SourceKey != key.ID.String() || m.PseudonymKey != "random" || m.Pseudonyms.Hosts != 1 {
		t.Errorf("manifest %+v", m)
	}
}

// TestFileChainsManifests redacts a redacted copy, and that copy again:
// each manifest keeps the one before it as previous, back to the
// original, with the names in it pseudonymised as the copy's are.
func TestFileChainsManifests(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "vm.scap.zst") // named after its host
	trace := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	if _, err := capture.ConvertFile(trace, orig, capture.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(dir, "first.scap.zst")
	m1, err := File(orig, first, FileOptions{Options: Options{Buffers: true}, Tool: "step 1"})
	if err != nil {
		t.Fatal(err)
	}
	if m1.Previous != nil {
		t.Errorf("a copy of an original has a previous manifest: %+v", m1.Previous)
	}
	second := filepath.Join(dir, "second.scap.zst")
	m2, err := File(first, second, FileOptions{Options: Options{Env: []string{"*"}}, Tool: "step 2"})
	if err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(dir, "third.scap.zst")
	m3, err := File(second, third, FileOptions{Options: Options{Pseudonymize: Kinds{Hosts: true}}, Tool: "step 3"})
	if err != nil {
		t.Fatal(err)
	}
	got := finalMetadata(t, third).Redaction
	if got == nil || got.Tool != "step 3" || got.Source != "second.scap.zst" || got.SourceSHA256 != m3.SourceSHA256 {
		t.Fatalf("third copy's manifest %+v", got)
	}
	p2 := got.Previous
	if p2 == nil || p2.Tool != "step 2" || p2.Source != "first.scap.zst" || p2.SourceSHA256 != m2.SourceSHA256 || len(p2.Env) != 1 {
		t.Fatalf("its previous %+v, want the second copy's %+v", p2, m2)
	}
	p1 := p2.Previous
	if p1 == nil || p1.Tool != "step 1" || !p1.Buffers || p1.SourceSHA256 != m1.SourceSHA256 || p1.Previous != nil {
		t.Fatalf("the first step %+v, want %+v", p1, m1)
	}
	// The original was named after its host: that name is a pseudonym in
	// the third copy, in every manifest of the chain.
	if !strings.HasPrefix(p1.Source, "h-") || !strings.HasSuffix(p1.Source, ".scap.zst") {
		t.Errorf("the original is named %q in the third copy's chain", p1.Source)
	}
	if m1.Source != "vm.scap.zst" {
		t.Errorf("the first copy names its source %q", m1.Source)
	}
}
